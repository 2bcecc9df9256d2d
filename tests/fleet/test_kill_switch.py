"""The kill switch on the repository (ported guarantees of tests/revocation and the host's
kill-switch test): a running revoked app is stopped at the poll that brings the revocation, a
revoked app never launches, and freeze and rollback of the list are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from superapp.audit import AuditLog
from superapp.core.errors import AppStateError, FleetError
from superapp.fleet import add_revocation
from superapp.fleet._model import Revocation
from superapp.host import AppState, StopTimeouts, Supervisor
from superapp.testing import audit_events, wait_until
from superapp.testing._fake_runtime import fake_runtime_argv
from tests.fleet.conftest import NOTES, World

READY: list[dict[str, Any]] = [{"hello": {}}, {"loaded": {}}]
TIMEOUT = 60.0


@pytest.fixture
def supervisor(world: World) -> Iterator[Supervisor]:
    sup = Supervisor(
        world.paths, AuditLog(world.paths.audit_log),
        runtime_argv=fake_runtime_argv(READY), timeouts=StopTimeouts(close_s=5.0, term_s=2.0),
    )  # fmt: skip
    yield sup
    sup.shutdown()


def _revoke(world: World) -> None:
    add_revocation(world.repo, Revocation(kind="app", app_id=NOTES, reason="steals notes"))


def test_running_revoked_app_is_stopped_at_the_poll(world: World, supervisor: Supervisor) -> None:
    world.publish(NOTES, 1)
    world.store().install(NOTES)
    app = supervisor.launch(NOTES)
    assert app.loaded.wait(TIMEOUT)
    _revoke(world)
    assert supervisor.start_revocation_refresher()  # starts the fleet poller: it polls at once
    assert app.exited.wait(TIMEOUT)
    state, detail = supervisor.state(NOTES)
    assert state is AppState.TERMINATED and "switched off by the platform" in detail
    [revoked] = audit_events(world.paths, "app.revoked", NOTES)
    assert revoked["event"]["outcome"] == "failure"
    assert revoked["superapp"]["kind"] == "fleet"  # the repository's list, not the old feed
    [asked] = audit_events(world.paths, "fake.terminate", NOTES)
    assert asked["superapp"]["revoked"] is True
    wait_until(lambda: not supervisor.running(), what="the revoked app gone")


def test_revoked_app_never_launches(world: World, supervisor: Supervisor) -> None:
    world.publish(NOTES, 1)
    store = world.store()
    store.install(NOTES)
    _revoke(world)
    store.client.session()
    with pytest.raises(AppStateError, match="switched off by the platform"):
        supervisor.launch(NOTES)
    assert audit_events(world.paths, "app.launch_refused", NOTES)
    assert not supervisor.running()


def test_rollback_of_the_revocation_list_is_refused(world: World, supervisor: Supervisor) -> None:
    """The mirror replays the timestamp from before the revocation: refused, and the app stays
    switched off (the held list is not replaced by an older one)."""
    world.publish(NOTES, 1)
    store = world.store()
    store.install(NOTES)
    before = (world.repo.meta / "timestamp.json").read_bytes()
    _revoke(world)
    store.client.session()
    world.server.overrides["metadata/timestamp.json"] = before
    with pytest.raises(FleetError) as info:
        store.client.session()
    assert info.value.rule == "version"
    with pytest.raises(AppStateError):
        supervisor.launch(NOTES)


def test_frozen_revocation_list_is_refused_and_fail_closed_refuses_launch(
    world: World, supervisor: Supervisor
) -> None:
    world.publish(NOTES, 1)
    store = world.store()
    store.install(NOTES)
    policy = world.paths.config / "policy.toml"
    policy.write_text(policy.read_text() + 'on_expired = "closed"\n', encoding="utf-8")
    # The mirror freezes: it keeps serving today's metadata while the clock moves on.
    world.server.overrides["metadata/timestamp.json"] = (
        world.repo.meta / "timestamp.json"
    ).read_bytes()
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2), tick=True):
        with pytest.raises(FleetError) as info:
            store.client.session()
        assert info.value.rule == "expired"
        sup = Supervisor(
            world.paths, AuditLog(world.paths.audit_log), runtime_argv=fake_runtime_argv(READY)
        )
        try:
            with pytest.raises(AppStateError, match="fail-closed"):
                sup.launch(NOTES)
        finally:
            sup.shutdown()

"""A revoked app never launches, also on a host started just after the revocation: the launch
of an app from the repository waits for a fresh verified poll (``superapp.host._fleet_fresh``);
offline, ``[fleet] on_expired`` decides (open: launched and audited loudly; closed: refused).

Real repository over loopback HTTP, real hosts (``Supervisor``) with the windowless fake
runtime: "nothing ran" means no runtime process was started (no ``app.launched``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from superapp.audit import AuditLog
from superapp.core.errors import AppStateError, FleetError
from superapp.fleet import FleetClient, add_revocation
from superapp.fleet._model import Revocation
from superapp.host import StopTimeouts, Supervisor
from superapp.host._fleet_fresh import FleetFreshness, FreshnessRule
from superapp.testing import audit_events, wait_until
from superapp.testing._fake_runtime import fake_runtime_argv
from tests.fleet.conftest import NOTES, World

READY: list[dict[str, Any]] = [{"hello": {}}, {"loaded": {}}]
TIMEOUT = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hosts(world: World) -> Iterator[list[Supervisor]]:
    """Hosts made by a test (each one a fresh start); all shut down after it."""
    made: list[Supervisor] = []
    yield made
    for sup in made:
        sup.shutdown()


def _host(world: World, hosts: list[Supervisor]) -> Supervisor:
    sup = Supervisor(
        world.paths, AuditLog(world.paths.audit_log),
        runtime_argv=fake_runtime_argv(READY), timeouts=StopTimeouts(close_s=5.0, term_s=2.0),
    )  # fmt: skip
    hosts.append(sup)
    return sup


def _installed_then_revoked(world: World) -> None:
    """v1 installed from the repository (a verified state on disk that lists it, seconds
    old), then the operator revokes it: the held list does not know yet."""
    world.publish(NOTES, 1)
    assert world.store().install(NOTES).status == "installed"
    add_revocation(world.repo, Revocation(kind="app", app_id=NOTES, reason="steals notes"))


def _refused_and_nothing_ran(world: World, sup: Supervisor, match: str) -> dict[str, Any]:
    with pytest.raises(AppStateError, match=match):
        sup.launch(NOTES)
    [refused] = audit_events(world.paths, "app.launch_refused", NOTES)
    assert refused["event"]["outcome"] == "failure"
    assert not audit_events(world.paths, "app.launched", NOTES)
    assert not sup.running()
    return dict(refused)


def _set_policy(world: World, extra: str, *, url: str | None = None) -> None:
    policy = world.paths.config / "policy.toml"
    text = policy.read_text(encoding="utf-8")
    if url is not None:
        text = text.replace(world.server.url, url)
    policy.write_text(text + extra, encoding="utf-8")


def test_launch_right_after_host_start_cannot_outrun_a_revocation(
    world: World, hosts: list[Supervisor]
) -> None:
    """The attack: start the host and launch before its first poll. The launch waits for
    that poll, which brings the revocation."""
    _installed_then_revoked(world)
    sup = _host(world, hosts)
    assert sup.start_revocation_refresher()  # the host's start-up poll, on its own thread
    refused = _refused_and_nothing_ran(world, sup, "switched off by the platform")
    assert "steals notes" in refused["event"]["reason"]


def test_launch_on_a_host_without_a_poller_polls_first(
    world: World, hosts: list[Supervisor]
) -> None:
    _installed_then_revoked(world)
    sup = _host(world, hosts)
    world.server.reset_stats()
    _refused_and_nothing_ran(world, sup, "switched off by the platform")
    assert world.server.stats.by_path.get("metadata/timestamp.json") == 1


def test_launch_with_metadata_older_than_the_interval_refreshes_first(
    world: World, hosts: list[Supervisor]
) -> None:
    world.publish(NOTES, 1)
    world.store().install(NOTES)
    clock = Clock()
    sup = _host(world, hosts)
    sup.fleet_freshness = FleetFreshness(clock)
    app = sup.launch(NOTES)  # polls first (this host never verified), then runs
    assert app.loaded.wait(TIMEOUT)
    sup.stop(NOTES)
    wait_until(lambda: not sup.running(), what="the app stopped")
    add_revocation(world.repo, Revocation(kind="app", app_id=NOTES, reason="steals notes"))
    world.server.reset_stats()
    clock.now += 900 - 1  # [fleet] interval_s defaults to 900: still fresh, no poll
    app = sup.launch(NOTES)
    assert app.loaded.wait(TIMEOUT)
    assert "metadata/timestamp.json" not in world.server.stats.by_path
    sup.stop(NOTES)
    wait_until(lambda: not sup.running(), what="the app stopped")
    launched = len(audit_events(world.paths, "app.launched", NOTES))
    clock.now += 2  # older than the interval: the launch refreshes and sees the revocation
    with pytest.raises(AppStateError, match="switched off by the platform"):
        sup.launch(NOTES)
    assert world.server.stats.by_path.get("metadata/timestamp.json") == 1
    assert len(audit_events(world.paths, "app.launched", NOTES)) == launched


def test_offline_fail_open_launches_with_a_loud_audit_entry(
    world: World, hosts: list[Supervisor]
) -> None:
    world.publish(NOTES, 1)
    world.store().install(NOTES)
    _set_policy(world, "fetch_timeout_s = 5\n", url="http://127.0.0.1:1")  # nothing listens
    sup = _host(world, hosts)
    app = sup.launch(NOTES)
    assert app.loaded.wait(TIMEOUT)
    [entry] = audit_events(world.paths, "fleet.launch_unverified", NOTES)
    assert entry["event"]["outcome"] == "failure"  # kept with the security events
    assert "without a fresh revocation check" in entry["event"]["reason"]
    assert audit_events(world.paths, "fleet.refused")  # the failed poll, with its rule


def test_offline_fail_closed_refuses_with_a_clear_message(
    world: World, hosts: list[Supervisor]
) -> None:
    world.publish(NOTES, 1)
    world.store().install(NOTES)
    _set_policy(world, 'on_expired = "closed"\n', url="http://127.0.0.1:1")
    sup = _host(world, hosts)
    refused = _refused_and_nothing_ran(world, sup, "cannot be checked.*fail-closed")
    assert "did not answer within 10 s" in refused["event"]["reason"]
    assert not audit_events(world.paths, "fleet.launch_unverified")


def test_app_not_from_the_repository_does_not_wait(world: World, tmp_path: Path) -> None:
    """A side-installed app is not in the held index: its launch does not poll (the held list
    still applies to it)."""
    from superapp.bundles import install_bundle
    from superapp.testing._fleet import make_bundle

    world.poll()
    install_bundle(world.paths, make_bundle(world.acme_key, "com.other.app", 1))
    sup = Supervisor(
        world.paths, AuditLog(world.paths.audit_log), runtime_argv=fake_runtime_argv(READY)
    )
    try:
        world.server.reset_stats()
        app = sup.launch("com.other.app")
        assert app.loaded.wait(TIMEOUT)
        assert world.server.stats.requests == 0
    finally:
        sup.shutdown()


# --- the freshness record itself ----------------------------------------------------------
class _BlockingClient:
    """A client whose poll does not return until released (a repository that hangs)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.polls = 0

    def session(self) -> Any:
        self.polls += 1
        self.started.set()
        self.release.wait(TIMEOUT)
        raise FleetError("no answer", "slow")


def test_a_launch_waits_at_most_the_fetch_timeout() -> None:
    fresh, client = FleetFreshness(Clock()), _BlockingClient()
    rule = FreshnessRule(max_age_s=900, wait_s=0.05)
    try:
        assert fresh.ensure(rule, lambda: client) is False  # type: ignore[arg-type,return-value]
        assert client.started.is_set() and not client.release.is_set()
    finally:
        client.release.set()


def test_a_launch_joins_the_poll_in_flight_and_does_not_retry_a_failure_at_once() -> None:
    clock, client = Clock(), _BlockingClient()
    fresh = FleetFreshness(clock)
    rule = FreshnessRule(max_age_s=900, wait_s=TIMEOUT)

    def poll() -> None:
        with pytest.raises(FleetError):
            fresh.poll(client)  # type: ignore[arg-type]

    poller = threading.Thread(target=poll)
    poller.start()
    assert client.started.wait(TIMEOUT)
    threading.Timer(0, client.release.set).start()
    assert fresh.ensure(rule, lambda: client) is False  # type: ignore[arg-type,return-value]
    poller.join(TIMEOUT)
    assert client.polls == 1  # the launch took the poller's answer instead of polling again
    assert fresh.ensure(rule, lambda: client) is False  # type: ignore[arg-type,return-value]
    assert client.polls == 1  # within retry_after_s of a failure: the offline rule at once
    clock.now += rule.retry_after_s
    client.release.set()
    assert fresh.ensure(rule, lambda: client) is False  # type: ignore[arg-type,return-value]
    wait_until(lambda: client.polls == 2, what="a new poll after retry_after_s")


def test_freshness_follows_the_interval(world: World) -> None:
    clock = Clock()
    fresh = FleetFreshness(clock)
    rule = FreshnessRule.of(world.store().client.policy)
    client = FleetClient(world.paths, world.store().client.policy, AuditLog(world.paths.audit_log))
    assert not fresh.fresh(rule)
    fresh.poll(client).close()
    assert fresh.fresh(rule)
    clock.now += rule.max_age_s
    assert not fresh.fresh(rule)

"""Resuming a discarded app (ADR 0014) from where users do it: the launcher's card and
``superapp resume`` (the host's control socket), with the windowless fake runtime. States are
asserted, never timings."""

from __future__ import annotations

from typing import Any

from superapp.core.paths import Paths
from superapp.host import AppState, HostServer, request_lifecycle, running_record
from superapp.launcher._api import LauncherApi
from superapp.policy import HostPolicy
from superapp.testing import audit_events, wait_until
from tests.host.conftest import NOTES_APP, MakeSupervisor, install_signed

APP = NOTES_APP
READY: list[dict[str, Any]] = [{"hello": {}}, {"loaded": {}}]
SAVED = {"url": f"app://{APP}/index.html?n=1#b", "state": '{"x":1}'}


def test_launcher_and_cli_resume_a_discarded_app(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    install_signed(superapp_home, APP)
    supervisor = make_supervisor(READY, policy=HostPolicy(), options={"saved": SAVED})
    server = HostServer(superapp_home, supervisor)
    server.start()
    try:
        first = supervisor.launch(APP)
        assert first.loaded.wait(60)
        assert request_lifecycle(superapp_home, APP, "suspend") == "suspended"
        assert request_lifecycle(superapp_home, APP, "discard") == "discarded"
        api = LauncherApi(superapp_home, supervisor, lambda: None)
        [card] = [row for row in api.list_apps() if row["app_id"] == APP]
        assert card["state"] == "discarded"

        # The launcher's card: a launch of a discarded app is its resume.
        assert api.launch(APP) == {"ok": True}
        wait_until(lambda: supervisor.state(APP)[0] is AppState.RUNNING, what="resumed")
        second = supervisor.get(APP)
        assert second is not None and second.pid != first.pid
        assert second.loaded.is_set()

        # And again through `superapp resume` (the host's control socket).
        assert request_lifecycle(superapp_home, APP, "suspend") == "suspended"
        assert request_lifecycle(superapp_home, APP, "discard") == "discarded"
        record = running_record(superapp_home, APP)
        assert record is not None and record.runtime_pid == 0  # listed, no process
        assert request_lifecycle(superapp_home, APP, "resume") == "running"
        restores = audit_events(superapp_home, "fake.restore", APP)
        assert [r["superapp"]["location"] for r in restores] == ["index.html?n=1#b"] * 2
        assert [r["superapp"]["state"] for r in restores] == ['{"x":1}'] * 2
    finally:
        server.close()

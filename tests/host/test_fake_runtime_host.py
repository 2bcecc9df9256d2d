"""The host's logic against a runtime that speaks the real protocol, without Qt (issue 13):
spawn and exit, crash reporting, consent and share answers, the protocol version and refused
frames, budget termination from the runtime's real storage counter, the monitor-loop guard,
and the kill switch stopping a running app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from superapp.core.consent import ConsentAnswer
from superapp.core.paths import Paths
from superapp.host import AppState, Supervisor
from superapp.host._records import read_record
from superapp.monitor import Monitor
from superapp.policy import MonitorPolicy, RateBudget
from superapp.protocol import PROTOCOL_VERSION
from superapp.testing import audit_events, make_app, wait_for_audit, wait_until
from tests.host.conftest import APP, NOTES_APP, MakeSupervisor, arm_kill_switch, install_signed

TIMEOUT = 60.0
READY: list[dict[str, Any]] = [{"hello": {}}, {"loaded": {}}]


def _exited(supervisor: Supervisor, app_id: str = APP) -> tuple[AppState, str]:
    app = supervisor.get(app_id)
    if app is not None:
        assert app.exited.wait(TIMEOUT), f"{app_id} did not exit"
    return supervisor.state(app_id)


def test_launch_runs_and_stop_ends_the_runtime(make_supervisor: MakeSupervisor) -> None:
    supervisor = make_supervisor(READY)
    app = supervisor.launch(APP)
    assert app.loaded.wait(TIMEOUT)
    assert app.state is AppState.RUNNING and app.sandbox is True
    record = read_record(supervisor.paths, APP)
    assert record is not None and record.runtime_pid == app.pid
    supervisor.stop(APP)
    assert _exited(supervisor) == (AppState.STOPPED, "")
    [asked] = audit_events(supervisor.paths, "fake.terminate", APP)
    assert asked["superapp"]["revoked"] is False
    assert read_record(supervisor.paths, APP) is None  # removed with the app


def test_runtime_ignoring_terminate_is_killed(make_supervisor: MakeSupervisor) -> None:
    supervisor = make_supervisor(READY, options={"ignore_terminate": True})
    from superapp.host import StopTimeouts

    supervisor._timeouts = StopTimeouts(close_s=0.2, term_s=5.0)
    app = supervisor.launch(APP)
    assert app.loaded.wait(TIMEOUT)
    supervisor.stop(APP, reason="over budget")
    state, detail = _exited(supervisor)
    assert (state, detail) == (AppState.TERMINATED, "over budget")
    assert app.proc.returncode == -15  # SIGTERM after the ignored request


@pytest.mark.parametrize(
    ("step", "detail"),
    [
        ({"exit": {"code": 3}}, "exited with status 3"),
        ({"signal": {"name": "SIGSEGV"}}, "killed by SIGSEGV"),
    ],
)
def test_crash_is_reported_and_audited(
    make_supervisor: MakeSupervisor, step: dict[str, Any], detail: str
) -> None:
    supervisor = make_supervisor([*READY, step])
    supervisor.launch(APP)
    assert _exited(supervisor) == (AppState.CRASHED, detail)
    [event] = audit_events(supervisor.paths, "app.crashed", APP)
    assert event["event"]["reason"] == detail


@pytest.mark.parametrize(
    ("answer", "seen"),
    [
        ("allow_once", "allow_once"),
        (ConsentAnswer.ALLOW_ALWAYS, "allow_always"),
        ("yes please", "deny"),  # anything else is a refusal
    ],
)
def test_consent_request_gets_the_users_answer(
    make_supervisor: MakeSupervisor, answer: Any, seen: str
) -> None:
    asked: list[Any] = []

    def consent(prompt: Any) -> Any:
        asked.append(prompt)
        return answer

    steps = [*READY, {"consent": {"capability": "user:readProfile", "reason": "to greet"}}]
    supervisor = make_supervisor(steps, consent=consent)
    supervisor.launch(APP)
    event = wait_for_audit(
        supervisor.paths, lambda e: True, action="fake.consent_answered", app_id=APP
    )
    assert event["superapp"]["answer"] == seen
    [prompt] = asked
    assert (prompt.app_id, prompt.capability, prompt.reason) == (
        APP,
        "user:readProfile",
        "to greet",
    )
    assert prompt.verified is False  # not installed: the host's records say so, not the app


@pytest.mark.parametrize(
    ("to", "outcome"), [("com.example.nobody", "unknown_app"), (APP, "invalid")]
)
def test_share_request_is_checked_by_the_host(
    make_supervisor: MakeSupervisor, to: str, outcome: str
) -> None:
    confirmed: list[str] = []
    steps = [*READY, {"share": {"to": to, "data": '{"x": 1}'}}]
    supervisor = make_supervisor(steps, share_confirm=lambda s, n, r: confirmed.append(r) or True)
    supervisor.launch(APP)
    event = wait_for_audit(
        supervisor.paths, lambda e: True, action="fake.share_answered", app_id=APP
    )
    assert event["superapp"]["share_outcome"] == outcome
    assert confirmed == []  # never asked for a receiver that cannot receive
    [sent] = audit_events(supervisor.paths, "share.send", APP)
    assert (sent["event"]["outcome"], sent["event"]["reason"]) == ("failure", outcome)


@pytest.mark.parametrize(
    "step",
    [
        {"hello": {"protocol": PROTOCOL_VERSION - 1}},
        {"raw": {"line": '{"type":"exec","cmd":"sh"}\n'}},
        {"raw": {"line": '{"type":"hello","pid":1,"sandbox":true}\n'}},  # no version at all
    ],
    ids=["old_version", "unknown_type", "unversioned_hello"],
)
def test_protocol_violation_is_refused_audited_and_stopped(
    make_supervisor: MakeSupervisor, step: dict[str, Any]
) -> None:
    supervisor = make_supervisor([step, {"loaded": {}}])
    supervisor.launch(APP)
    state, detail = _exited(supervisor)
    assert state is AppState.TERMINATED and "control protocol" in detail
    [refused] = audit_events(supervisor.paths, "control.refused", APP)
    assert refused["event"]["outcome"] == "failure"


def _writes_monitor(**policy: Any) -> Monitor:
    budget = RateBudget(limit=5.0, warn_after_s=0.0, terminate_after_s=0.0)
    return Monitor(MonitorPolicy(sample_interval_s=0.05, storage_writes=budget, **policy))


WRITES = [*READY, {"storage_writes": {"count": 1}}, {"storage_writes": {"count": 40}}]


def test_storage_writes_budget_fires_from_the_runtimes_real_counter(
    make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    supervisor = make_supervisor(WRITES, monitor=_writes_monitor())
    # An app that declares storage: the host derives its key and hands it over in ``bind``.
    folder = make_app(tmp_path, APP, permissions=[("storage", "Keep notes")])
    app = supervisor.launch(APP, dev_src=folder)
    state, detail = _exited(supervisor)
    assert state is AppState.TERMINATED and "storage writes" in detail
    # The counter is the storage handle's own (the 41 writes, plus its bookkeeping at open).
    assert app.counters["storage.writes"] >= 41
    assert (supervisor.paths.app_storage(APP)).is_dir()
    [stop] = [
        e for e in audit_events(supervisor.paths, app_id=APP)
        if e["event"]["action"].startswith("monitor.") and "terminate" in json.dumps(e)
    ]  # fmt: skip
    assert "storage" in json.dumps(stop)


def test_monitor_loop_survives_an_exception_and_keeps_enforcing(
    make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    monitor = _writes_monitor()
    real_tick = monitor.tick
    calls = {"n": 0}

    def tick() -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise RuntimeError("sampler broke")
        return real_tick()

    monitor.tick = tick  # type: ignore[method-assign]
    supervisor = make_supervisor(WRITES, monitor=monitor)
    supervisor.launch(APP, dev_src=make_app(tmp_path, APP, permissions=[("storage", "Notes")]))
    state, detail = _exited(supervisor)
    assert state is AppState.TERMINATED and "storage writes" in detail  # still enforced
    assert supervisor.monitor_loop is not None and supervisor.monitor_loop.errors == 2
    # Audited once: the same error repeating does not flood the log.
    [error] = audit_events(supervisor.paths, "monitor.error")
    assert error["event"]["reason"] == "RuntimeError: sampler broke"


def test_kill_switch_stops_a_running_app(superapp_home: Paths, tmp_path: Path,
                                         make_supervisor: MakeSupervisor) -> None:  # fmt: skip
    app_id = NOTES_APP
    install_signed(superapp_home, app_id)
    kill_switch = arm_kill_switch(superapp_home, tmp_path, interval_s=None)
    supervisor = make_supervisor(READY)
    app = supervisor.launch(app_id)
    assert app.loaded.wait(TIMEOUT)
    kill_switch.revoke()
    assert supervisor.start_revocation_refresher()
    state, detail = _exited(supervisor, app_id)
    assert state is AppState.TERMINATED and "switched off by the platform" in detail
    [revoked] = audit_events(superapp_home, "app.revoked", app_id)
    assert revoked["event"]["outcome"] == "failure"
    assert revoked["superapp"]["kind"] == "app"  # the feed's own revocation kind
    # The runtime was told why, so it refuses calls REVOKED until its window is gone.
    [asked] = audit_events(superapp_home, "fake.terminate", app_id)
    assert asked["superapp"]["revoked"] is True
    wait_until(lambda: not supervisor.running(), what="the revoked app gone")


def test_host_context_applies_the_policys_audit_rotation(superapp_home: Paths) -> None:
    from superapp.host import HostContext

    superapp_home.policy_file.parent.mkdir(parents=True, exist_ok=True)
    superapp_home.policy_file.write_text("[audit]\nmax_bytes = 4096\n", encoding="utf-8")
    context = HostContext.load(superapp_home)
    assert context.audit.limits.max_bytes == 4096
    for i in range(200):  # ~40 kB of events: the live file is rotated at the policy's size
        context.audit.record("test.filler", reason=f"event {i}")
    assert superapp_home.audit_log.stat().st_size <= 4096 + 1024

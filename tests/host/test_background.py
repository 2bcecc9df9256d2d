"""Apps in the background and the real throttle (issue 16), against the windowless fake
runtime: the host's state machine, the stopped process tree, and budgets, the kill switch
and stop acting on suspended apps. States and process states are asserted, never timings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil
import pytest

from superapp.core.errors import AppStateError
from superapp.core.paths import Paths
from superapp.host import AppState, RunningApp, Supervisor
from superapp.host._records import read_record
from superapp.host._signals import tree_pids
from superapp.monitor import Monitor
from superapp.policy import HostPolicy, parse_policy
from superapp.protocol import Loaded
from superapp.testing import audit_events, wait_until
from tests.host.conftest import APP, NOTES_APP, MakeSupervisor, arm_kill_switch, install_signed

TIMEOUT = 60.0
READY: list[dict[str, Any]] = [{"hello": {}}, {"loaded": {}}]
BURN: list[dict[str, Any]] = [*READY, {"burn": {"processes": 1}}]


def _policy(home: Paths, text: str) -> HostPolicy:
    home.policy_file.parent.mkdir(parents=True, exist_ok=True)
    home.policy_file.write_text(text, encoding="utf-8")
    return parse_policy(text)


def _tree_status(app: RunningApp) -> set[str]:
    out = set()
    for pid in tree_pids(app.pid):
        try:
            out.add(psutil.Process(pid).status())
        except psutil.Error:
            pass
    return out


def _tree_cpu(app: RunningApp) -> float:
    total = 0.0
    for pid in tree_pids(app.pid):
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _state(supervisor: Supervisor, want: AppState) -> None:
    wait_until(lambda: supervisor.state(APP)[0] is want, what=f"{APP} {want.value}",
               timeout=TIMEOUT)  # fmt: skip


def _transitions(home: Paths, app_id: str = APP) -> list[tuple[str, str]]:
    return [
        (e["superapp"]["from_state"], e["superapp"]["to_state"])
        for e in audit_events(home, "app.lifecycle", app_id)
    ]


def _launch(supervisor: Supervisor, app_id: str = APP) -> RunningApp:
    app = supervisor.launch(app_id)
    assert app.loaded.wait(TIMEOUT)
    return app


def test_hidden_app_is_suspended_stopped_and_resumed(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    policy = _policy(superapp_home, "[lifecycle]\nhidden_suspend_after_s = 0\n")
    supervisor = make_supervisor(BURN, policy=policy)
    app = _launch(supervisor)
    wait_until(lambda: len(tree_pids(app.pid)) >= 2, what="the burning child")
    supervisor.background.hide(APP)
    _state(supervisor, AppState.SUSPENDED)
    # Every process of the tree is stopped, the burning child too.
    assert _tree_status(app) == {psutil.STATUS_STOPPED}
    record = read_record(superapp_home, APP)
    assert record is not None and record.state == "suspended"
    supervisor.background.resume(APP)
    assert supervisor.state(APP)[0] is AppState.RUNNING
    assert psutil.STATUS_STOPPED not in _tree_status(app)
    assert _transitions(superapp_home) == [
        ("running", "hidden"), ("hidden", "suspended"), ("suspended", "running"),
    ]  # fmt: skip
    [resumed] = [e for e in audit_events(superapp_home, "app.lifecycle", APP)
                 if e["superapp"]["to_state"] == "running"]  # fmt: skip
    assert resumed["superapp"]["resumed_from"] == "suspended"
    # The stopped tree was compacted (its file-backed pages paged out), or the kernel's
    # refusal is in the same audit entry (an unprivileged host: no CAP_SYS_NICE).
    [suspended] = [e["superapp"] for e in audit_events(superapp_home, "app.lifecycle", APP)
                   if e["superapp"]["to_state"] == "suspended"]  # fmt: skip
    assert suspended["compacted_mib"] > 0 or "CAP_SYS_NICE" in suspended["compaction_skipped"]


def test_suspended_tree_uses_no_cpu_across_monitor_rounds(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    policy = _policy(superapp_home, "[monitor]\nsample_interval_s = 0.1\n")
    supervisor = make_supervisor(BURN, policy=policy, monitor=Monitor(policy.monitor))
    app = _launch(supervisor)
    wait_until(lambda: len(tree_pids(app.pid)) >= 2, what="the burning child")
    supervisor.background.hide(APP, suspend=True)
    assert supervisor.state(APP)[0] is AppState.SUSPENDED
    assert supervisor.monitor is not None
    before = _tree_cpu(app)
    # The window is two samples of the host's own monitor (an event, not a sleep).
    first = supervisor.monitor.latest()[APP].at
    wait_until(lambda: supervisor.monitor.latest()[APP].at > first, what="a sample")
    second = supervisor.monitor.latest()[APP].at
    wait_until(lambda: supervisor.monitor.latest()[APP].at > second, what="another sample")
    assert _tree_cpu(app) == before
    assert supervisor.monitor.latest()[APP].cpu_percent == 0.0
    assert supervisor.state(APP)[0] is AppState.SUSPENDED


def test_stop_continues_a_suspended_app_so_it_exits_cleanly(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    supervisor = make_supervisor(READY, policy=HostPolicy())
    app = _launch(supervisor)
    supervisor.background.hide(APP, suspend=True)
    assert _tree_status(app) == {psutil.STATUS_STOPPED}
    supervisor.stop(APP)
    assert app.exited.wait(TIMEOUT)
    # It answered the terminate request itself (status 0), not the SIGKILL fallback.
    assert app.proc.returncode == 0
    assert supervisor.state(APP) == (AppState.STOPPED, "")
    assert audit_events(superapp_home, "fake.terminate", APP)


def test_memory_pressure_discards_a_suspended_app_and_resume_restores_it(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    # Any machine has less than 1 TiB available: every suspended app is under pressure.
    text = '[lifecycle]\nhidden_suspend_after_s = 0\ndiscard_below_available = "1 TiB"\n'
    text += "pressure_check_s = 0.1\n"
    saved = {"url": f"app://{APP}/notes/edit.html?id=7#para-3", "state": '{"draft":"half a line"}'}
    supervisor = make_supervisor(READY, policy=_policy(superapp_home, text),
                                 options={"saved": saved})  # fmt: skip
    app = _launch(supervisor)
    tree = tree_pids(app.pid)
    supervisor.background.hide(APP)
    _state(supervisor, AppState.DISCARDED)
    # Process-level discard (ADR 0014): the runtime's whole tree has ended; no process.
    # (``discarded`` shows once the process has ended; ``exited`` once its exit is handled.)
    assert app.exited.wait(TIMEOUT) and app.proc.returncode == 0
    assert not [p for p in tree if psutil.pid_exists(p) and psutil.Process(p).status()
                != psutil.STATUS_ZOMBIE]  # fmt: skip
    assert supervisor.get(APP) is None
    record = read_record(superapp_home, APP)
    assert record is not None and (record.state, record.runtime_pid) == ("discarded", 0)
    [discarded] = [e for e in audit_events(superapp_home, "app.lifecycle", APP)
                   if e["superapp"]["to_state"] == "discarded"]  # fmt: skip
    assert discarded["event"]["reason"].startswith("memory pressure (")
    assert discarded["superapp"]["process_ended"] is True
    assert discarded["superapp"]["state_bytes"] == len(saved["state"])

    again = supervisor.discarded.resume(APP, "requested")
    assert supervisor.state(APP)[0] is AppState.RUNNING and again.pid != app.pid
    assert _transitions(superapp_home)[-1] == ("discarded", "starting")
    [restore] = audit_events(superapp_home, "fake.restore", APP)
    assert restore["superapp"]["location"] == "notes/edit.html?id=7#para-3"
    assert restore["superapp"]["state"] == saved["state"]
    assert supervisor.discarded.get(APP) is None  # handed back once, not kept


def test_a_suspended_app_is_discarded_after_the_policys_time(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    text = "[lifecycle]\nhidden_suspend_after_s = 0\nsuspended_discard_after_s = 0\n"
    text += "discard_below_available = false\n"
    supervisor = make_supervisor(READY, policy=_policy(superapp_home, text))
    app = _launch(supervisor)
    supervisor.background.hide(APP)
    _state(supervisor, AppState.DISCARDED)
    assert app.exited.wait(TIMEOUT) and supervisor.get(APP) is None
    [discarded] = [e for e in audit_events(superapp_home, "app.lifecycle", APP)
                   if e["superapp"]["to_state"] == "discarded"]  # fmt: skip
    assert discarded["event"]["reason"] == "suspended for the policy's time"
    # `superapp stop` on a discarded app drops what the host kept (audited).
    supervisor.stop(APP)
    assert supervisor.state(APP) == (AppState.STOPPED, "stopped by the user")
    assert supervisor.discarded.get(APP) is None and read_record(superapp_home, APP) is None
    assert _transitions(superapp_home)[-1] == ("discarded", "stopped")


def test_resume_of_a_running_app_changes_nothing_and_unknown_app_is_an_error(
    make_supervisor: MakeSupervisor,
) -> None:
    supervisor = make_supervisor(READY, policy=HostPolicy())
    _launch(supervisor)
    supervisor.background.resume(APP)
    assert supervisor.state(APP)[0] is AppState.RUNNING
    with pytest.raises(AppStateError, match="not running"):
        supervisor.background.resume("com.example.other")
    with pytest.raises(AppStateError, match="not suspended"):
        supervisor.background.discard(APP)


def test_budget_stops_a_suspended_app(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    policy = _policy(superapp_home, "[monitor]\nsample_interval_s = 0.1\n")
    supervisor = make_supervisor(READY, policy=policy, monitor=Monitor(policy.monitor))
    app = _launch(supervisor)
    supervisor.background.hide(APP, suspend=True)
    # Its engine profile grows past the engine-storage budget while it is suspended.
    webview = superapp_home.app_webview(APP)
    webview.mkdir(parents=True, exist_ok=True)
    (webview / "grown.bin").write_bytes(b"\0" * (51 * 1024**2))
    assert app.exited.wait(TIMEOUT)
    state, detail = supervisor.state(APP)
    assert state is AppState.TERMINATED and "web storage" in detail
    assert app.proc.returncode == 0  # continued, then it ended itself
    [term] = audit_events(superapp_home, "monitor.terminate", APP)
    assert term["superapp"]["metric"] == "engine_storage"


def test_kill_switch_stops_a_suspended_app(
    superapp_home: Paths, tmp_path: Path, make_supervisor: MakeSupervisor
) -> None:
    app_id = NOTES_APP
    install_signed(superapp_home, app_id)
    kill_switch = arm_kill_switch(superapp_home, tmp_path)
    policy = kill_switch.policy
    supervisor = make_supervisor(READY, policy=policy)
    app = _launch(supervisor, app_id)
    supervisor.background.hide(app_id, suspend=True)
    assert supervisor.state(app_id)[0] is AppState.SUSPENDED
    kill_switch.revoke()
    assert supervisor.start_revocation_refresher()
    assert app.exited.wait(TIMEOUT)
    state, detail = supervisor.state(app_id)
    assert state is AppState.TERMINATED and "switched off by the platform" in detail
    [asked] = audit_events(superapp_home, "fake.terminate", app_id)
    assert asked["superapp"]["revoked"] is True  # it was continued and read the request
    assert app.proc.returncode == 0


def test_throttle_step_holds_a_burning_app_under_its_cpu_budget(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    # One burning process gets well over 10 % of a core even on a loaded machine; throttled
    # to 5 % of the time it cannot reach 10 % even on an idle one.
    limit = 10.0
    text = (
        "[monitor]\nsample_interval_s = 0.5\nthrottle_share = 0.05\n"
        f"[monitor.cpu]\nlimit = {limit}\nwarn_after_s = 0\nthrottle_after_s = 0\n"
        "cooldown_s = 3600\n"
    )
    policy = _policy(superapp_home, text)
    supervisor = make_supervisor(BURN, policy=policy, monitor=Monitor(policy.monitor))
    app = _launch(supervisor)
    _state(supervisor, AppState.THROTTLED)
    assert supervisor.monitor is not None
    # Two whole samples taken under the throttle: the measured share of a core.
    first = supervisor.monitor.latest()[APP].at
    wait_until(lambda: supervisor.monitor.latest()[APP].at > first, what="a sample")
    second = supervisor.monitor.latest()[APP].at
    wait_until(lambda: supervisor.monitor.latest()[APP].at > second, what="another sample")
    sample = supervisor.monitor.latest()[APP]
    assert supervisor.state(APP)[0] is AppState.THROTTLED
    assert sample.cpu_percent < limit, sample
    record = read_record(superapp_home, APP)
    assert record is not None and record.state == "throttled"
    [event] = audit_events(superapp_home, "monitor.throttle", APP)
    assert event["superapp"]["metric"] == "cpu"
    # Still judged by what it asks for: no recovery while it keeps burning.
    assert not audit_events(superapp_home, "monitor.recover", APP)
    supervisor.stop(APP)
    assert app.exited.wait(TIMEOUT) and app.proc.returncode == 0


def test_lifecycle_policy_keys_are_checked() -> None:
    policy = parse_policy(
        '[lifecycle]\nhidden_suspend_after_s = 5\ndiscard_below_available = "256 MiB"\n'
    )
    assert policy.lifecycle.hidden_suspend_after_s == 5.0
    assert policy.lifecycle.discard_below_available == 256 * 1024**2
    assert policy.lifecycle.idle_suspend_after_s is None
    off = parse_policy(
        "[lifecycle]\nhidden_suspend_after_s = false\ndiscard_below_available = false\n"
    )
    assert off.lifecycle.hidden_suspend_after_s is None
    assert off.lifecycle.discard_below_available is None
    from superapp.core.errors import PolicyError

    with pytest.raises(PolicyError, match=r"lifecycle\.hidden_after_s: unknown key"):
        parse_policy("[lifecycle]\nhidden_after_s = 5\n")
    with pytest.raises(PolicyError, match=r"monitor\.throttle_share"):
        parse_policy("[monitor]\nthrottle_share = 1.5\n")


def test_idle_app_is_hidden_and_suspended(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    policy = _policy(superapp_home, "[lifecycle]\nidle_suspend_after_s = 0\n")
    supervisor = make_supervisor(READY, policy=policy)
    app = _launch(supervisor)
    _state(supervisor, AppState.SUSPENDED)
    assert _tree_status(app) == {psutil.STATUS_STOPPED}
    [hidden, suspended] = audit_events(superapp_home, "app.lifecycle", APP)
    assert hidden["event"]["reason"] == "idle for the policy's time"
    assert suspended["superapp"]["to_state"] == "suspended"


def test_engine_refusing_to_freeze_is_audited_and_not_retried(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    policy = _policy(superapp_home, "[lifecycle]\nhidden_suspend_after_s = 0\n")
    supervisor = make_supervisor(READY, policy=policy, options={"refuse_freeze": True})
    app = _launch(supervisor)
    with pytest.raises(AppStateError, match="refused to suspend"):
        supervisor.background.hide(APP, suspend=True)
    assert supervisor.state(APP)[0] is AppState.HIDDEN
    assert psutil.STATUS_STOPPED not in _tree_status(app)
    refusals = [e for e in audit_events(superapp_home, "app.lifecycle", APP)
                if e["event"]["outcome"] == "failure"]  # fmt: skip
    assert len(refusals) == 1 and "refused to freeze" in refusals[0]["event"]["reason"]
    # The hidden timer (0 s) does not ask again while the window stays hidden.
    supervisor.background.hide(APP)
    assert len([e for e in audit_events(superapp_home, "app.lifecycle", APP)
                if e["event"]["outcome"] == "failure"]) == 1  # fmt: skip


def test_app_throttled_while_starting_shows_throttled_once_loaded(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    from superapp.monitor import BudgetDecision

    supervisor = make_supervisor([{"hello": {}}, {"audit": {"action": "fake.started"}}],
                                 policy=HostPolicy())  # fmt: skip
    app = supervisor.launch(APP)
    wait_until(lambda: audit_events(superapp_home, "fake.started", APP), what="the fake up")
    assert app.state is AppState.STARTING
    supervisor._on_decision(
        BudgetDecision(APP, "Fake", "throttle", "cpu", 95.0, 90.0, 20.0, "Fake is being slowed")
    )
    assert supervisor.background.throttler.throttled(APP)
    supervisor.broker.handle(app, Loaded(url=f"app://{APP}/index.html", elapsed_ms=1.0))
    assert supervisor.state(APP)[0] is AppState.THROTTLED

"""A page floods the audit log to bury what it did (issue 12, class 3), without a window.

The events take the path a page's do: the runtime's request guard (what the engine's
interceptor calls for every blocked request) and its real dispatcher, writing through the
runtime's ``ChannelAudit`` onto a real control socketpair; the host end is read and handed to
the real supervisor, which writes through the flood gate into the policy-configured log and
counts the app's audit volume in its monitor. Time is a manual clock. The window-level
counterpart is ``tests/attacks/test_audit_flood_window.py``.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bridge.hostui import DummyUi
from bridge.testing import ManualClock, request
from superapp import protocol as control
from superapp.audit import AuditLimits, AuditLog, FloodLimits
from superapp.cli import main
from superapp.core.paths import Paths
from superapp.host import HostContext, RunningApp, Supervisor
from superapp.host._bind import build_bind
from superapp.monitor import Monitor, ProcessTreeSampler, TreeSample, record_decision
from superapp.policy import parse_policy
from superapp.runtime import _wiring
from superapp.runtime._app import ChannelSink, RuntimeApp, load_app
from superapp.runtime._hostside import HostRequests
from tests.attacks.hostile import make_app

ATTACKER = "com.attacker.flood"
SECRET_URL = "https://exfil.evil.test/steal?note=secret"
FLOOD_PER_SECOND = 100


class _QuietSampler(ProcessTreeSampler):
    """The process tree is not under test: a small, idle, live tree."""

    def sample(self, roots: Any) -> dict[str, TreeSample]:
        return {k: TreeSample(pid, True, 1, 0.0, 0.0, 50_000_000) for k, pid in roots.items()}


class _Wire:
    """The runtime's end of a real control socketpair. Each message sent is read back from
    the host's end at once and handed to the supervisor, so the test needs no waiting."""

    def __init__(self) -> None:
        a, b = socket.socketpair()
        self.runtime, self.host = control.Channel(a), control.Channel(b)
        self.deliver: Any = None

    def send(self, msg: control.Message) -> None:
        self.runtime.send(msg)
        self.deliver(self.host.recv())

    def close(self) -> None:
        self.runtime.close()
        self.host.close()


@dataclass
class Rig:
    paths: Paths
    audit: AuditLog
    monitor: Monitor
    clock: ManualClock
    rt: RuntimeApp
    dispatch: Any
    wire: _Wire


@pytest.fixture
def rig(tmp_path: Path, superapp_home: Paths) -> Iterator[Rig]:
    superapp_home.policy_file.write_text(
        "[audit]\nmax_bytes = 4096\nbackups = 2\n"
        "[monitor.audit_events]\nlimit = 20\nwarn_after_s = 0\nterminate_after_s = 5\n",
        encoding="utf-8",
    )
    policy = parse_policy(superapp_home.policy_file.read_text(encoding="utf-8"))
    clock = ManualClock()
    monitor = Monitor(policy.monitor, clock=clock, sampler=_QuietSampler(clock))
    audit = HostContext.load(superapp_home).audit
    supervisor = Supervisor(superapp_home, audit, monitor=monitor)
    src = make_app(tmp_path, ATTACKER)
    wire = _Wire()
    host_app = RunningApp(ATTACKER, None, wire.host, None)  # type: ignore[arg-type]
    wire.deliver = lambda msg: supervisor._handle(host_app, msg)
    bind = build_bind(superapp_home, policy, ATTACKER, src)  # what the host sends the runtime
    loaded = load_app(superapp_home, bind, ChannelSink(wire))  # type: ignore[arg-type]
    rt = RuntimeApp(
        superapp_home,
        loaded,
        wire,
        bind,
        HostRequests(wire),
        None,
        time.monotonic(),  # type: ignore[arg-type]
    )
    ctx = _wiring.build_context(rt)
    dispatcher = _wiring.make_dispatcher(rt, ctx, DummyUi(), _wiring.build_net_policy(rt))
    monitor.watch(ATTACKER, 1, "Flood", heartbeats=False)
    yield Rig(superapp_home, audit, monitor, clock, rt, dispatcher.dispatch, wire)
    dispatcher.close()
    wire.close()


def _log_size(paths: Paths) -> int:
    folder = paths.audit_log.parent
    return sum(p.stat().st_size for p in folder.iterdir() if p.name.startswith("audit.jsonl"))


def test_audit_flood_is_aggregated_stopped_by_budget_and_earlier_security_events_survive(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    # What the app did first: a refused call and a blocked exfiltration attempt.
    denied = json.loads(rig.dispatch(request("storage.get", {"key": "x"})))
    assert denied["error"]["code"] == "PERMISSION_DENIED"
    rig.rt.guard.blocked("net.blocked", SECRET_URL, "host-not-allowed", "not allowed", kind="fetch")
    rig.clock.advance(1.0)
    assert rig.monitor.tick() == []
    before = _log_size(rig.paths)

    # Then it floods: every request to a new name, so no repeat is folded in the runtime.
    stopped = None
    sent = 0
    for second in range(30):
        for i in range(FLOOD_PER_SECOND):
            url = f"https://{second}-{i}.evil.test/" + "x" * 2000
            rig.rt.guard.blocked("net.blocked", url, "host-not-allowed", "not allowed", kind="img")
            sent += 1
        rig.clock.advance(1.0)
        for decision in rig.monitor.tick():
            record_decision(rig.audit, decision)  # what the supervisor does, then it stops it
            if decision.action == "terminate":
                stopped = decision
        if stopped:
            break
    rig.audit.flush_app(ATTACKER)  # the supervisor does this when the runtime has exited

    # Stopped by its audit budget, with the reason audited.
    assert stopped is not None and stopped.metric == "audit_events"
    assert "audit log entries a second" in stopped.message
    events = list(rig.audit.events())
    terminations = [e for e in events if e["event"]["action"] == "monitor.terminate"]
    assert [e["superapp"]["metric"] for e in terminations] == ["audit_events"]

    # The flood became a handful of entries and one "N more like this" per window.
    flood = [e for e in events if e["superapp"].get("url", "").endswith("x" * 2000)]
    summaries = [e for e in events if e["event"]["action"] == "audit.suppressed"]
    written = len(flood)
    suppressed = sum(e["superapp"]["count"] for e in summaries)
    assert written + suppressed == sent
    assert written <= sent // 20
    assert "more like this" in summaries[0]["event"]["reason"]

    # What it did before the flood is still there, though the tiny log rotated many times.
    assert any(
        e["event"]["action"] == "bridge.denied" and e["superapp"]["api"] == "storage.get"
        for e in events
    )
    assert any(e["superapp"].get("url") == SECRET_URL for e in events)
    assert len(rig.audit.files()) == 3 and rig.audit.retained_path.exists()
    assert main(["audit", "verify"]) == 0
    assert "audit log OK" in capsys.readouterr().out
    assert main(["audit", "--app", ATTACKER, "--action", "net.blocked"]) == 0
    assert SECRET_URL in capsys.readouterr().out

    print(
        f"\nflood: {sent} blocked requests; {written} written one by one, {len(summaries)} "
        f"summaries; log grew {_log_size(rig.paths) - before} bytes"
    )


def test_flood_gate_summarises_per_kind_and_never_gates_host_decisions(
    superapp_home: Paths,
) -> None:
    limits = AuditLimits(flood=FloodLimits(window_s=60, per_kind=3, per_app=10))
    log = AuditLog(superapp_home.audit_log, limits=limits)
    for i in range(100):
        log.record_app("net.blocked", app_id=ATTACKER, outcome="failure", url=f"u{i}", rule="r1")
        log.record_app("bridge.denied", app_id=ATTACKER, outcome="failure", code="INVALID_PARAMS")
    # Another app's events have their own budget.
    assert log.record_app("net.blocked", app_id="com.example.other", outcome="failure", rule="r1")
    # The host's own decisions about the app are never gated.
    log.record("monitor.terminate", app_id=ATTACKER, outcome="failure", reason="stopped")
    log.flush_app(ATTACKER)
    events = [e for e in log.events() if e["superapp"].get("app_id") == ATTACKER]
    actions = [e["event"]["action"] for e in events]
    assert actions.count("net.blocked") == 3 and actions.count("bridge.denied") == 3
    assert actions[-2:] == ["monitor.terminate", "audit.suppressed"]
    summary = events[-1]["superapp"]
    assert summary["count"] == 194
    assert summary["counts"] == {
        "net.blocked r1": 97,
        "bridge.denied INVALID_PARAMS": 97,
    }
    assert log.verify().ok


def test_retained_security_log_is_fair_and_verified(superapp_home: Paths) -> None:
    limits = AuditLimits(max_bytes=2048, backups=1, retained_max_bytes=8192)
    log = AuditLog(superapp_home.audit_log, limits=limits)
    log.record("bridge.denied", app_id="com.example.victim", outcome="failure", code="X")
    log.record("net.blocked", app_id=ATTACKER, outcome="failure", rule="first", url=SECRET_URL)
    for i in range(400):  # far past the retained cap: the attacker's own repeats are thinned
        log.record("net.blocked", app_id=ATTACKER, outcome="failure", rule="again", url=f"u{i}")
        log.record("app.heartbeat", app_id=ATTACKER, outcome="success")
    kept = list(log.events())
    assert any(e["superapp"]["app_id"] == "com.example.victim" for e in kept)
    assert any(e["superapp"].get("url") == SECRET_URL for e in kept)
    assert log.retained_path.stat().st_size <= 8192
    report = log.verify()
    assert report.ok and report.retained > 0, report.problem
    # Removing one retained entry is found.
    lines = log.retained_path.read_bytes().splitlines(keepends=True)
    log.retained_path.write_bytes(b"".join(lines[:1] + lines[2:]))
    report = log.verify()
    assert not report.ok and "retained" in report.problem


def test_a_runtime_cannot_pass_off_a_report_as_a_host_decision(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    log.record_app("monitor.recover", app_id=ATTACKER, outcome="success", reason="all fine")
    log.record_app("audit.suppressed", app_id=ATTACKER, outcome="success", count=0)
    log.record_app("net.blocked", app_id=ATTACKER, outcome="failure", rule="r")
    actions = [e["event"]["action"] for e in log.events()]
    assert actions == ["runtime.monitor.recover", "runtime.audit.suppressed", "net.blocked"]

"""Budget escalation (warn → throttle → terminate, recover) with a fake clock, and the Monitor."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.monitor import (
    AppSample,
    BudgetDecision,
    BudgetEvaluator,
    Monitor,
    RuntimeCounters,
    format_bytes,
    record_decision,
)
from superapp.policy import HostPolicy, MonitorPolicy, parse_policy

GiB = 1024**3


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _sample(**overrides: Any) -> AppSample:
    base = AppSample(
        app_id="com.example.notes",
        name="Notes",
        at=0.0,
        pid=1,
        alive=True,
        processes=4,
        cpu_seconds=0.0,
        cpu_percent=1.0,
        memory_bytes=300 * 1024**2,
        memory_kind="pss",
        threads=20,
        bridge_calls_per_s=0.0,
        net_requests_per_s=0.0,
        storage_writes_per_s=0.0,
        seconds_since_heartbeat=0.5,
    )
    return replace(base, **overrides)


def _run(
    ev: BudgetEvaluator, clock: FakeClock, times: list[float], **overrides: Any
) -> list[tuple[float, str, str]]:
    out: list[tuple[float, str, str]] = []
    for t in times:
        clock.now = t
        out += [(t, d.action, d.metric) for d in ev.evaluate(_sample(**overrides))]
    return out


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def evaluator(clock: FakeClock) -> BudgetEvaluator:
    return BudgetEvaluator(HostPolicy().monitor, clock)


def test_memory_far_over_the_limit_is_stopped_at_once_with_a_clear_message(
    evaluator: BudgetEvaluator,
) -> None:
    (decision,) = evaluator.evaluate(_sample(memory_bytes=int(2.1 * GiB)))
    assert decision.action == "terminate" and decision.metric == "memory"
    assert decision.message == "Notes was stopped: it used 2.1 GB of memory (limit 1 GB)"


def test_memory_over_the_limit_warns_then_stops_after_the_grace(
    evaluator: BudgetEvaluator, clock: FakeClock
) -> None:
    steps = _run(evaluator, clock, [0, 1, 2, 2.9, 3.0, 4], memory_bytes=int(1.2 * GiB))
    assert steps == [(0, "warn", "memory"), (3.0, "terminate", "memory")]


def test_cpu_escalates_warn_throttle_terminate_at_the_policy_times(
    evaluator: BudgetEvaluator, clock: FakeClock
) -> None:
    times = [float(t) for t in range(0, 70, 5)]
    steps = _run(evaluator, clock, times, cpu_percent=100.0)
    assert steps == [(10.0, "warn", "cpu"), (20.0, "throttle", "cpu"), (60.0, "terminate", "cpu")]


def test_nothing_more_is_said_after_terminate(evaluator: BudgetEvaluator, clock: FakeClock) -> None:
    evaluator.evaluate(_sample(memory_bytes=3 * GiB))
    clock.now = 100
    assert evaluator.evaluate(_sample(memory_bytes=3 * GiB, cpu_percent=400.0)) == []
    evaluator.forget("com.example.notes")
    assert evaluator.evaluate(_sample(memory_bytes=3 * GiB))[0].action == "terminate"


def test_request_storm_is_throttled_then_stopped(
    evaluator: BudgetEvaluator, clock: FakeClock
) -> None:
    decisions: list[BudgetDecision] = []
    for t in range(12):
        clock.now = float(t)
        decisions += evaluator.evaluate(_sample(net_requests_per_s=500.0))
    assert [(d.action, d.over_for_s) for d in decisions] == [
        ("warn", 0.0),
        ("throttle", 2.0),
        ("terminate", 10.0),
    ]
    assert decisions[1].message == (
        "Notes is being slowed down: it is making 500 network requests a second (limit 100)"
    )
    assert decisions[2].message == (
        "Notes was stopped: it was making 500 network requests a second (limit 100)"
    )


def test_short_dips_under_the_limit_do_not_reset_the_clock(
    evaluator: BudgetEvaluator, clock: FakeClock
) -> None:
    """Flood, get throttled, back off for a moment, flood again: still stopped at 10 s."""
    steps = []
    for t in range(12):
        clock.now = float(t)
        rate = 0.0 if t % 3 == 2 else 1000.0
        steps += [(t, d.action) for d in evaluator.evaluate(_sample(bridge_calls_per_s=rate))]
    assert steps == [(0, "warn"), (3, "throttle"), (10, "terminate")]


def test_cooldown_ends_the_episode_and_lifts_throttling(
    evaluator: BudgetEvaluator, clock: FakeClock
) -> None:
    steps = _run(evaluator, clock, [0, 1, 2, 3], storage_writes_per_s=300.0)
    steps += _run(evaluator, clock, [4, 6, 8, 9], storage_writes_per_s=1.0)
    steps += _run(evaluator, clock, [10], storage_writes_per_s=300.0)
    assert steps == [
        (0, "warn", "storage_writes"),
        (2, "throttle", "storage_writes"),
        (9, "recover", "storage_writes"),
        (10, "warn", "storage_writes"),  # a new episode starts from the bottom
    ]


def test_hung_page_is_stopped_after_the_hang_timeout(evaluator: BudgetEvaluator) -> None:
    assert evaluator.evaluate(_sample(seconds_since_heartbeat=9.9)) == []
    (decision,) = evaluator.evaluate(_sample(seconds_since_heartbeat=12.0))
    assert (decision.action, decision.metric) == ("terminate", "hang")
    assert decision.message == "Notes was stopped: it stopped responding for 12 s (limit 10 s)"


def test_one_terminate_decision_even_when_several_budgets_break(
    evaluator: BudgetEvaluator,
) -> None:
    decisions = evaluator.evaluate(
        _sample(memory_bytes=5 * GiB, seconds_since_heartbeat=60.0, net_requests_per_s=1e4)
    )
    assert [(d.action, d.metric) for d in decisions] == [("terminate", "hang")]


def test_budgets_come_from_the_policy_file(clock: FakeClock) -> None:
    policy = parse_policy("[monitor.memory]\nlimit = '100 MB'\nterminate_after_s = 0").monitor
    (decision,) = BudgetEvaluator(policy, clock).evaluate(_sample(memory_bytes=150 * 1024**2))
    assert decision.action == "terminate"
    assert decision.message == "Notes was stopped: it used 150 MB of memory (limit 100 MB)"


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (512, "512 B"),
        (1536, "1.5 KB"),
        (300 * 1024**2, "300 MB"),
        (GiB, "1 GB"),
        (2.1 * GiB, "2.1 GB"),
    ],
)
def test_format_bytes(n: float, text: str) -> None:
    assert format_bytes(n) == text


def test_decisions_are_audited(superapp_home: Paths, evaluator: BudgetEvaluator) -> None:
    log = AuditLog(superapp_home.audit_log)
    (decision,) = evaluator.evaluate(_sample(memory_bytes=3 * GiB))
    event = record_decision(log, decision)
    assert event["event"]["action"] == "monitor.terminate"
    assert event["event"]["outcome"] == "failure"
    assert event["event"]["reason"] == "Notes was stopped: it used 3 GB of memory (limit 1 GB)"
    assert event["superapp"]["app_id"] == "com.example.notes"
    assert event["superapp"]["metric"] == "memory" and event["superapp"]["limit"] == GiB
    assert log.verify().ok


def test_runtime_counters_from_the_control_channel_are_sanitised() -> None:
    counters = RuntimeCounters.from_json(
        {
            "bridge_calls": {"storage.get": 5, "ui.toast": -3, "x": "many"},
            "bridge_denials": "nope",
            "net_requests": True,
            "net_blocked": 2,
            "storage_writes": 1.5,
        }
    )
    assert counters == RuntimeCounters({"storage.get": 5, "ui.toast": 0, "x": 0}, {}, 0, 2, 0)
    assert counters.total_bridge_calls == 5


def test_the_runtimes_flat_counters_are_mapped() -> None:
    counters = RuntimeCounters.from_flat(
        {
            "bridge.calls.storage.get": 7,
            "bridge.denied.net.request": 2,
            "net.allowed": 40,
            "net.blocked": 5,
            "net.blocked.folded": 3,
            "storage.writes": 9,
            "nav.blocked": 1,
        }
    )
    assert counters == RuntimeCounters(
        {"storage.get": 7}, {"net.request": 2}, 45, 5, 9, {"nav.blocked": 1}
    )


# --- the Monitor, on a real child process ------------------------------------------------


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    yield proc
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=30)


def test_monitor_merges_runtime_counters_into_rates(
    child: subprocess.Popen[bytes], clock: FakeClock
) -> None:
    monitor = Monitor(HostPolicy().monitor, clock=clock)
    monitor.watch("com.example.notes", child.pid, "Notes")
    monitor.report_counters("com.example.notes", RuntimeCounters({"storage.set": 10}, {}, 5, 0, 10))
    clock.now = 1.0
    monitor.report_counters(
        "com.example.notes", RuntimeCounters({"storage.set": 60}, {"net.request": 3}, 505, 3, 30)
    )
    monitor.heartbeat("com.example.notes")
    decisions = monitor.tick()
    sample = monitor.latest()["com.example.notes"]
    assert sample.alive and sample.processes == 1 and sample.memory_bytes > 0
    assert (sample.bridge_calls_per_s, sample.net_requests_per_s, sample.storage_writes_per_s) == (
        50.0,
        500.0,
        20.0,
    )
    assert sample.counters.bridge_denials == {"net.request": 3}
    assert [(d.action, d.metric) for d in decisions] == [("warn", "net_requests")]
    assert sample.to_json()["counters"]["net_requests"] == 505
    clock.now = 10.0  # no report for a while: rates are stale, not repeated forever
    monitor.heartbeat("com.example.notes")
    assert monitor.sample()["com.example.notes"].net_requests_per_s == 0.0


def test_monitor_stops_an_app_that_never_answers_a_heartbeat(
    child: subprocess.Popen[bytes], clock: FakeClock
) -> None:
    monitor = Monitor(HostPolicy().monitor, clock=clock)
    monitor.watch("com.example.notes", child.pid, "Notes")
    clock.now = 5.0
    assert monitor.tick() == []
    clock.now = 10.5
    (decision,) = monitor.tick()
    assert (decision.action, decision.metric) == ("terminate", "hang")
    monitor.watch("com.example.notes", child.pid, "Notes", heartbeats=False)
    clock.now = 100.0
    assert monitor.tick() == []  # a runtime without heartbeats is not judged on them
    monitor.unwatch("com.example.notes")
    assert monitor.tick() == [] and monitor.latest() == {}


def test_monitor_run_loop_delivers_decisions(child: subprocess.Popen[bytes]) -> None:
    policy = MonitorPolicy.model_validate({"sample_interval_s": 0.05, "hang_timeout_s": 0.2})
    monitor = Monitor(policy)
    monitor.watch("com.example.notes", child.pid, "Notes")
    got: queue.Queue[BudgetDecision] = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(target=monitor.run, args=(stop, got.put))
    thread.start()
    try:
        decision = got.get(timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert (decision.action, decision.metric) == ("terminate", "hang")
    assert not thread.is_alive()


def test_a_burst_after_a_quiet_spell_is_a_burst(
    child: subprocess.Popen[bytes], clock: FakeClock
) -> None:
    """The runtime reports only on change: 500 requests after 100 quiet seconds took ≤ 1 s."""
    monitor = Monitor(HostPolicy().monitor, clock=clock)
    monitor.watch("com.example.notes", child.pid, "Notes")
    monitor.report_counters("com.example.notes", {"net.allowed": 10})
    clock.now = 100.0
    monitor.report_counters("com.example.notes", {"net.allowed": 300, "net.blocked": 210})
    monitor.heartbeat("com.example.notes")
    assert monitor.sample()["com.example.notes"].net_requests_per_s == 500.0
    clock.now = 100.01  # a second report queued right behind: not 1,000x the rate
    monitor.report_counters("com.example.notes", {"net.allowed": 310, "net.blocked": 210})
    assert monitor.sample()["com.example.notes"].net_requests_per_s == 20.0


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 2.5 * GiB), st.floats(0.0, 400.0)),
        min_size=1,
        max_size=60,
    )
)
def test_escalation_is_monotonic_and_stops_once(steps: list[tuple[float, float, float]]) -> None:
    """Any sequence of samples: at most one terminate, and it is the last word; throttle and
    recover alternate; nothing is stopped before its bound unless far over."""
    clock = FakeClock()
    policy = HostPolicy().monitor
    ev = BudgetEvaluator(policy, clock)
    seen: list[BudgetDecision] = []
    for gap, memory, cpu in steps:
        clock.now += gap
        seen += ev.evaluate(_sample(memory_bytes=int(memory), cpu_percent=cpu))
    terminates = [d for d in seen if d.action == "terminate"]
    assert len(terminates) <= 1
    if terminates:
        assert seen[-1] is terminates[0]
        d = terminates[0]
        if d.metric == "memory":
            assert d.over_for_s >= 3.0 or d.value >= 2 * GiB
        else:
            assert d.metric == "cpu" and d.over_for_s >= 60.0
    for metric in ("memory", "cpu"):
        # throttling is announced once and lifted (recover) before it can be announced again;
        # a recover only ever lifts a throttle
        throttled = False
        for action in [d.action for d in seen if d.metric == metric]:
            if action == "throttle":
                assert not throttled
                throttled = True
            elif action == "recover":
                assert throttled
                throttled = False


def test_audit_flood_is_counted_by_the_host_and_stopped_by_the_default_budget(
    child: subprocess.Popen[bytes], clock: FakeClock
) -> None:
    monitor = Monitor(HostPolicy().monitor, clock=clock)
    monitor.watch("com.example.notes", child.pid, "Notes", heartbeats=False)
    decisions: list[BudgetDecision] = []
    for t in range(1, 13):
        monitor.count_audit("com.example.notes", 300)  # what the supervisor counts per event
        clock.now = float(t)
        decisions += monitor.tick()
    assert monitor.latest()["com.example.notes"].audit_events_per_s == 300.0
    assert [(d.action, d.metric) for d in decisions] == [
        ("warn", "audit_events"),
        ("throttle", "audit_events"),
        ("terminate", "audit_events"),
    ]
    assert decisions[-1].message == (
        "Notes was stopped: it was making 300 audit log entries a second (limit 20)"
    )
    monitor.count_audit("com.example.other", 10_000)  # not watched: ignored

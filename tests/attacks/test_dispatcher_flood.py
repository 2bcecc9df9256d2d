"""Flooding the door: RATE_LIMITED quickly, bounded audit, and other apps keep their answers."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.testing import ManualClock, TestBridge, open_test_bridge, request

FLOOD = 10_000


@pytest.fixture
def opened() -> Iterator[list[TestBridge]]:
    bridges: list[TestBridge] = []
    yield bridges
    for b in bridges:
        b.close()


def test_flood_of_10000_calls_is_rate_limited_while_other_app_answers(
    tmp_path: Path, opened: list[TestBridge]
) -> None:
    hostile = open_test_bridge(tmp_path, "com.example.flood")
    victim = open_test_bridge(tmp_path, "com.example.victim")
    opened += [hostile, victim]
    rate = hostile.dispatcher.limits.rates["cheap"]
    codes: Counter[str] = Counter()
    started = threading.Event()

    def flood() -> None:
        raw = request("app.info")
        started.set()
        for _ in range(FLOOD):
            reply = json.loads(hostile.dispatcher.dispatch(raw))
            codes["ok" if reply["ok"] else reply["error"]["code"]] += 1

    t0 = time.monotonic()
    flooder = threading.Thread(target=flood)
    flooder.start()
    assert started.wait(timeout=30)
    victim_replies = [
        json.loads(victim.dispatcher.dispatch(request("app.info", id=i))) for i in range(50)
    ]
    flooder.join()
    elapsed = time.monotonic() - t0

    assert all(r["ok"] and r["result"]["appId"] == "com.example.victim" for r in victim_replies)
    assert sum(codes.values()) == FLOOD
    assert set(codes) <= {"ok", "RATE_LIMITED"}
    # Only the burst plus what refilled while the flood ran got through.
    assert codes["ok"] <= rate.burst + rate.per_second * elapsed + 1
    assert codes["RATE_LIMITED"] >= FLOOD - (rate.burst + rate.per_second * elapsed + 1)


def test_flood_does_not_flood_the_audit_log(tmp_path: Path, opened: list[TestBridge]) -> None:
    clock = ManualClock()
    b = open_test_bridge(tmp_path, "com.example.flood", clock=clock)
    opened.append(b)
    raw = request("app.info")
    for _ in range(FLOOD):
        b.dispatcher.dispatch(raw)
    limited = [
        e for e in b.audit_events("bridge.denied") if e["superapp"]["code"] == "RATE_LIMITED"
    ]
    burst = int(b.dispatcher.limits.rates["cheap"].burst)
    assert len(limited) == int(b.dispatcher.limits.audit_denials.burst)
    b.dispatcher.close()
    summary = b.audit_events("bridge.denied.suppressed")
    assert [(e["superapp"]["api"], e["superapp"]["code"]) for e in summary] == [
        ("app.info", "RATE_LIMITED")
    ]
    # Every denial is accounted for: written one by one, or counted in the summary.
    assert len(limited) + summary[0]["superapp"]["suppressed"] == FLOOD - burst


def test_flood_of_random_names_keeps_audit_and_memory_bounded(
    tmp_path: Path, opened: list[TestBridge]
) -> None:
    clock = ManualClock()
    b = open_test_bridge(tmp_path, "com.example.flood", clock=clock)
    opened.append(b)
    for i in range(FLOOD):
        reply = json.loads(b.dispatcher.dispatch(request(f"name{i}", id=i)))
        assert reply["error"]["code"] == "UNKNOWN_API"
    assert len(b.audit_events("bridge.denied")) == int(b.dispatcher.limits.audit_denials.burst)
    assert len(b.dispatcher._suppressed) == 1  # one key for every unknown name


def test_flood_of_one_api_does_not_starve_another(tmp_path: Path, opened: list[TestBridge]) -> None:
    clock = ManualClock()
    b = open_test_bridge(tmp_path, "com.example.flood", clock=clock)
    opened.append(b)
    for _ in range(1000):
        b.dispatcher.dispatch(request("app.info"))
    assert b.call("app.info")["error"]["code"] == "RATE_LIMITED"
    assert b.call("ui.toast", {"text": "still here"})["ok"] is True
    clock.advance(1.0)  # the bucket refills with time
    assert b.call("app.info")["ok"] is True

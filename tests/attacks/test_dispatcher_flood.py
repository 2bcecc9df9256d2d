"""Flooding the door: RATE_LIMITED quickly, bounded audit, and other apps keep their answers."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.limits import DEFAULT_LIMITS
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
    # Two limiters refuse in turn: the API's bucket, then the app's call budget (audited
    # under "<unknown>" since it refuses before the request is read); each writes one burst.
    assert len(limited) == 2 * int(b.dispatcher.limits.audit_denials.burst)
    b.dispatcher.close()
    summary = b.audit_events("bridge.denied.suppressed")
    assert sorted((e["superapp"]["api"], e["superapp"]["code"]) for e in summary) == [
        ("<unknown>", "RATE_LIMITED"),
        ("app.info", "RATE_LIMITED"),
    ]
    # Every denial is accounted for: written one by one, or counted in the summary.
    suppressed = sum(e["superapp"]["suppressed"] for e in summary)
    assert len(limited) + suppressed == FLOOD - burst


def test_flood_of_random_names_keeps_audit_and_memory_bounded(
    tmp_path: Path, opened: list[TestBridge]
) -> None:
    clock = ManualClock()
    b = open_test_bridge(tmp_path, "com.example.flood", clock=clock)
    opened.append(b)
    codes: Counter[str] = Counter()
    for i in range(FLOOD):
        reply = json.loads(b.dispatcher.dispatch(request(f"name{i}", id=i)))
        codes[reply["error"]["code"]] += 1
    # Unknown names until the call budget is spent, then the limiter.
    assert codes["UNKNOWN_API"] == int(b.dispatcher.limits.calls.burst)
    assert codes["RATE_LIMITED"] == FLOOD - codes["UNKNOWN_API"]
    burst = int(b.dispatcher.limits.audit_denials.burst)
    assert len(b.audit_events("bridge.denied")) == 2 * burst  # one run per (key, code)
    # One key for every unknown name, one for the budget: random names cannot grow state.
    assert len(b.dispatcher._suppressed) == 2


INVALID_FLOODS = {
    "invalid-params": lambda i: request("ui.toast", {"text": i}, id=i),
    "unknown-api": lambda i: request(f"nope.{i}", id=i),
    "undecodable": lambda i: "{" * (i % 50 + 1),
    "oversize": lambda i: " " * (DEFAULT_LIMITS.max_request_bytes + 1),
    "no-capability": lambda i: request("storage.get", {"key": "k"}, id=i),
}


@pytest.mark.parametrize("kind", list(INVALID_FLOODS), ids=list(INVALID_FLOODS))
def test_flood_of_invalid_calls_meets_the_rate_limiter(
    kind: str, tmp_path: Path, opened: list[TestBridge]
) -> None:
    """Calls refused before the per-API limiter still spend the app's call budget: a flood
    of them is RATE_LIMITED, audited, and the budget refills with time."""
    clock = ManualClock()
    b = open_test_bridge(tmp_path, "com.example.flood", clock=clock)
    opened.append(b)
    budget = b.dispatcher.limits.calls
    make = INVALID_FLOODS[kind]
    codes = [
        json.loads(b.dispatcher.dispatch(make(i)))["error"]["code"]
        for i in range(int(budget.burst) + 50)
    ]
    # The budget answers under the request's id, so the page's promise settles.
    refused = json.loads(b.dispatcher.dispatch(request("app.info", id=4242)))
    assert refused["id"] == 4242 and refused["error"]["code"] == "RATE_LIMITED"
    assert "RATE_LIMITED" not in codes[: int(budget.burst)]
    assert codes[int(budget.burst) :] == ["RATE_LIMITED"] * 50
    limited = [
        e for e in b.audit_events("bridge.denied") if e["superapp"]["code"] == "RATE_LIMITED"
    ]
    assert limited and limited[0]["event"]["reason"] == "too many calls; slow down"
    # Valid calls are refused too while the budget is spent, and come back as it refills.
    assert b.call("app.info")["error"]["code"] == "RATE_LIMITED"
    clock.advance(1.0)
    assert b.call("app.info")["ok"] is True


def test_flood_of_one_api_does_not_starve_another(tmp_path: Path, opened: list[TestBridge]) -> None:
    clock = ManualClock()
    b = open_test_bridge(tmp_path, "com.example.flood", clock=clock)
    opened.append(b)
    # More than the API's bucket, less than the app's whole call budget.
    for _ in range(int(b.dispatcher.limits.rates["cheap"].burst) * 2):
        b.dispatcher.dispatch(request("app.info"))
    assert b.call("app.info")["error"]["code"] == "RATE_LIMITED"
    assert b.call("ui.toast", {"text": "still here"})["ok"] is True
    clock.advance(1.0)  # the bucket refills with time
    assert b.call("app.info")["ok"] is True

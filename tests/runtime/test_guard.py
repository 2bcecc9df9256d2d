"""``RequestGuard``: the runtime's audit-flood limiter for refused requests (DESIGN §6.3, §6.8).

What it lets through (the first refusal of each (action, rule, url, fields), and again once
the repeat window has passed), what it folds (the same refusal inside the window: counted,
not audited), and its bounds (urls cut at 2048 characters, at most ``max_remembered`` keys).
The clock is a manual one: nothing here depends on real time.
"""

from __future__ import annotations

import threading
from typing import Any

from superapp.runtime._guard import GuardConfig, RequestGuard

URL = "https://tracker.example/pixel.gif"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Sink:
    """The audit callable: every event the guard let through, as keyword arguments."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, action: str, **fields: Any) -> None:
        with self._lock:
            self.events.append({"action": action, **fields})


def _guard(**config: Any) -> tuple[RequestGuard, Sink, Clock]:
    sink, clock = Sink(), Clock()
    return RequestGuard(sink, GuardConfig(**config), clock=clock), sink, clock


def test_first_refusal_is_audited_with_its_details() -> None:
    guard, sink, _ = _guard()
    guard.blocked("net.blocked", URL, "host-not-allowed", "not in allowed_hosts", kind="image")
    assert sink.events == [
        {
            "action": "net.blocked",
            "outcome": "failure",
            "reason": "not in allowed_hosts",
            "url": URL,
            "rule": "host-not-allowed",
            "kind": "image",
        }
    ]
    assert guard.counters["net.blocked"] == 1
    assert guard.counters["net.blocked.folded"] == 0


def test_repeats_inside_the_window_are_counted_not_audited() -> None:
    guard, sink, clock = _guard(repeat_window_s=10.0)
    for _ in range(50):
        guard.blocked("net.blocked", URL, "host-not-allowed", "no", kind="image")
        clock.now += 0.1  # 5 s in all: still inside the window of the first
    assert len(sink.events) == 1
    assert guard.counters["net.blocked"] == 50
    assert guard.counters["net.blocked.folded"] == 49


def test_the_same_refusal_is_audited_again_after_the_window() -> None:
    guard, sink, clock = _guard(repeat_window_s=10.0)
    guard.blocked("nav.blocked", URL, "scheme-data", "no")
    first = clock.now
    clock.now = first + 9.5
    guard.blocked("nav.blocked", URL, "scheme-data", "no")
    assert len(sink.events) == 1
    clock.now = first + 10.0  # exactly the window since the first: no longer a repeat
    guard.blocked("nav.blocked", URL, "scheme-data", "no")
    assert len(sink.events) == 2
    # The window restarts at the audited one, not at the folded one.
    clock.now += 5.0
    guard.blocked("nav.blocked", URL, "scheme-data", "no")
    assert len(sink.events) == 2
    assert guard.counters["nav.blocked.folded"] == 2


def test_a_different_action_rule_url_or_field_is_not_folded() -> None:
    guard, sink, _ = _guard()
    guard.blocked("net.blocked", URL, "r1", "no", kind="image")
    guard.blocked("nav.blocked", URL, "r1", "no", kind="image")  # action
    guard.blocked("net.blocked", URL, "r2", "no", kind="image")  # rule
    guard.blocked("net.blocked", URL + "?2", "r1", "no", kind="image")  # url
    guard.blocked("net.blocked", URL, "r1", "no", kind="script")  # field value
    guard.blocked("net.blocked", URL, "r1", "no", kind="image", via="egress")  # extra field
    assert len(sink.events) == 6
    assert guard.counters["net.blocked.folded"] == 0


def test_the_fields_order_does_not_make_a_new_refusal() -> None:
    guard, sink, _ = _guard()
    guard.blocked("net.blocked", URL, "r", "no", kind="image", via="egress")
    guard.blocked("net.blocked", URL, "r", "no", via="egress", kind="image")
    assert len(sink.events) == 1


def test_the_reason_text_alone_does_not_make_a_new_refusal() -> None:
    # The key is (action, rule, url, fields): a page cannot vary a reason to get past it.
    guard, sink, _ = _guard()
    guard.blocked("net.blocked", URL, "r", "first wording")
    guard.blocked("net.blocked", URL, "r", "second wording")
    assert len(sink.events) == 1


def test_long_urls_are_cut_and_fold_on_their_first_2048_characters() -> None:
    guard, sink, _ = _guard()
    base = "https://x.example/" + "a" * 5000
    guard.blocked("net.blocked", base + "1", "r", "no")
    guard.blocked("net.blocked", base + "2", "r", "no")  # differs only past the cut
    [event] = sink.events
    assert event["url"] == base[:2048]
    assert guard.counters["net.blocked.folded"] == 1


def test_remembered_keys_are_bounded_and_forgetting_only_audits_again() -> None:
    guard, sink, _ = _guard(max_remembered=3)
    urls = [f"{URL}?{i}" for i in range(3)]
    for url in urls:
        guard.blocked("net.blocked", url, "r", "no")
    guard.blocked("net.blocked", urls[0], "r", "no")
    assert len(sink.events) == 3  # still remembered: folded
    assert len(guard._seen) == 3
    guard.blocked("net.blocked", URL + "?new", "r", "no")  # full: the memory starts over
    assert len(guard._seen) == 1
    guard.blocked("net.blocked", urls[0], "r", "no")  # forgotten: audited again, never lost
    assert len(sink.events) == 5
    # A page cycling through endless distinct urls never grows the memory past the bound.
    for i in range(100):
        guard.blocked("net.blocked", f"{URL}?cycle{i}", "r", "no")
        assert len(guard._seen) <= 3
    assert guard.counters["net.blocked"] == 106


def test_allowed_is_counted_and_never_audited() -> None:
    guard, sink, _ = _guard()
    for _ in range(3):
        guard.allowed("net.allowed")
    assert sink.events == []
    assert guard.counters["net.allowed"] == 3


def test_concurrent_repeats_are_audited_once() -> None:
    guard, sink, _ = _guard()
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        for _ in range(200):
            guard.blocked("net.blocked", URL, "r", "no")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sink.events) == 1
    assert guard.counters["net.blocked"] == 1600
    assert guard.counters["net.blocked.folded"] == 1599

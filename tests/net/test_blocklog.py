"""The engine's block log: every refusal counted, the audit log bounded, nothing lost silently."""

from __future__ import annotations

from typing import Any

from superapp.audit import AuditLog
from superapp.net import BlockLog, BlockLogLimits, NetPolicy, RequestKind

APP = "com.example.notes"
POLICY = NetPolicy.from_manifest(APP, ["api.example.com"])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _events(audit: AuditLog, action: str) -> list[dict[str, Any]]:
    return [
        {**e["superapp"], "reason": e["event"]["reason"]}
        for e in audit.events()
        if e["event"]["action"] == action
    ]


def _refuse(url: str) -> Any:
    decision = POLICY.decide(url, kind=RequestKind.IMAGE, top_level=False)
    assert not decision.allowed
    return decision


def test_each_refusal_is_one_audit_event_with_app_url_kind_and_rule(audit: AuditLog) -> None:
    log = BlockLog(audit, APP)
    assert log.blocked("https://evil.test/a.png", _refuse("https://evil.test/a.png"), kind="image")
    assert log.blocked("file:///etc/passwd", _refuse("file:///etc/passwd"), kind="navigation")
    first, second = _events(audit, "net.blocked")
    assert first["app_id"] == APP
    assert (first["url"], first["kind"], first["rule"], first["via"]) == (
        "https://evil.test/a.png", "image", "not-allowlisted", "engine",
    )  # fmt: skip
    assert "evil.test" in first["reason"]
    assert (second["rule"], second["kind"]) == ("scheme-file", "navigation")


def test_a_flood_is_bounded_in_the_log_but_fully_counted(audit: AuditLog) -> None:
    clock = Clock()
    log = BlockLog(audit, APP, limits=BlockLogLimits(window_s=10, max_events_per_window=5),
                   clock=clock)  # fmt: skip
    for i in range(1000):
        url = f"https://evil.test/{i}.png"
        log.blocked(url, _refuse(url), kind="image")
    assert len(_events(audit, "net.blocked")) == 5
    assert log.total == 1000
    assert log.metrics() == {"net.blocked": 1000, "net.blocked.not-allowlisted": 1000}
    clock.now += 10
    url = "https://evil.test/late.png"
    assert log.blocked(url, _refuse(url), kind="image")
    (summary,) = _events(audit, "net.blocked.suppressed")
    assert summary["count"] == 995
    assert len(_events(audit, "net.blocked")) == 6


def test_repeats_of_one_url_are_written_once_per_window(audit: AuditLog) -> None:
    clock = Clock()
    log = BlockLog(audit, APP, clock=clock)
    url = "https://evil.test/beacon"
    results = [log.blocked(url, _refuse(url), kind="beacon") for _ in range(3)]
    assert results == [True, False, False]
    log.flush()
    (summary,) = _events(audit, "net.blocked.suppressed")
    assert summary["count"] == 2
    assert log.blocked(url, _refuse(url), kind="beacon")


def test_flush_without_suppressed_refusals_writes_nothing(audit: AuditLog) -> None:
    log = BlockLog(audit, APP)
    log.flush()
    assert list(audit.events()) == []


def test_long_urls_are_cut_in_the_log(audit: AuditLog) -> None:
    log = BlockLog(audit, APP, limits=BlockLogLimits(max_url=40))
    url = "https://evil.test/" + "a" * 500
    log.blocked(url, _refuse(url), kind="image")
    assert len(_events(audit, "net.blocked")[0]["url"]) == 40

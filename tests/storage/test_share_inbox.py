"""The host-owned inbox behind share.send / share.inbox (issue 6 item 5)."""

from __future__ import annotations

import json

import pytest

from superapp.core.paths import Paths
from superapp.state import inbox as share


def test_delivered_items_are_taken_once_in_order_with_the_sender(superapp_home: Paths) -> None:
    share.deliver(superapp_home, "com.a.sender", "com.b.receiver", json.dumps({"n": 1}))
    share.deliver(superapp_home, "com.a.sender", "com.b.receiver", json.dumps({"n": 2}))
    items = share.take(superapp_home, "com.b.receiver")
    assert [(m.from_app, m.data) for m in items] == [
        ("com.a.sender", {"n": 1}),
        ("com.a.sender", {"n": 2}),
    ]
    assert share.take(superapp_home, "com.b.receiver") == []


def test_an_app_never_reads_another_apps_inbox(superapp_home: Paths) -> None:
    share.deliver(superapp_home, "com.a.sender", "com.b.receiver", '"secret"')
    assert share.take(superapp_home, "com.c.snoop") == []
    assert share.pending(superapp_home, "com.b.receiver") == 1


def test_full_inbox_refuses_and_keeps_what_it_has(superapp_home: Paths) -> None:
    limits = share.ShareLimits(max_pending=2)
    for n in range(2):
        share.deliver(superapp_home, "com.a.s", "com.b.r", str(n), limits)
    with pytest.raises(share.InboxFullError):
        share.deliver(superapp_home, "com.a.s", "com.b.r", "3", limits)
    assert [m.data for m in share.take(superapp_home, "com.b.r")] == [0, 1]


@pytest.mark.parametrize("payload", ["not json", "x" * 70_000], ids=["not-json", "oversized"])
def test_bad_payloads_are_refused(superapp_home: Paths, payload: str) -> None:
    with pytest.raises(ValueError):
        share.deliver(superapp_home, "com.a.s", "com.b.r", payload)
    assert share.pending(superapp_home, "com.b.r") == 0

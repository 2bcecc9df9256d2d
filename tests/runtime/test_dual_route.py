"""The runtime's router between a dual-mode app's view and logic (``engine._dual``), without a
window: what crosses, what is refused and audited, what the budgets count, and that a side
that is not up yet holds a bounded number of messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWebEngineCore")

from superapp.core.errors import RateLimitedError
from superapp.runtime._dual import DEFAULT_DUAL_LIMITS, DualLimits, MessageRate
from superapp.runtime._guard import RequestGuard
from superapp.runtime.engine._dual import DualMode


class _Audit:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, action: str, **fields: Any) -> None:
        self.events.append((action, fields))


def _dual(
    limits: DualLimits = DEFAULT_DUAL_LIMITS,
) -> tuple[DualMode, RequestGuard, _Audit, dict[str, list[str]]]:
    mode = DualMode(
        logic_scripts=("logic.js",), view_shim_js="", view_relay_js="", logic_relay_js="",
        logic_host_js="", worker_shim_js="__SUPERAPP_LOGIC_SCRIPTS__",
        on_crash=lambda which, reason: None, limits=limits,
    )  # fmt: skip
    audit = _Audit()
    guard = RequestGuard(audit)
    mode._guard = guard
    seen: dict[str, list[str]] = {"view": [], "logic": [], "view-ack": [], "logic-ack": []}
    mode.view_link.deliver.connect(seen["view"].append)
    mode.logic_link.deliver.connect(seen["logic"].append)
    mode.view_link.ack.connect(seen["view-ack"].append)
    mode.logic_link.ack.connect(seen["logic-ack"].append)
    mode.view_link.ready()
    mode.logic_link.ready()
    return mode, guard, audit, seen


def test_a_message_crosses_as_canonical_data_and_counts_in_the_budget() -> None:
    mode, guard, audit, seen = _dual()
    mode.view_link.post('{"id": 3, "data": {"op": "add", "n": [1, 2]}}')
    assert seen["logic"] == ['{"op":"add","n":[1,2]}']
    assert [json.loads(a) for a in seen["view-ack"]] == [{"id": 3, "ok": True}]
    mode.logic_link.post('{"id": 1, "data": "done"}')
    assert seen["view"] == ['"done"']
    assert guard.counters["dual.messages"] == 2 and guard.counters["bridge.calls.all"] == 2
    assert audit.events == []


def test_a_refused_message_is_acked_with_its_code_audited_and_not_delivered() -> None:
    mode, guard, audit, seen = _dual(DualLimits(max_message_bytes=100))
    mode.view_link.post(json.dumps({"id": 9, "data": "x" * 200}))
    mode.view_link.post('{"id": 10, "api": "storage.set", "params": {}}')
    assert seen["logic"] == []
    acks = [json.loads(a) for a in seen["view-ack"]]
    assert [(a["id"], a["ok"], a["error"]["code"]) for a in acks] == [
        (9, False, "PAYLOAD_TOO_LARGE"),  # the sender gets its id back
        (10, False, "INVALID_PARAMS"),
    ]
    assert [(a, f["rule"], f["direction"]) for a, f in audit.events] == [
        ("dual.message_refused", "PAYLOAD_TOO_LARGE", "view->logic"),
        ("dual.message_refused", "INVALID_PARAMS", "view->logic"),
    ]
    assert guard.counters["dual.messages"] == 0


def test_messages_wait_for_a_side_that_is_not_up_until_the_limit() -> None:
    mode = DualMode(
        logic_scripts=("a.js",), view_shim_js="", view_relay_js="", logic_relay_js="",
        logic_host_js="", worker_shim_js="", on_crash=lambda w, r: None,
        limits=DualLimits(max_queued=2),
    )  # fmt: skip
    mode._guard = RequestGuard(_Audit())
    got: list[str] = []
    acks: list[str] = []
    mode.logic_link.deliver.connect(got.append)
    mode.view_link.ack.connect(acks.append)
    for i in range(3):
        mode.view_link.post(json.dumps({"id": i, "data": i}))
    assert got == [] and [json.loads(a)["ok"] for a in acks] == [True, True, False]
    assert json.loads(acks[2])["error"]["code"] == "RATE_LIMITED"
    mode.logic_link.ready()
    assert got == ["0", "1"]


def test_a_message_flood_meets_each_sides_bucket() -> None:
    now = [100.0]
    rate = MessageRate(DualLimits(burst=3, per_second=1), clock=lambda: now[0])
    for _ in range(3):
        rate.take("view")
    with pytest.raises(RateLimitedError, match="from the app's view"):
        rate.take("view")
    rate.take("logic")  # the other side has its own bucket
    now[0] += 1.0
    rate.take("view")  # refilled


def test_a_refused_logic_reply_is_acked_to_the_logic_and_never_reaches_the_view() -> None:
    # Each side spends its own bucket, so a logic that answers every view message can be
    # refused while the view is admitted (bench/bridge.py hung on a dropped answer): the logic
    # must hear RATE_LIMITED for the message id it sent, so it can answer again later.
    mode, guard, audit, seen = _dual(DualLimits(burst=2, per_second=1e-9))
    mode.view_link.post('{"id": 1, "data": {"i": 1}}')
    mode.logic_link.post('{"id": 1, "data": {"progress": 1}}')
    mode.logic_link.post('{"id": 2, "data": {"i": 1}}')
    mode.view_link.post('{"id": 2, "data": {"i": 2}}')  # the view still has a token
    mode.logic_link.post('{"id": 3, "data": {"i": 2}}')  # the logic has none left
    assert seen["logic"] == ['{"i":1}', '{"i":2}']
    assert seen["view"] == ['{"progress":1}', '{"i":1}']
    acks = [json.loads(a) for a in seen["logic-ack"]]
    assert [(a["id"], a["ok"]) for a in acks] == [(1, True), (2, True), (3, False)]
    assert acks[2]["error"]["code"] == "RATE_LIMITED"
    assert [(a, f["rule"], f["direction"]) for a, f in audit.events] == [
        ("dual.message_refused", "RATE_LIMITED", "logic->view")
    ]
    assert guard.counters["dual.messages"] == 4

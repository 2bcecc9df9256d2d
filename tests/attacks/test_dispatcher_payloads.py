"""Hostile request texts: oversized, nested, smuggled and malformed payloads are refused,
audited, answered under their own id where it can be read, and change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.limits import BridgeLimits
from bridge.testing import TestBridge, open_test_bridge
from superapp.core.consent import FixedAnswerBroker

APP = "com.example.hostile"


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[TestBridge]:
    b = open_test_bridge(
        tmp_path,
        APP,
        declared={"clipboard:write", "notifications"},
        broker=FixedAnswerBroker.allow(),
        limits=BridgeLimits(max_request_bytes=64 * 1024),
    )
    yield b
    b.close()


def _reply(b: TestBridge, raw: str | bytes) -> dict[str, object]:
    reply = json.loads(b.dispatcher.dispatch(raw))
    assert isinstance(reply, dict)
    return reply


def _denied(b: TestBridge) -> list[tuple[str, str]]:
    return [
        (e["superapp"]["app_id"], e["superapp"]["code"]) for e in b.audit_events("bridge.denied")
    ]


def _unchanged(b: TestBridge) -> None:
    assert (b.ui.clipboard, b.ui.toasts, b.ui.notifications, b.ui.closed) == ("", [], [], 0)


def test_oversized_request_is_refused_before_decoding(bridge: TestBridge) -> None:
    raw = '{"id": 77, "api": "clipboard.writeText", "params": {"text": "' + "A" * 70_000 + '"}}'
    reply = _reply(bridge, raw)
    assert reply["id"] == 77
    assert reply["error"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "message": "request is larger than 65536 bytes",
    }
    assert _denied(bridge) == [(APP, "PAYLOAD_TOO_LARGE")]
    _unchanged(bridge)


def test_nesting_bomb_is_refused(bridge: TestBridge) -> None:
    raw = '{"id": 3, "api": "ui.toast", "params": {"text": ' + "[" * 30_000 + "]" * 30_000 + "}}"
    reply = _reply(bridge, raw)
    assert (reply["id"], reply["error"]["code"]) == (3, "INVALID_PARAMS")  # type: ignore[index]
    assert _denied(bridge) == [(APP, "INVALID_PARAMS")]
    _unchanged(bridge)


@pytest.mark.parametrize(
    "raw",
    [
        # A checker that reads the first "api" and a handler that reads the last must never
        # disagree: duplicate keys are refused outright.
        '{"id": 1, "api": "ui.toast", "api": "clipboard.writeText", "params": {"text": "x"}}',
        '{"id": 1, "api": "clipboard.writeText", "params": {"text": "a", "text": "b"}}',
        '{"id": 1, "api": "clipboard.writeText", "params": {"text": "x", "__proto__": {}}}',
        '{"id": 1, "api": "clipboard.writeText", "params": {"text": "x", "constructor": 1}}',
        '{"id": 1, "api": "clipboard.writeText", "params": {"text": NaN}}',
        '{"id": 1, "api": "clipboard.writeText", "params": {"text": "\\ud83d"}}',
        '{"id": 1, "api": "clipboard.writeText\\ud800", "params": {"text": "x"}}',
        '{"id": 1, "api": "clipboard.writeText", "params": {"text": ["x"]}}',
        '{"id": 1, "api": "clipboard.writeText", "params": {"text": {"toString": "x"}}}',
    ],
    ids=[
        "duplicate-api",
        "duplicate-param",
        "proto-key",
        "constructor-key",
        "nan",
        "lone-surrogate-param",
        "lone-surrogate-api",
        "array-for-string",
        "object-for-string",
    ],
)
def test_smuggled_payload_is_invalid_params(bridge: TestBridge, raw: str) -> None:
    reply = _reply(bridge, raw)
    assert (reply["id"], reply["error"]["code"]) == (1, "INVALID_PARAMS")  # type: ignore[index]
    assert _denied(bridge) == [(APP, "INVALID_PARAMS")]
    _unchanged(bridge)
    # The audit log stays valid UTF-8 JSON Lines whatever the page sent.
    for line in bridge.paths.audit_log.read_bytes().splitlines():
        json.loads(line.decode("utf-8"))


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe{", b'{"id": 1, "api": "ui.toast\xc0\xaf"}', "", "   ", "\x00", "[]", "1e999"],
    ids=["bom-garbage", "overlong-utf8", "empty", "blank", "nul", "array", "overflow"],
)
def test_unreadable_request_gets_a_null_id_reply(bridge: TestBridge, raw: str | bytes) -> None:
    reply = _reply(bridge, raw)
    assert reply["id"] is None
    assert reply["error"]["code"] == "INVALID_PARAMS"  # type: ignore[index]
    assert _denied(bridge) == [(APP, "INVALID_PARAMS")]
    _unchanged(bridge)

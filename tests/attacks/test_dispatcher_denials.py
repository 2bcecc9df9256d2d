"""Hostile calls through callNative: each is refused with its code, audited, and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.testing import TestBridge, open_test_bridge, request
from superapp.core.consent import ConsentAnswer, FixedAnswerBroker
from superapp.state.grants import GrantStore

APP = "com.example.hostile"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SUPERAPP_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def opened() -> Iterator[list[TestBridge]]:
    bridges: list[TestBridge] = []
    yield bridges
    for b in bridges:
        b.close()


def _open(home: Path, opened: list[TestBridge], **kw: Any) -> TestBridge:
    b = open_test_bridge(home, kw.pop("app_id", APP), **kw)
    opened.append(b)
    return b


def _denials(b: TestBridge) -> list[tuple[str, str, str]]:
    return [
        (e["superapp"]["app_id"], e["superapp"]["api"], e["superapp"]["code"])
        for e in b.audit_events("bridge.denied")
    ]


def _nothing_happened(b: TestBridge) -> None:
    assert (b.ui.toasts, b.ui.notifications, b.ui.closed, b.ui.clipboard) == ([], [], 0, "")


def test_undeclared_capability_is_permission_denied(home: Path, opened: list[TestBridge]) -> None:
    broker = FixedAnswerBroker.allow()
    b = _open(home, opened, declared={"notifications"}, broker=broker)
    reply = b.call("clipboard.readText", id=4)
    assert reply == {
        "id": 4,
        "ok": False,
        "error": {
            "code": "PERMISSION_DENIED",
            "message": "capability 'clipboard:read' is not declared in the app's manifest",
        },
    }
    assert _denials(b) == [(APP, "clipboard.readText", "PERMISSION_DENIED")]
    assert "clipboard:read" in b.audit_events("bridge.denied")[0]["event"]["reason"]
    assert broker.asked == []  # an undeclared capability is never even asked for
    with GrantStore(b.paths.registry_db) as store:
        assert store.state(APP, "clipboard:read") is None
    _nothing_happened(b)


def test_undeclared_capability_cannot_be_requested(home: Path, opened: list[TestBridge]) -> None:
    broker = FixedAnswerBroker.allow()
    b = _open(home, opened, broker=broker)
    reply = b.call("app.requestCapability", {"capability": "user:readProfile"})
    assert reply["error"]["code"] == "PERMISSION_DENIED"
    assert _denials(b) == [(APP, "app.requestCapability", "PERMISSION_DENIED")]
    assert broker.asked == []


def test_forged_grant_row_for_undeclared_capability_grants_nothing(
    home: Path, opened: list[TestBridge]
) -> None:
    b = _open(home, opened, declared={"notifications"}, broker=FixedAnswerBroker.allow())
    with GrantStore(b.paths.registry_db) as store:
        store.grant(APP, "clipboard:read")
    assert b.call("clipboard.readText")["error"]["code"] == "PERMISSION_DENIED"


def test_consent_denied_is_consent_denied(home: Path, opened: list[TestBridge]) -> None:
    broker = FixedAnswerBroker.deny()
    b = _open(home, opened, declared={"clipboard:read"}, broker=broker)
    b.ui.clipboard_write("the user's password")
    reply = b.call("clipboard.readText", id=2)
    assert reply["error"]["code"] == "CONSENT_DENIED"
    assert "password" not in json.dumps(reply)
    assert _denials(b) == [(APP, "clipboard.readText", "CONSENT_DENIED")]
    assert [e["superapp"]["answer"] for e in b.audit_events("consent.answered")] == ["deny"]
    assert [(q.app_id, q.capability) for q in broker.asked] == [(APP, "clipboard:read")]
    with GrantStore(b.paths.registry_db) as store:
        assert store.state(APP, "clipboard:read") is None


def test_revoked_grant_stops_working_without_restart(home: Path, opened: list[TestBridge]) -> None:
    broker = FixedAnswerBroker(ConsentAnswer.ALLOW_ALWAYS)
    b = _open(home, opened, declared={"clipboard:read"}, broker=broker)
    assert b.call("clipboard.readText")["ok"] is True
    broker.answer = ConsentAnswer.DENY  # the user will say no if asked again
    # The user revokes from another process (CLI / launcher): a separate connection.
    with GrantStore(b.paths.registry_db) as cli:
        cli.revoke(APP, "clipboard:read")
    reply = b.call("clipboard.readText", id=8)  # same dispatcher, no restart
    assert (reply["id"], reply["error"]["code"]) == (8, "CONSENT_DENIED")
    assert _denials(b) == [(APP, "clipboard.readText", "CONSENT_DENIED")]


def test_revoked_consent_free_capability_stops_working(
    home: Path, opened: list[TestBridge]
) -> None:
    b = _open(home, opened, declared={"notifications"}, broker=FixedAnswerBroker.deny())
    assert b.call("notifications.show", {"title": "one"})["ok"] is True
    with GrantStore(b.paths.registry_db) as cli:
        cli.revoke(APP, "notifications")
    assert b.call("notifications.show", {"title": "two"})["error"]["code"] == "CONSENT_DENIED"
    assert b.ui.notifications == [("one", "")]
    assert _denials(b) == [(APP, "notifications.show", "CONSENT_DENIED")]


HOSTILE_NAMES = [
    "__class__",
    "__init__",
    "app.__class__",
    "app.info.__globals__",
    "app.info.__code__.co_consts",
    "bridge.dispatcher.Dispatcher.dispatch",
    "ctx.audit.record",
    "_table",
    "API_TABLE",
    "pywebviewMoveWindow",
    "pywebviewStateUpdate",
    "pywebviewFullscreen",
    "constructor",
    "__proto__",
    "toString",
    "",
    " app.info",
    "app.info ",
    "APP.INFO",
    "app..info",
    "app.info\x00",
    "app/info",
    "storage.get.__self__",
    "x" * 10_000,
    "\u202eofni.ppa",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n)[:30])
def test_api_name_traversal_is_unknown_api(home: Path, opened: list[TestBridge], name: str) -> None:
    b = _open(home, opened, declared={"notifications", "clipboard:write"})
    reply = b.call(name, {}, id=11)
    assert (reply["id"], reply["error"]["code"]) == (11, "UNKNOWN_API")
    assert len(reply["error"]["message"]) < 200  # a huge name is not echoed back in full
    events = b.audit_events("bridge.denied")
    assert [(e["superapp"]["app_id"], e["superapp"]["code"]) for e in events] == [
        (APP, "UNKNOWN_API")
    ]
    _nothing_happened(b)


@pytest.mark.parametrize(
    "raw",
    [
        '{"id": 1, "api": "app.info", "params": {"appId": "com.example.victim"}}',
        '{"id": 1, "api": "app.info", "params": {}, "app_id": "com.example.victim"}',
        '{"id": 1, "api": "app.info", "params": {}, "appId": "com.example.victim"}',
    ],
    ids=["in-params", "envelope-snake", "envelope-camel"],
)
def test_page_cannot_name_another_app(home: Path, opened: list[TestBridge], raw: str) -> None:
    _open(home, opened, app_id="com.example.victim")
    b = _open(home, opened)
    reply = json.loads(b.dispatcher.dispatch(raw))
    assert reply["error"]["code"] == "INVALID_PARAMS"
    assert _denials(b) == [(APP, reply_api(raw), "INVALID_PARAMS")]


def reply_api(raw: str) -> str:
    # Envelope errors are refused before lookup, so the audit cannot trust the api name.
    return "app.info" if '"params": {"appId"' in raw else "<unknown>"


def test_page_cannot_supply_the_consent_prompt_text(home: Path, opened: list[TestBridge]) -> None:
    broker = FixedAnswerBroker.allow()
    b = _open(
        home,
        opened,
        declared={"user:readProfile"},
        reasons={"user:readProfile": "Greet you by name"},
        broker=broker,
    )
    phishing = {"capability": "user:readProfile", "reason": "Click Allow to fix your account"}
    assert b.call("app.requestCapability", phishing)["error"]["code"] == "INVALID_PARAMS"
    assert broker.asked == []
    assert b.call("app.requestCapability", {"capability": "user:readProfile"})["ok"] is True
    assert [q.reason for q in broker.asked] == ["Greet you by name"]


def test_no_reply_leaks_a_host_path(home: Path, opened: list[TestBridge]) -> None:
    b = _open(home, opened, declared={"user:readProfile"}, broker=FixedAnswerBroker.allow())
    (b.paths.config / "profile.json").write_text("{not json")  # a broken profile file
    raws = [
        request("user.profile"),
        request("nope"),
        request("ui.toast", {"text": 5}),
        "garbage",
        request("clipboard.readText"),
    ]
    for raw in raws:
        text = b.dispatcher.dispatch(raw)
        assert str(home) not in text
        assert "Traceback" not in text
    assert json.loads(b.dispatcher.dispatch(request("user.profile")))["error"] == {
        "code": "INTERNAL",
        "message": "internal error",
    }

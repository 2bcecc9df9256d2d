"""The dispatcher's procedure, the first APIs, and how failures reach the page."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from bridge.context import CallContext
from bridge.dispatcher import Dispatcher
from bridge.errors import QuotaExceededError
from bridge.limits import RATE_CLASSES, BridgeLimits, RateLimit
from bridge.models import NoParams
from bridge.table import API_TABLE, ApiSpec
from bridge.testing import TestBridge, request
from superapp.core.consent import ConsentAnswer, FixedAnswerBroker
from superapp.state.grants import GrantStore
from superapp.state.profile import Profile, save_profile

MakeBridge = Callable[..., TestBridge]


def test_app_info_reports_identity_and_grants(make_bridge: MakeBridge) -> None:
    b = make_bridge("com.example.notes", declared={"notifications", "user:readProfile"})
    reply = b.call("app.info", id=5)
    assert reply == {
        "id": 5,
        "ok": True,
        "result": {
            "appId": "com.example.notes",
            "name": "Test app",
            "version": "1.0.0",
            "devMode": False,
            "declared": ["notifications", "user:readProfile"],
            "granted": ["notifications"],
            "hostVersion": reply["result"]["hostVersion"],
        },
    }


def test_toast_close_and_notification_reach_the_window(make_bridge: MakeBridge) -> None:
    b = make_bridge(declared={"notifications"})
    assert b.call("ui.toast", {"text": "Saved"})["ok"] is True
    assert b.call("notifications.show", {"title": "Done", "body": "3 notes"})["ok"] is True
    assert b.call("notifications.show", {"title": "Only title"})["ok"] is True
    assert b.call("app.close")["ok"] is True
    assert b.ui.toasts == ["Saved"]
    assert b.ui.notifications == [("Done", "3 notes"), ("Only title", "")]
    assert b.ui.closed == 1


def test_clipboard_round_trip_needs_both_capabilities(make_bridge: MakeBridge) -> None:
    b = make_bridge(
        declared={"clipboard:write", "clipboard:read"}, broker=FixedAnswerBroker.allow()
    )
    assert b.call("clipboard.writeText", {"text": "héllo"})["ok"] is True
    assert b.call("clipboard.readText") == {"id": 1, "ok": True, "result": {"text": "héllo"}}


def test_user_profile_returns_configured_profile_and_is_audited(
    make_bridge: MakeBridge,
) -> None:
    b = make_bridge(declared={"user:readProfile"}, broker=FixedAnswerBroker.allow())
    save_profile(b.paths, Profile(display_name="Ada", email="ada@example.org"))
    reply = b.call("user.profile")
    assert reply["result"] == {"displayName": "Ada", "email": "ada@example.org", "avatar": None}
    calls = b.audit_events("bridge.call")
    assert [(e["superapp"]["api"], e["event"]["outcome"]) for e in calls] == [
        ("user.profile", "success")
    ]


def test_user_profile_unconfigured_is_all_null(make_bridge: MakeBridge) -> None:
    b = make_bridge(declared={"user:readProfile"}, broker=FixedAnswerBroker.allow())
    assert b.call("user.profile")["result"] == {
        "displayName": None,
        "email": None,
        "avatar": None,
    }


def test_invalid_params_name_the_field_not_the_value(make_bridge: MakeBridge) -> None:
    b = make_bridge()
    reply = b.call("ui.toast", {"text": "x" * 201})
    assert reply["error"]["code"] == "INVALID_PARAMS"
    assert "text" in reply["error"]["message"]
    assert "xxxx" not in reply["error"]["message"]
    assert b.ui.toasts == []


@pytest.mark.parametrize(
    "params",
    [{"text": 1}, {"text": None}, {"text": ["a"]}, {}, {"text": "a", "more": 1}, {"Text": "a"}],
    ids=["int", "null", "list", "missing", "extra", "case"],
)
def test_params_are_strict(make_bridge: MakeBridge, params: dict[str, Any]) -> None:
    b = make_bridge()
    assert b.call("ui.toast", params)["error"]["code"] == "INVALID_PARAMS"
    assert b.ui.toasts == []


def test_validation_comes_before_the_capability_check(make_bridge: MakeBridge) -> None:
    # Undeclared capability *and* bad params: the params are reported (nothing is asked).
    b = make_bridge()
    assert b.call("notifications.show", {"nope": 1})["error"]["code"] == "INVALID_PARAMS"
    assert b.call("notifications.show", {"title": "t"})["error"]["code"] == "PERMISSION_DENIED"


def test_capability_check_comes_before_the_rate_limit(make_bridge: MakeBridge) -> None:
    limits = BridgeLimits(rates={**BridgeLimits().rates, "notify": RateLimit(1, 0.001)})
    b = make_bridge(limits=limits)
    for _ in range(3):
        assert b.call("notifications.show", {"title": "t"})["error"]["code"] == (
            "PERMISSION_DENIED"
        )


def _table_with(name: str, spec: ApiSpec) -> MappingProxyType[str, ApiSpec]:
    return MappingProxyType({**API_TABLE, name: spec})


def _dispatcher(b: TestBridge, table: MappingProxyType[str, ApiSpec], **kw: Any) -> Dispatcher:
    grants = GrantStore(b.paths.registry_db)
    return Dispatcher(
        b.ctx, grants=grants, consent=FixedAnswerBroker.deny(), table=table, owns_grants=True, **kw
    )


def _explode(ctx: CallContext, params: NoParams) -> None:
    raise OSError(f"cannot open {ctx.paths.data}/secret.db")


def test_unexpected_exception_is_internal_without_detail(
    make_bridge: MakeBridge, caplog: pytest.LogCaptureFixture
) -> None:
    b = make_bridge()
    d = _dispatcher(b, _table_with("test.explode", ApiSpec(None, NoParams, _explode, "cheap")))
    with caplog.at_level(logging.ERROR, logger="bridge"):
        reply = json.loads(d.dispatch(request("test.explode", id=9)))
    d.close()
    assert reply == {
        "id": 9,
        "ok": False,
        "error": {"code": "INTERNAL", "message": "internal error"},
    }
    assert str(b.paths.data) not in json.dumps(reply)
    assert "secret.db" in caplog.text  # the detail is in the host log only
    events = b.audit_events("bridge.failed")
    assert [(e["superapp"]["api"], e["superapp"]["code"]) for e in events] == [
        ("test.explode", "INTERNAL")
    ]
    assert str(b.paths.data) not in json.dumps(events)


def _quota(ctx: CallContext, params: NoParams) -> None:
    raise QuotaExceededError("storage quota of 5 MB exceeded")


def test_bridge_error_from_handler_keeps_its_code(make_bridge: MakeBridge) -> None:
    b = make_bridge()
    d = _dispatcher(b, _table_with("test.quota", ApiSpec(None, NoParams, _quota, "cheap")))
    reply = json.loads(d.dispatch(request("test.quota")))
    d.close()
    assert reply["error"] == {"code": "QUOTA_EXCEEDED", "message": "storage quota of 5 MB exceeded"}


def _big(ctx: CallContext, params: NoParams) -> str:
    return "x" * 5000


def _nan(ctx: CallContext, params: NoParams) -> float:
    return float("nan")


def _surrogate(ctx: CallContext, params: NoParams) -> str:
    return "\ud800"


def test_oversized_result_is_payload_too_large(make_bridge: MakeBridge) -> None:
    b = make_bridge()
    table = _table_with("test.big", ApiSpec(None, NoParams, _big, "cheap"))
    d = _dispatcher(b, table, limits=BridgeLimits(max_reply_bytes=1000))
    reply = json.loads(d.dispatch(request("test.big", id=3)))
    d.close()
    assert (reply["id"], reply["error"]["code"]) == (3, "PAYLOAD_TOO_LARGE")
    assert [e["superapp"]["code"] for e in b.audit_events("bridge.denied")] == ["PAYLOAD_TOO_LARGE"]


@pytest.mark.parametrize("handler", [_nan, _surrogate], ids=["nan", "lone-surrogate"])
def test_result_that_is_not_strict_json_is_internal(
    make_bridge: MakeBridge, handler: Callable[[CallContext, NoParams], object]
) -> None:
    b = make_bridge()
    d = _dispatcher(b, _table_with("test.bad", ApiSpec(None, NoParams, handler, "cheap")))
    reply = json.loads(d.dispatch(request("test.bad")))
    d.close()
    assert reply["error"]["code"] == "INTERNAL"


def test_missing_ui_is_internal_not_a_crash(home: Path) -> None:
    from superapp.audit import AuditLog
    from superapp.core.paths import Paths

    paths = Paths.from_env({"SUPERAPP_HOME": str(home)})
    ctx = CallContext("com.example.noui", paths, AuditLog(paths.audit_log))
    d = Dispatcher.open(ctx, FixedAnswerBroker.deny())
    reply = json.loads(d.dispatch(request("ui.toast", {"text": "hi"})))
    d.close()
    assert reply["error"] == {"code": "INTERNAL", "message": "internal error"}


def test_concurrent_calls_each_get_their_own_reply(make_bridge: MakeBridge) -> None:
    generous = RateLimit(burst=1000, per_second=1000)
    limits = BridgeLimits(rates=dict.fromkeys(RATE_CLASSES, generous))
    b = make_bridge(declared={"clipboard:write"}, limits=limits)
    replies: dict[int, dict[str, Any]] = {}
    lock = threading.Lock()

    def worker(base: int) -> None:
        for i in range(base, base + 50):
            api = "app.info" if i % 2 else "clipboard.writeText"
            params = {} if i % 2 else {"text": str(i)}
            reply = json.loads(b.dispatcher.dispatch(request(api, params, id=i)))
            with lock:
                replies[i] = reply

    threads = [threading.Thread(target=worker, args=(n * 1000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(replies) == 200
    assert all(r["id"] == i and r["ok"] for i, r in replies.items())


def test_consent_answer_is_asked_with_the_manifest_reason(make_bridge: MakeBridge) -> None:
    broker = FixedAnswerBroker(ConsentAnswer.ALLOW_ONCE)
    b = make_bridge(
        declared={"user:readProfile"},
        reasons={"user:readProfile": "Greet you by name"},
        broker=broker,
    )
    assert b.call("user.profile")["ok"] is True
    assert [(q.app_id, q.capability, q.reason) for q in broker.asked] == [
        ("com.example.test", "user:readProfile", "Greet you by name")
    ]

"""Consent: allow once / always / deny, prompt throttling, and app.requestCapability."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from bridge.testing import ManualClock, TestBridge, request
from superapp.core.consent import ConsentAnswer, FixedAnswerBroker
from superapp.state.grants import GrantStore

MakeBridge = Callable[..., TestBridge]
PROFILE = "user:readProfile"


def _codes(b: TestBridge, api: str, n: int) -> list[str]:
    out = []
    for _ in range(n):
        reply = b.call(api)
        out.append("ok" if reply["ok"] else reply["error"]["code"])
    return out


def test_allow_always_is_persisted_and_not_asked_again(make_bridge: MakeBridge) -> None:
    broker = FixedAnswerBroker.allow()
    b = make_bridge(declared={PROFILE}, broker=broker)
    assert _codes(b, "user.profile", 3) == ["ok", "ok", "ok"]
    assert len(broker.asked) == 1
    with GrantStore(b.paths.registry_db) as store:
        assert store.state(b.ctx.app_id, PROFILE) == "granted"
        assert [g.source for g in store.list(b.ctx.app_id)] == ["consent"]
    answered = b.audit_events("consent.answered")
    assert [e["superapp"]["answer"] for e in answered] == ["allow_always"]


def test_allow_once_covers_one_call_and_persists_nothing(make_bridge: MakeBridge) -> None:
    broker = FixedAnswerBroker(ConsentAnswer.ALLOW_ONCE)
    b = make_bridge(declared={PROFILE}, broker=broker)
    assert _codes(b, "user.profile", 2) == ["ok", "ok"]
    assert len(broker.asked) == 2
    with GrantStore(b.paths.registry_db) as store:
        assert store.state(b.ctx.app_id, PROFILE) is None


def test_deny_is_remembered_for_the_cooldown(make_bridge: MakeBridge) -> None:
    clock = ManualClock()
    broker = FixedAnswerBroker.deny()
    b = make_bridge(declared={PROFILE}, broker=broker, clock=clock)
    assert _codes(b, "user.profile", 5) == ["CONSENT_DENIED"] * 5
    assert len(broker.asked) == 1  # a page cannot re-prompt in a loop
    clock.advance(b.dispatcher.limits.consent_deny_cooldown_s + 1)
    assert _codes(b, "user.profile", 1) == ["CONSENT_DENIED"]
    assert len(broker.asked) == 2


def test_prompt_bombing_is_rate_limited(make_bridge: MakeBridge) -> None:
    clock = ManualClock()
    broker = FixedAnswerBroker(ConsentAnswer.ALLOW_ONCE)
    b = make_bridge(declared={PROFILE}, broker=broker, clock=clock)
    burst = int(b.dispatcher.limits.consent_prompts.burst)
    assert _codes(b, "user.profile", burst + 2) == ["ok"] * burst + ["RATE_LIMITED"] * 2
    assert len(broker.asked) == burst


class _BrokenBroker:
    def ask(self, app_id: str, capability: str, reason: str) -> ConsentAnswer:
        raise ConnectionError("control channel closed")


def test_broker_failure_fails_closed(make_bridge: MakeBridge) -> None:
    b = make_bridge(declared={PROFILE}, broker=_BrokenBroker())
    assert _codes(b, "user.profile", 1) == ["CONSENT_DENIED"]


def test_request_capability_for_consent_free_one_does_not_ask(make_bridge: MakeBridge) -> None:
    broker = FixedAnswerBroker.deny()
    b = make_bridge(declared={"notifications"}, broker=broker)
    reply = b.call("app.requestCapability", {"capability": "notifications"})
    assert reply["result"] == {"capability": "notifications", "granted": True, "scope": "always"}
    assert broker.asked == []


def test_request_capability_allow_once_covers_the_next_call(make_bridge: MakeBridge) -> None:
    broker = FixedAnswerBroker(ConsentAnswer.ALLOW_ONCE)
    b = make_bridge(declared={PROFILE}, broker=broker)
    reply = b.call("app.requestCapability", {"capability": PROFILE})
    assert reply["result"]["scope"] == "once"
    assert b.call("user.profile")["ok"] is True
    assert len(broker.asked) == 1  # the once-grant was used, not asked again
    assert b.call("user.profile")["ok"] is True
    assert len(broker.asked) == 2  # ... and then it was gone


def test_request_capability_allow_always(make_bridge: MakeBridge) -> None:
    b = make_bridge(declared={PROFILE}, broker=FixedAnswerBroker.allow())
    reply = b.call("app.requestCapability", {"capability": PROFILE})
    assert reply["result"] == {"capability": PROFILE, "granted": True, "scope": "always"}
    assert b.call("app.info")["result"]["granted"] == [PROFILE]


def test_request_capability_denied(make_bridge: MakeBridge) -> None:
    b = make_bridge(declared={PROFILE}, broker=FixedAnswerBroker.deny())
    reply = b.call("app.requestCapability", {"capability": PROFILE})
    assert reply["error"]["code"] == "CONSENT_DENIED"


def test_request_capability_unknown_name_is_invalid(make_bridge: MakeBridge) -> None:
    b = make_bridge(broker=FixedAnswerBroker.allow())
    for name in ("superuser", "__class__", "storage "):
        reply = b.call("app.requestCapability", {"capability": name})
        assert reply["error"]["code"] == "INVALID_PARAMS"


class _GateBroker:
    """Blocks in ask() until released, counting questions (a user thinking)."""

    def __init__(self) -> None:
        self.asked = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    def ask(self, app_id: str, capability: str, reason: str) -> ConsentAnswer:
        self.asked += 1
        self.entered.set()
        self.release.wait(timeout=30)
        return ConsentAnswer.ALLOW_ALWAYS


def test_concurrent_calls_share_one_prompt_and_extra_waiters_are_refused(
    make_bridge: MakeBridge,
) -> None:
    broker = _GateBroker()
    b = make_bridge(declared={PROFILE}, broker=broker)
    max_waiters = b.dispatcher.limits.consent_max_waiters
    replies: list[dict[str, object]] = []
    first_reply = threading.Event()
    lock = threading.Lock()

    def call(i: int) -> None:
        reply = json.loads(b.dispatcher.dispatch(request("user.profile", id=i)))
        with lock:
            replies.append(reply)
        first_reply.set()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(max_waiters + 1)]
    for t in threads:
        t.start()
    # While the prompt is open nothing can answer except the refused extra waiter.
    assert first_reply.wait(timeout=30)
    with lock:
        assert [r["error"] for r in replies] == [
            {
                "code": "RATE_LIMITED",
                "message": "a consent prompt for 'user:readProfile' is already waiting for "
                "the user",
            }
        ]
    broker.release.set()
    for t in threads:
        t.join()
    assert broker.asked == 1
    assert sorted(bool(r["ok"]) for r in replies) == [False] + [True] * max_waiters


def test_allow_once_is_void_after_a_revocation(make_bridge: MakeBridge) -> None:
    broker = FixedAnswerBroker(ConsentAnswer.ALLOW_ONCE)
    b = make_bridge(declared={PROFILE}, broker=broker)
    assert b.call("app.requestCapability", {"capability": PROFILE})["result"]["scope"] == "once"
    with GrantStore(b.paths.registry_db) as cli:
        cli.revoke(b.ctx.app_id, PROFILE)
    broker.answer = ConsentAnswer.DENY
    assert b.call("user.profile")["error"]["code"] == "CONSENT_DENIED"
    assert len(broker.asked) == 2  # the pending once-grant was not used


def test_is_granted_never_asks(make_bridge: MakeBridge) -> None:
    broker = FixedAnswerBroker.allow()
    b = make_bridge(declared={"media:camera", "notifications"}, broker=broker)
    authz = b.dispatcher.authorizer
    assert authz.is_granted("notifications") is True
    assert authz.is_granted("media:camera") is False
    assert authz.is_granted("location:read") is False
    assert broker.asked == []
    authz.check("media:camera")  # asks, "allow always"
    assert authz.is_granted("media:camera") is True

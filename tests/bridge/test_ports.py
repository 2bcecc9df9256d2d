"""The bridge reaches the host through small protocols (bridge/ports.py), failing closed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bridge.testing import TestBridge
from superapp.state.grants import GrantStore

MakeBridge = Callable[..., TestBridge]
PROFILE = "user:readProfile"


@dataclass(frozen=True)
class _Answer:
    value: str


class _Broker:
    """A consent broker that is not superapp.core.consent's, answering with another type:
    the bridge still reads only its ``value``, failing closed."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.asked = 0

    def ask(self, app_id: str, capability: str, reason: str) -> _Answer:
        self.asked += 1
        return _Answer(self.value)


def test_a_structural_broker_answering_allow_once_is_honoured(make_bridge: MakeBridge) -> None:
    broker = _Broker("allow_once")
    b = make_bridge(declared={PROFILE}, broker=broker)
    assert b.call("user.profile")["ok"] is True
    assert broker.asked == 1
    with GrantStore(b.paths.registry_db) as store:
        assert store.state(b.ctx.app_id, PROFILE) is None


@pytest.mark.parametrize("value", ["ALLOW_ALWAYS", "allow", "", "allow_always "])
def test_an_unknown_answer_is_a_deny(make_bridge: MakeBridge, value: str) -> None:
    b = make_bridge(declared={PROFILE}, broker=_Broker(value))
    reply = b.call("user.profile")
    assert reply["ok"] is False and reply["error"]["code"] == "CONSENT_DENIED"
    with GrantStore(b.paths.registry_db) as store:
        assert store.state(b.ctx.app_id, PROFILE) is None
    answered = b.audit_events("consent.answered")
    assert [e["superapp"]["answer"] for e in answered] == ["deny"]
    assert [e["event"]["outcome"] for e in answered] == ["failure"]

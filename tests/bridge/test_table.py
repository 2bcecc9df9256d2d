"""The static table: names, guards and params are checked for every entry, not by example."""

from __future__ import annotations

import ast
import typing
from collections.abc import Callable
from pathlib import Path

import pytest

import bridge
from bridge.capabilities.app import Capability
from bridge.errors import CODES
from bridge.limits import RATE_CLASSES
from bridge.table import API_TABLE, ApiSpec, errors_of
from bridge.testing import TestBridge
from superapp.core.capabilities import CAPABILITIES, CONSENT_REQUIRED
from superapp.core.consent import FixedAnswerBroker

MakeBridge = Callable[..., TestBridge]
BRIDGE_DIR = Path(bridge.__file__).parent


def test_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        API_TABLE["evil.api"] = API_TABLE["app.info"]  # type: ignore[index]


def test_every_guard_is_a_known_capability_and_rate_class() -> None:
    for name, spec in API_TABLE.items():
        assert spec.capability is None or spec.capability in CAPABILITIES, name
        assert spec.rate in RATE_CLASSES, name
        assert set(spec.errors) <= set(CODES), name


def test_consent_capabilities_are_audited_on_success() -> None:
    for name, spec in API_TABLE.items():
        if spec.capability in CONSENT_REQUIRED:
            assert spec.audit_success, name


def test_capability_literal_lists_every_capability() -> None:
    assert set(typing.get_args(Capability)) == CAPABILITIES


def test_apis_without_capability_are_the_designed_ones() -> None:
    open_apis = {name for name, spec in API_TABLE.items() if spec.capability is None}
    assert open_apis == {
        "app.info",
        "app.requestCapability",
        "app.close",
        "ui.toast",
        "share.inbox",
        "lifecycle.saveState",  # an app's own hand-over before a discard (ADR 0014)
        "lifecycle.restored",
    }


def test_every_handler_declares_its_result_type() -> None:
    for name, spec in API_TABLE.items():
        assert "return" in typing.get_type_hints(spec.handler), name


@pytest.mark.parametrize("name", sorted(API_TABLE))
def test_every_api_refuses_unknown_params(make_bridge: MakeBridge, name: str) -> None:
    b = make_bridge(declared=CAPABILITIES, broker=FixedAnswerBroker.allow())
    reply = b.call(name, {"__unexpected__": 1})
    assert reply["error"]["code"] == "INVALID_PARAMS"
    assert (b.ui.toasts, b.ui.closed, b.ui.notifications) == ([], 0, [])


#: A valid call of every API (a new API must add one here).
VALID_PARAMS: dict[str, dict[str, object]] = {
    "app.info": {},
    "app.requestCapability": {"capability": "storage"},
    "app.close": {},
    "ui.toast": {"text": "hi"},
    "user.profile": {},
    "clipboard.writeText": {"text": "x"},
    "clipboard.readText": {},
    "notifications.show": {"title": "t"},
    "storage.get": {"key": "k"},
    "storage.set": {"key": "k", "value": [1, {"a": None}]},
    "storage.remove": {"key": "k"},
    "storage.keys": {},
    "storage.clear": {},
    "storage.usage": {},
    "files.read": {"path": "a.txt"},
    "files.write": {"path": "a.txt", "data": "x"},
    "files.list": {},
    "files.delete": {"path": "a.txt"},
    "net.request": {"url": "https://example.com/"},
    "share.send": {"to": "com.example.other", "data": {"a": 1}},
    "share.inbox": {},
    "lifecycle.saveState": {"state": {"draft": "x", "n": [1, 2.5, None, True]}},
    "lifecycle.restored": {},
}


def test_valid_params_cover_the_table() -> None:
    assert set(VALID_PARAMS) == set(API_TABLE)
    for name, params in VALID_PARAMS.items():
        API_TABLE[name].params.model_validate(params)


@pytest.mark.parametrize("name", sorted(API_TABLE))
def test_every_api_behind_a_capability_refuses_an_undeclared_app(
    make_bridge: MakeBridge, name: str
) -> None:
    spec: ApiSpec = API_TABLE[name]
    if spec.capability is None:
        pytest.skip("needs no capability")
    broker = FixedAnswerBroker.allow()
    b = make_bridge(declared=CAPABILITIES - {spec.capability}, broker=broker)
    reply = b.call(name, VALID_PARAMS[name])
    assert reply["error"]["code"] == "PERMISSION_DENIED"
    assert "PERMISSION_DENIED" in errors_of(spec)
    assert broker.asked == []
    assert not b.paths.app_storage(b.ctx.app_id).exists()  # nothing was opened


_REFLECTION = {"getattr", "setattr", "delattr", "hasattr", "__getattribute__", "attrgetter"}


def test_no_attribute_lookup_by_runtime_name_in_bridge() -> None:
    offenders = []
    for path in sorted(BRIDGE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in _REFLECTION:
                literal = len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                if not literal:
                    offenders.append(f"{path.relative_to(BRIDGE_DIR)}:{node.lineno}")
    assert offenders == []

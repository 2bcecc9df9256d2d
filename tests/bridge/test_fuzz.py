"""Property: whatever the page sends, dispatch() returns one well-formed reply and never raises."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.errors import CODES
from bridge.limits import RATE_CLASSES, BridgeLimits, RateLimit
from bridge.table import API_TABLE
from bridge.testing import TestBridge, open_test_bridge
from superapp.core.consent import FixedAnswerBroker

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Lone surrogates included (category Cs), since a page's strings can carry them.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
TEXT = st.text(ANY_CHAR, max_size=40)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=30,
)
API_NAMES = (
    st.sampled_from(sorted(API_TABLE))
    | TEXT
    | st.sampled_from(["__class__", "app.info.__globals__"])
)
IDS = st.integers(min_value=-(2**60), max_value=2**60) | SCALARS


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestBridge]:
    generous = RateLimit(burst=10**9, per_second=10**9)
    limits = BridgeLimits(
        max_request_bytes=64 * 1024,
        rates=dict.fromkeys(RATE_CLASSES, generous),
        consent_prompts=generous,
    )
    b = open_test_bridge(
        tmp_path_factory.mktemp("fuzz"),
        "com.example.fuzz",
        declared={
            "clipboard:write",
            "clipboard:read",
            "notifications",
            "user:readProfile",
            "storage",
            "files",
        },
        broker=FixedAnswerBroker.allow(),
        limits=limits,
    )
    yield b
    b.close()


def _refuse(name: str) -> Any:
    raise AssertionError(f"reply contains {name}")


def check_reply(text: str, sent_id: object) -> dict[str, Any]:
    assert isinstance(text, str)
    text.encode("utf-8")  # no lone surrogates go back to the page
    reply = json.loads(text, parse_constant=_refuse)
    assert isinstance(reply, dict)
    assert reply["ok"] in (True, False)
    if reply["ok"]:
        assert set(reply) == {"id", "ok", "result"}
        assert reply["id"] == sent_id
    else:
        assert set(reply) == {"id", "ok", "error"}
        assert set(reply["error"]) == {"code", "message"}
        assert reply["error"]["code"] in CODES
        assert isinstance(reply["error"]["message"], str)
        assert "Traceback" not in reply["error"]["message"]
        assert reply["id"] is None or reply["id"] == sent_id
        # No input reaches an unhandled path: INTERNAL would mean a bug in the bridge.
        assert reply["error"]["code"] != "INTERNAL", reply
    assert reply["id"] is None or type(reply["id"]) is int
    return reply


@SETTINGS
@given(api=API_NAMES, params=JSON, request_id=IDS, ascii_only=st.booleans())
def test_any_json_request_gets_a_well_formed_reply(
    bridge: TestBridge, api: object, params: object, request_id: object, ascii_only: bool
) -> None:
    raw = json.dumps({"id": request_id, "api": api, "params": params}, ensure_ascii=ascii_only)
    check_reply(bridge.dispatcher.dispatch(raw), request_id)


@SETTINGS
@given(envelope=JSON)
def test_any_json_value_as_envelope_gets_a_well_formed_reply(
    bridge: TestBridge, envelope: object
) -> None:
    sent = envelope.get("id") if isinstance(envelope, dict) else None
    check_reply(bridge.dispatcher.dispatch(json.dumps(envelope)), sent)


@SETTINGS
@given(raw=st.text(ANY_CHAR, max_size=200) | st.binary(max_size=200))
def test_any_text_or_bytes_gets_a_well_formed_reply(bridge: TestBridge, raw: str | bytes) -> None:
    check_reply(bridge.dispatcher.dispatch(raw), None)


@SETTINGS
@given(
    api=st.sampled_from(sorted(API_TABLE)),
    depth=st.integers(min_value=1, max_value=30_000),
    opener=st.sampled_from(["[", '{"a":']),
)
def test_deep_nesting_gets_a_well_formed_reply(
    bridge: TestBridge, api: str, depth: int, opener: str
) -> None:
    closer = "]" if opener == "[" else "}"
    raw = '{"id": 5, "api": "' + api + '", "params": {"x": ' + opener * depth + "1"
    raw += closer * depth + "}}"
    reply = check_reply(bridge.dispatcher.dispatch(raw), 5)
    if depth > 40:
        assert reply["error"]["code"] in ("INVALID_PARAMS", "PAYLOAD_TOO_LARGE")


@SETTINGS
@given(
    api=st.sampled_from(sorted(API_TABLE)),
    field=st.sampled_from(["text", "title", "body", "capability", "x"]),
    size=st.integers(min_value=0, max_value=200_000),
    char=ANY_CHAR,
)
def test_huge_strings_get_a_well_formed_reply(
    bridge: TestBridge, api: str, field: str, size: int, char: str
) -> None:
    raw = json.dumps({"id": 6, "api": api, "params": {field: char * size}}, ensure_ascii=False)
    reply = check_reply(bridge.dispatcher.dispatch(raw), 6)
    if size > 64 * 1024:
        assert reply["error"]["code"] == "PAYLOAD_TOO_LARGE"


@SETTINGS
@given(
    api=st.sampled_from(sorted(API_TABLE)),
    value=st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" * 5000]),
)
def test_non_finite_numbers_are_invalid_params(bridge: TestBridge, api: str, value: str) -> None:
    raw = '{"id": 7, "api": "' + api + '", "params": {"text": ' + value + "}}"
    reply = check_reply(bridge.dispatcher.dispatch(raw), 7)
    assert reply["error"]["code"] == "INVALID_PARAMS"


def test_fuzzing_reached_the_handlers(bridge: TestBridge, tmp_path: Path) -> None:
    # Guard against a fuzz run that only ever exercised the decoder.
    reply = check_reply(
        bridge.dispatcher.dispatch('{"id":1,"api":"clipboard.writeText","params":{"text":"z"}}'),
        1,
    )
    assert reply["ok"] is True
    assert bridge.ui.clipboard == "z"


@SETTINGS
@given(
    key=TEXT,
    value=JSON,
    path=st.text(ANY_CHAR, max_size=30) | st.sampled_from(["../x", "/etc/passwd", "a/../../b"]),
)
def test_storage_and_files_never_fail_internally(
    bridge: TestBridge, key: str, value: object, path: str
) -> None:
    for api, params in (
        ("storage.set", {"key": key, "value": value}),
        ("storage.get", {"key": key}),
        ("files.write", {"path": path, "data": key}),
        ("files.read", {"path": path}),
        ("files.list", {"path": path}),
    ):
        raw = json.dumps({"id": 8, "api": api, "params": params}, ensure_ascii=False)
        check_reply(bridge.dispatcher.dispatch(raw), 8)

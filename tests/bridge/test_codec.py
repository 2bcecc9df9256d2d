"""The wire format: every malformed request gets the right code and, when readable, its id."""

from __future__ import annotations

import json

import pytest

from bridge._codec import BadRequestError, decode_request, encode_error
from bridge.limits import DEFAULT_LIMITS, BridgeLimits

L = DEFAULT_LIMITS


def _bad(raw: object, limits: BridgeLimits = L) -> BadRequestError:
    with pytest.raises(BadRequestError) as info:
        decode_request(raw, limits)
    return info.value


def test_well_formed_request_decodes() -> None:
    req = decode_request('{"id": 7, "api": "app.info", "params": {"a": [1, "x"]}}', L)
    assert (req.id, req.api, req.params) == (7, "app.info", {"a": [1, "x"]})


@pytest.mark.parametrize("params", ['"params": null, ', ""], ids=["null", "missing"])
def test_missing_or_null_params_mean_empty(params: str) -> None:
    raw = '{"id": 1, ' + params + '"api": "app.info"}'
    assert decode_request(raw, L).params == {}


@pytest.mark.parametrize(
    ("raw", "request_id"),
    [
        ("", None),
        ("not json", None),
        ("[1, 2]", None),
        ('"text"', None),
        ("null", None),
        ('{"api": "app.info"}', None),
        ('{"id": "1", "api": "app.info"}', None),
        ('{"id": true, "api": "app.info"}', None),
        ('{"id": 1.5, "api": "app.info"}', None),
        ('{"id": 9007199254740992, "api": "app.info"}', None),
        ('{"id": 1, "api": "app.info", "params": {"x": NaN}}', 1),
        ('{"id": 1, "api": "app.info", "params": {"x": Infinity}}', 1),
        ('{"id": 1, "api": "app.info", "params": {"x": -Infinity}}', 1),
        ('{"id": 1, "api": "app.info", "params": {"x": 1e999}}', 1),
        ('{"id": 1, "api": "app.info", "api": "storage.clear"}', 1),
        ('{"id": 1, "api": "app.info", "params": {"a": 1, "a": 2}}', 1),
        ('{"id": 1, "api": "app.info", "extra": 1}', 1),
        ('{"id": 1}', 1),
        ('{"id": 1, "api": 5}', 1),
        ('{"id": 1, "api": "app.info", "params": [1]}', 1),
        ('{"id": 1, "api": "app.info", "params": "x"}', 1),
        ('{"id": 1, "api": "app.info", "params": {"s": "\\ud800"}}', 1),
        ('{"id": 1, "api": "app.\\udfff", "params": {}}', 1),
        ('{"id": 1, "api": "app.info", "params": {"\\ud800": 1}}', 1),
        ('{"id": 1, "api": "app.info", "params": {"n": ' + "1" * 5000 + "}}", 1),
        (b'{"id": 1, "api": "\xff"}', None),
        (None, None),
        (12, None),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_malformed_request_is_invalid_params(raw: object, request_id: int | None) -> None:
    bad = _bad(raw)
    assert bad.error.code == "INVALID_PARAMS"
    assert bad.request_id == request_id


def test_deep_nesting_is_refused_without_recursion() -> None:
    deep = '{"id": 1, "api": "x", "params": {"a": ' + "[" * 40 + "]" * 40 + "}}"
    bad = _bad(deep)
    assert (bad.error.code, bad.request_id) == ("INVALID_PARAMS", 1)
    pathological = '{"id": 2, "api": "x", "params": {"a": ' + "[" * 200_000
    bad = _bad(pathological)
    assert bad.error.code == "INVALID_PARAMS"


def test_nesting_at_the_limit_is_accepted() -> None:
    depth = L.max_depth - 2  # envelope and params are the first two levels
    raw = '{"id": 1, "api": "x", "params": {"a": ' + "[" * depth + "]" * depth + "}}"
    assert decode_request(raw, L).id == 1


def test_oversized_request_is_refused_before_parsing_and_keeps_its_id() -> None:
    small = BridgeLimits(max_request_bytes=100)
    bad = _bad('{"id": 42, "api": "x", "params": {"s": "' + "a" * 200 + '"}}', small)
    assert (bad.error.code, bad.request_id) == ("PAYLOAD_TOO_LARGE", 42)
    # Not even JSON: refused for its size all the same.
    bad = _bad("{" * 101, small)
    assert (bad.error.code, bad.request_id) == ("PAYLOAD_TOO_LARGE", None)


def test_size_is_counted_in_utf8_bytes() -> None:
    limits = BridgeLimits(max_request_bytes=100)
    # 30 characters, 120 bytes.
    raw = '{"id":1,"api":"' + "😀" * 30 + '"}'
    assert len(raw) < 100
    assert _bad(raw, limits).error.code == "PAYLOAD_TOO_LARGE"


def test_error_reply_is_ascii_json() -> None:
    text = encode_error(None, "INTERNAL", "internal error")
    assert json.loads(text) == {
        "id": None,
        "ok": False,
        "error": {"code": "INTERNAL", "message": "internal error"},
    }

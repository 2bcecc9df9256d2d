"""The shared strict-JSON hooks: a repeated key and NaN/Infinity are refused with the caller's
own error, and plain JSON parses exactly as ``json.loads`` parses it."""

from __future__ import annotations

import json

import pytest

from superapp.core.strictjson import refuse_constants, unique_keys


class _Refused(Exception):
    pass


_PAIRS = unique_keys(lambda key: _Refused(f"key {key}"))
_CONSTANTS = refuse_constants(lambda name: _Refused(f"constant {name}"))


def _loads(text: str) -> object:
    return json.loads(text, object_pairs_hook=_PAIRS, parse_constant=_CONSTANTS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "key a"),
        ('{"x": {"b": 1, "c": 2, "b": 3}}', "key b"),  # nested objects too
        ('{"c": 1, "d": 1, "d": 2, "c": 2}', "key d"),  # the first key to repeat
        ('{"n": NaN}', "constant NaN"),
        ("[Infinity]", "constant Infinity"),
        ("-Infinity", "constant -Infinity"),
    ],
    ids=["duplicate", "nested-duplicate", "first-repeat", "nan", "infinity", "minus-infinity"],
)
def test_not_quite_json_is_refused_with_the_callers_error(text: str, message: str) -> None:
    with pytest.raises(_Refused) as info:
        _loads(text)
    assert str(info.value) == message


def test_plain_json_parses_as_json_loads_parses_it() -> None:
    text = '{"a": [1, 2.5, {"b": null, "c": "x"}], "d": true, "big": 1e999}'
    assert _loads(text) == json.loads(text)


def test_the_default_constant_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^NaN is not JSON$"):
        json.loads("NaN", parse_constant=refuse_constants())

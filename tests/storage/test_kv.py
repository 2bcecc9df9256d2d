"""storage.* through the handlers: round trips, validation, usage, persistence."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bridge.capabilities import storage as api
from bridge.context import CallContext
from bridge.errors import InvalidParamsError, PayloadTooLargeError
from superapp.core.paths import Paths
from superapp.storage import StorageLimits, open_store

APP = "com.example.notes"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


def test_set_get_remove_round_trip(make_ctx: Callable[[str], CallContext]) -> None:
    ctx = make_ctx(APP)
    assert api.get(ctx, api.StorageGet(key="note")) is None
    api.set_(ctx, api.StorageSet(key="note", value={"title": "Shopping", "items": [1, 2.5]}))
    assert api.get(ctx, api.StorageGet(key="note")) == {"title": "Shopping", "items": [1, 2.5]}
    assert api.keys(ctx, api.StorageKeys()) == ["note"]
    assert api.remove(ctx, api.StorageRemove(key="note")) is True
    assert api.remove(ctx, api.StorageRemove(key="note")) is False
    assert api.get(ctx, api.StorageGet(key="note")) is None


def test_keys_are_sorted_and_filtered_by_prefix(make_ctx: Callable[[str], CallContext]) -> None:
    ctx = make_ctx(APP)
    for key in ("note:b", "note:a", "setting", "ключ"):
        api.set_(ctx, api.StorageSet(key=key, value=key))
    assert api.keys(ctx, api.StorageKeys()) == ["note:a", "note:b", "setting", "ключ"]
    assert api.keys(ctx, api.StorageKeys(prefix="note:")) == ["note:a", "note:b"]


def test_clear_removes_every_key_and_resets_usage(make_ctx: Callable[[str], CallContext]) -> None:
    ctx = make_ctx(APP)
    for i in range(5):
        api.set_(ctx, api.StorageSet(key=f"k{i}", value=i))
    assert api.clear(ctx, api.StorageClear()) == 5
    assert api.keys(ctx, api.StorageKeys()) == []
    assert api.usage(ctx, api.StorageUsage())["used"] == 0


def test_usage_counts_key_and_compact_json_bytes(make_ctx: Callable[[str], CallContext]) -> None:
    ctx = make_ctx(APP)
    api.set_(ctx, api.StorageSet(key="ké", value={"a": [1, "é"]}))
    used = len("ké".encode()) + len(
        json.dumps({"a": [1, "é"]}, separators=(",", ":"), ensure_ascii=False).encode()
    )
    usage = api.usage(ctx, api.StorageUsage())
    assert usage == {
        "used": used,
        "quota": 10 * 1024 * 1024,
        "available": 10 * 1024 * 1024 - used,
        "kv_bytes": used,
        "keys": 1,
        "file_bytes": 0,
        "files": 0,
    }
    api.set_(ctx, api.StorageSet(key="ké", value=1))  # overwrite: counted once, new size
    assert api.usage(ctx, api.StorageUsage())["used"] == len("ké".encode()) + 1


@pytest.mark.parametrize(
    ("key", "message"),
    [("", "empty"), ("k" * 513, "longer than 512"), ("\ud800", "not valid Unicode")],
    ids=["empty", "too-long", "lone-surrogate"],
)
def test_bad_key_is_invalid_params_and_writes_nothing(
    make_ctx: Callable[[str], CallContext], key: str, message: str
) -> None:
    ctx = make_ctx(APP)
    with pytest.raises(InvalidParamsError, match=message):
        api.set_(ctx, api.StorageSet(key=key, value=1))
    assert api.usage(ctx, api.StorageUsage())["keys"] == 0


def test_value_over_limit_is_payload_too_large(paths: Paths) -> None:
    limits = StorageLimits(max_value_bytes=100)
    with open_store(paths, APP, limits=limits) as store:
        store.kv.set("k", "x" * 98)  # 100 bytes of JSON with the quotes: at the limit
        with pytest.raises(Exception, match="larger than 100 bytes"):
            store.kv.set("k", "x" * 99)
        assert store.kv.get("k") == "x" * 98


def test_value_over_limit_maps_to_payload_too_large(
    make_ctx: Callable[[str], CallContext], paths: Paths
) -> None:
    ctx = make_ctx(APP)
    ctx.set_resource(
        api.RESOURCE_KEY, open_store(paths, APP, limits=StorageLimits(max_value_bytes=10))
    )
    with pytest.raises(PayloadTooLargeError):
        api.set_(ctx, api.StorageSet(key="k", value="x" * 20))
    assert api.get(ctx, api.StorageGet(key="k")) is None


@pytest.mark.parametrize(
    "params",
    [{"key": "k", "extra": 1}, {"key": 5}, {}, {"key": b"k"}],
    ids=["extra-field", "int-key", "missing-key", "bytes-key"],
)
def test_params_models_are_strict(params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        api.StorageGet.model_validate(params)


def test_non_json_value_is_refused_by_the_model() -> None:
    with pytest.raises(ValidationError):
        api.StorageSet.model_validate({"key": "k", "value": {1, 2}})


def test_values_persist_across_reopen_like_a_restarted_app(paths: Paths) -> None:
    with open_store(paths, APP) as store:
        store.kv.set("notes", [{"id": 1, "text": "milk"}])
    with open_store(paths, APP) as store:
        assert store.kv.get("notes") == [{"id": 1, "text": "milk"}]
        assert store.recovered is None
        assert store.usage().keys == 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.text(min_size=1, max_size=40), value=json_values)
def test_any_json_value_round_trips(paths: Paths, key: str, value: Any) -> None:
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return
    with open_store(paths, APP) as store:
        store.kv.set(key, value)
        assert store.kv.get(key) == value
        assert key in store.kv.keys(prefix="")

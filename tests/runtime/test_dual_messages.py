"""The host's wall between a dual-mode app's view and logic (``superapp.runtime._dual``):
size → JSON → shape, canonical text out; and the CSP each context gets (issue 18)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superapp.core.errors import BridgeError, InvalidParamsError, PayloadTooLargeError
from superapp.runtime._dual import (
    DualLimits,
    check_message,
    envelope_id,
    logic_csp,
    logic_worker_source,
    open_envelope,
    reserved_document,
    view_csp,
)

SMALL = DualLimits(max_message_bytes=64, max_depth=3, max_nodes=8)


def test_plain_data_crosses_as_canonical_json() -> None:
    assert open_envelope('{"id": 7, "data": {"b": [1, 2.5, "x", true, null], "a": {}}}') == (
        7,
        '{"b":[1,2.5,"x",true,null],"a":{}}',
    )


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("x" * 65, PayloadTooLargeError, "at most 64 bytes"),
        ('"' + "é" * 32 + '"', PayloadTooLargeError, "at most 64 bytes"),  # bytes, not characters
        ("[1,2,3,4,5,6,7,8]", PayloadTooLargeError, "at most 8 values"),
        ("[[[1]]]", InvalidParamsError, "nested at most 3 deep"),
        ('{"a": NaN}', InvalidParamsError, "NaN is not plain data"),
        ("[Infinity]", InvalidParamsError, "Infinity is not plain data"),
        ('{"a": 1, "a": 2}', InvalidParamsError, "appears twice"),
        ("function () { return 1 }", InvalidParamsError, "must be JSON"),
        ("{'a': 1}", InvalidParamsError, "must be JSON"),
    ],
    ids=[
        "bytes",
        "utf8-bytes",
        "nodes",
        "depth",
        "nan",
        "infinity",
        "duplicate",
        "code",
        "not-json",
    ],
)
def test_messages_over_a_limit_or_not_plain_data_are_refused(
    text: str, error: type[BridgeError], words: str
) -> None:
    with pytest.raises(error) as info:
        check_message(text, SMALL)
    assert words in info.value.message


@pytest.mark.parametrize(
    "text",
    ['{"data": 1}', '{"id": "1", "data": 1}', '{"id": 1.0, "data": 1}', '{"id": true, "data": 1}',
     '{"id": 1, "data": 1, "api": "storage.set"}', '[1, 2]', '{"id": 1}'],
    ids=["no-id", "string-id", "float-id", "bool-id", "extra-key", "array", "no-data"],
)  # fmt: skip
def test_an_envelope_is_exactly_id_and_data(text: str) -> None:
    with pytest.raises(InvalidParamsError, match="travels as"):
        open_envelope(text)


def test_a_non_string_is_refused() -> None:
    with pytest.raises(InvalidParamsError, match="JSON text"):
        check_message(b"{}")


def test_deep_nesting_is_refused_without_recursion() -> None:
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(BridgeError):
        check_message(text, DualLimits(max_message_bytes=1_000_000))


def test_the_refused_envelopes_id_is_read_for_its_ack() -> None:
    assert envelope_id('{"id": 4, "data": {"a": NaN}}') == 4
    assert envelope_id("not json") is None
    assert envelope_id('{"id": "4"}') is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


@given(_json)
def test_plain_data_round_trips(value: object) -> None:
    text = json.dumps({"id": 1, "data": value})
    msg_id, out = open_envelope(text)
    assert msg_id == 1 and json.loads(out) == value


@given(st.text(max_size=200))
def test_any_text_is_forwarded_as_json_or_refused_with_a_wire_code(text: str) -> None:
    try:
        out = check_message(text)
    except BridgeError as err:
        assert err.code in ("INVALID_PARAMS", "PAYLOAD_TOO_LARGE")
    else:
        json.loads(out)


def test_the_view_has_no_network_source_and_no_workers() -> None:
    csp = dict(d.split(" ", 1) for d in view_csp().split("; "))
    assert csp["connect-src"] == "'none'" and csp["worker-src"] == "'none'"
    assert csp["frame-src"] == "'none'" and csp["script-src"] == "'self'"
    for directive, sources in csp.items():
        assert "http" not in sources and "ws" not in sources.replace("'none'", ""), directive


def test_the_logic_has_no_connections_and_its_worker_no_workers() -> None:
    page = dict(d.split(" ", 1) for d in logic_csp(worker=False).split("; "))
    worker = dict(d.split(" ", 1) for d in logic_csp(worker=True).split("; "))
    assert page["connect-src"] == worker["connect-src"] == "'none'"
    assert page["worker-src"] == "'self'" and worker["worker-src"] == "'none'"
    assert worker["default-src"] == "'none'"


def test_the_worker_loads_the_manifests_scripts_as_string_literals() -> None:
    src = logic_worker_source(
        "importScripts.apply(self, __SUPERAPP_LOGIC_SCRIPTS__);", ("a.js", 'b"); evil(".js')
    )
    assert src == 'importScripts.apply(self, ["/a.js", "/b\\"); evil(\\".js"]);'


def test_only_the_hosts_three_documents_are_served_under_the_reserved_path() -> None:
    kinds = {
        path: reserved_document(path, logic_host_js="h", worker_js="w")
        for path in ("__superapp/logic.html", "__superapp/logic-host.js", "__superapp/logic-worker.js",
                     "__superapp/other.js", "__superapp/")
    }  # fmt: skip
    assert [k is not None for k in kinds.values()] == [True, True, True, False, False]
    assert kinds["__superapp/logic-worker.js"] == (b"w", "text/javascript", logic_csp(worker=True))

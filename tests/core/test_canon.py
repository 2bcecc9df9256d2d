"""Canonical JSON (RFC 8785) and the legacy form that already-signed and chained data keeps."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from superapp.audit._log import entry_hash
from superapp.bundles._format import STATEMENT_TYPE, FileRecord, Statement, encode_statement
from superapp.core.canon import CanonicalizationError, canonical_json, legacy_json
from superapp.revocation import (
    Keyset,
    RevocationList,
    encode_document,
    generate_private_key,
    public_key_b64,
    verify_document,
)
from superapp.revocation._document import DOMAIN, canonical_bytes, legacy_bytes
from superapp.revocation._keys import key_id

# RFC 8785 §3.2.2's example, input and output as printed in the RFC.
RFC_INPUT = (
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
    ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
    ' "literals": [null, true, false]}'
)
RFC_OUTPUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
).encode()

_SAFE_INT = st.integers(-(2**53) + 1, 2**53 - 1)
_BMP_TEXT = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=8)


def _json(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_BMP_TEXT, inner, max_size=4),
        max_leaves=12,
    )


_NO_FLOATS = _json(st.none() | st.booleans() | _SAFE_INT | st.text(max_size=8))
_ANY = _json(
    st.none()
    | st.booleans()
    | _SAFE_INT
    # Within the I-JSON range, where a JSON number's value is exact (RFC 8785 §3.2.2.3).
    | st.floats(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(max_size=8)
)


def test_the_rfc_example_canonicalises_as_printed() -> None:
    assert canonical_json(json.loads(RFC_INPUT)) == RFC_OUTPUT


@settings(max_examples=300, deadline=None)
@given(_ANY)
def test_canonical_json_round_trips_and_is_idempotent(value: Any) -> None:
    data = canonical_json(value)
    assert json.loads(data) == value
    assert canonical_json(json.loads(data)) == data


@settings(max_examples=300, deadline=None)
@given(_NO_FLOATS)
def test_without_floats_the_legacy_form_is_the_same_bytes(value: Any) -> None:
    # Why switching the signers changed no signed byte in practice (ADR 0009).
    assert legacy_json(value) == canonical_json(value)


def test_where_the_two_forms_differ() -> None:
    assert canonical_json({"a": 1.0}) == b'{"a":1}'
    assert legacy_json({"a": 1.0}) == b'{"a":1.0}'
    for value in (float("nan"), 2**53 + 1, "\ud800"):
        with pytest.raises(CanonicalizationError):
            canonical_json({"v": value})
    # The audit chain must never stop on a page's text: the legacy form takes both.
    assert legacy_json({"v": float("nan"), "w": "\ud800"}) == b'{"v":NaN,"w":"\xed\xa0\x80"}'


def test_the_audit_chain_hash_is_unchanged() -> None:
    event = {
        "ts": "2026-12-01T00:00:00+00:00",
        "event": {"seq": 3, "prev": "0" * 64, "action": "x", "elapsed_ms": 1.0},
        "detail": {"text": "lone \ud800 surrogate", "nan": float("nan"), "é": "ü"},
    }
    # The expression audit/_log.py used before superapp.core.canon existed.
    body = dict(event)
    body["event"] = dict(event["event"])  # type: ignore[arg-type]
    old = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True
    ).encode("utf-8", "surrogatepass")
    assert entry_hash(event) == hashlib.sha256(old).hexdigest()


def test_a_bundle_statement_keeps_its_bytes() -> None:
    statement = Statement(
        type=STATEMENT_TYPE,
        key_id="a" * 64,
        files=[
            FileRecord(
                name="index.html",
                method=8,
                size=10,
                compressed_size=8,
                crc32=1,
                sha256="b" * 64,
            )
        ],
    )
    old = json.dumps(
        statement.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode("ascii")
    assert encode_statement(statement) == old


def _legacy_signed_doc(version: int) -> tuple[bytes, Keyset, bytes]:
    """A revocation document signed over the pre-ADR-0009 bytes, as an old signer made it."""
    key = generate_private_key()
    now = datetime.now(UTC).replace(microsecond=0)
    body = RevocationList.model_validate(
        {
            "_type": "superapp.revocations",
            "version": version,
            "issued": (now - timedelta(hours=1)).isoformat(),
            "expires": (now + timedelta(days=1)).isoformat(),
            "revocations": [{"kind": "app", "app_id": "com.example.notes", "reason": "ü"}],
        }
    )
    signed = body.to_wire()
    old_message = DOMAIN + json.dumps(
        signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    sig = base64.b64encode(key.sign(old_message)).decode("ascii")
    kid = key_id(public_key_b64(key))
    envelope = {"signed": signed, "signatures": [{"keyid": kid, "sig": sig}]}
    keyset = Keyset(version=1, threshold=1, keys=(public_key_b64(key),))
    return encode_document(envelope), keyset, old_message


@pytest.mark.parametrize("version", [7, 2**53 + 1], ids=["same-bytes", "beyond-rfc8785"])
def test_a_revocation_document_signed_before_adr_0009_still_verifies(version: int) -> None:
    raw, keyset, old_message = _legacy_signed_doc(version)
    doc = verify_document(
        raw,
        trusted=keyset,
        held_version=0,
        held_digest=None,
        now=datetime.now(UTC),
        max_bytes=1 << 20,
    )
    assert doc.body.version == version
    # Held digests from before ADR 0009 compare equal: the digest is over the legacy form.
    assert doc.digest == hashlib.sha256(old_message).hexdigest()
    signed = json.loads(raw)["signed"]
    assert legacy_bytes(signed) == old_message
    if version < 2**53:
        assert canonical_bytes(signed) == old_message

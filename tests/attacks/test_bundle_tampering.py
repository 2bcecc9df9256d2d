"""Attacks on a signed bundle's contents and signature (issue 3).

Each test installs a good version first, then tries a tampered bundle, and asserts the specific
refusal, the audit entry, and that the installed state did not change.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from superapp.bundles import DEFAULT_LIMITS, install_bundle, pack_bundle, verify_bundle
from superapp.bundles._format import SIGNATURE_NAME
from superapp.bundles._zip import read_entries
from superapp.core.errors import BundleError, SignatureError
from superapp.core.paths import Paths
from tests.bundles.builders import (
    Env,
    RawEntry,
    app_files,
    audit_actions,
    entries_of,
    envelope_for,
    make_env,
    raw_zip,
    signed_raw_bundle,
    state_of,
)


@pytest.fixture
def env(superapp_home: Paths) -> Env:
    e = make_env(superapp_home)
    install_bundle(e.paths, pack_bundle(app_files(code=1), e.key))
    return e


def _refused(env: Env, data: bytes, error: type[Exception], match: str) -> None:
    before = state_of(env.paths)
    with pytest.raises(error, match=match):
        verify_bundle(data, env.trust)
    with pytest.raises(error, match=match):
        install_bundle(env.paths, data)
    assert state_of(env.paths) == before
    action, _app_id, reason = audit_actions(env.paths)[-1]
    assert action == "bundle.install_failed"
    assert reason and "\n" not in reason


FILES = sorted(app_files())


@pytest.mark.parametrize("deflate", [False, True], ids=["stored", "deflated"])
@pytest.mark.parametrize("name", FILES, ids=FILES)
def test_flipped_byte_in_any_file_is_rejected(env: Env, name: str, deflate: bool) -> None:
    data = pack_bundle(app_files(code=2), env.key, deflate=deflate)
    entry = next(e for e in read_entries(data, DEFAULT_LIMITS) if e.name == name)
    tampered = bytearray(data)
    tampered[entry.data_offset + entry.compressed_size // 2] ^= 0x01
    _refused(env, bytes(tampered), BundleError, f"file '{name}' does not match its signed digest")


def test_file_added_after_signing_is_rejected(env: Env) -> None:
    entries = entries_of(app_files(code=2))
    data = signed_raw_bundle(
        [*entries, RawEntry.of("evil.js", b"steal()")], env.key, covered=entries
    )
    _refused(env, data, BundleError, "'evil.js' is not covered by the signature")


def test_file_removed_after_signing_is_rejected(env: Env) -> None:
    entries = entries_of(app_files(code=2))
    kept = [e for e in entries if e.name != "js/app.js"]
    data = signed_raw_bundle(kept, env.key, covered=entries)
    _refused(env, data, BundleError, "'js/app.js' is listed in the signature but missing")


def test_file_renamed_after_signing_is_rejected(env: Env) -> None:
    entries = entries_of(app_files(code=2))
    renamed = [RawEntry.of("js/app2.js", e.stored) if e.name == "js/app.js" else e for e in entries]
    data = signed_raw_bundle(renamed, env.key, covered=entries)
    _refused(env, data, BundleError, "'js/app2.js' is not covered by the signature")


def test_entries_reordered_after_signing_are_rejected(env: Env) -> None:
    entries = entries_of(app_files(code=2))
    data = signed_raw_bundle([entries[0], *reversed(entries[1:])], env.key, covered=entries)
    _refused(env, data, BundleError, "does not match its signed entry")


def test_manifest_swapped_is_rejected(env: Env) -> None:
    entries = entries_of(app_files(code=2))
    greedy = app_files(code=2, req_permissions=[{"name": "files"}])["manifest.json"]
    swapped = [RawEntry.of("manifest.json", greedy), *entries[1:]]
    data = signed_raw_bundle(swapped, env.key, covered=entries)
    _refused(env, data, BundleError, "'manifest.json' does not match its signed")


def test_signature_from_untrusted_key_is_rejected(env: Env) -> None:
    data = pack_bundle(app_files(code=2), env.stranger)
    _refused(env, data, SignatureError, "which is not trusted")


def test_signature_entry_missing_is_rejected(env: Env) -> None:
    data = raw_zip(entries_of(app_files(code=2)))
    _refused(env, data, SignatureError, "bundle is not signed")


def test_signature_entry_not_last_is_rejected(env: Env) -> None:
    entries = entries_of(app_files(code=2))
    sig = RawEntry.of(SIGNATURE_NAME, envelope_for(entries, env.key))
    _refused(env, raw_zip([sig, *entries]), SignatureError, "is not the last entry")


def _envelope(env: Env) -> dict[str, str]:
    doc: dict[str, str] = json.loads(envelope_for(entries_of(app_files(code=2)), env.key))
    return doc


def _with_signature(env: Env, raw: bytes) -> bytes:
    return raw_zip([*entries_of(app_files(code=2)), RawEntry.of(SIGNATURE_NAME, raw)])


def _other_sig(env: Env) -> dict[str, str]:
    doc = _envelope(env)
    doc["signature"] = base64.b64encode(env.key.sign(b"something else")).decode()
    return doc


def _stranger_sig_trusted_id(env: Env) -> dict[str, str]:
    doc: dict[str, str] = json.loads(envelope_for(entries_of(app_files(code=2)), env.stranger))
    doc["key_id"] = _envelope(env)["key_id"]
    return doc


def _flip_b64_spare_bits(env: Env) -> dict[str, str]:
    doc = _envelope(env)
    sig = doc["signature"]  # 64 bytes -> 86 chars + "==": the 86th carries 4 spare bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    doc["signature"] = sig[:85] + alphabet[alphabet.index(sig[85]) ^ 1] + sig[86:]
    return doc


MALFORMED: dict[str, tuple[Callable[[Env], bytes], str]] = {
    "not_json": (lambda env: b"not json", "is not valid JSON"),
    "missing_signature_field": (
        lambda env: json.dumps(
            {k: v for k, v in _envelope(env).items() if k != "signature"}
        ).encode(),
        "is malformed",
    ),
    "extra_field": (
        lambda env: json.dumps({**_envelope(env), "x": 1}, separators=(",", ":")).encode(),
        "is malformed",
    ),
    "duplicate_key": (
        lambda env: (
            envelope_for(entries_of(app_files(code=2)), env.key)[:-1]
            + b',"key_id":"'
            + b"0" * 64
            + b'"}'
        ),
        "has the key 'key_id' twice",
    ),
    "bad_base64": (
        lambda env: json.dumps(
            {**_envelope(env), "signature": "!!!!"}, separators=(",", ":")
        ).encode(),
        "bad base64",
    ),
    "non_canonical_base64": (
        lambda env: json.dumps(_flip_b64_spare_bits(env), separators=(",", ":")).encode(),
        "non-canonical base64",
    ),
    "pretty_printed": (lambda env: json.dumps(_envelope(env), indent=1).encode(), "canonical form"),
    "signature_over_other_data": (
        lambda env: json.dumps(_other_sig(env), separators=(",", ":")).encode(),
        "bad signature",
    ),
    "stranger_signature_under_trusted_id": (
        lambda env: json.dumps(_stranger_sig_trusted_id(env), separators=(",", ":")).encode(),
        "bad signature",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED), ids=sorted(MALFORMED))
def test_signature_entry_malformed_is_rejected(env: Env, case: str) -> None:
    make, match = MALFORMED[case]
    _refused(env, _with_signature(env, make(env)), SignatureError, match)


def test_signature_replayed_from_another_bundle_is_rejected(env: Env) -> None:
    other = entries_of(app_files("com.example.other", code=5))
    mine = entries_of(app_files(code=2, body="changed"))
    data = raw_zip([*mine, RawEntry.of(SIGNATURE_NAME, envelope_for(other, env.key))])
    _refused(env, data, BundleError, "does not match its signed")

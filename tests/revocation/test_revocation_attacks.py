"""The kill switch resists TUF's metadata attacks; each test is named after the attack.

Every rejection asserts the specific error (``RefreshResult.rule``), the audit entry, and that
the held list and its persisted state did not change.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from superapp.revocation import (
    Keyset,
    RefreshResult,
    RevocationError,
    generate_private_key,
    key_id,
    verify_document,
)
from tests.revocation.conftest import NOTES, NOW, Platform, make_doc, pub

OTHER = {"kind": "app", "app_id": "com.example.chat", "reason": "spam"}


def _state(p: Platform) -> bytes:
    return (p.paths.trust / "revocation-state.json").read_bytes()


def _accept(p: Platform, doc: bytes, **policy: object) -> None:
    p.serve(doc)
    result = p.checker(**policy).refresh()
    assert result.ok and result.status == "updated", result


def test_valid_document_over_http_is_verified_persisted_and_audited(platform: Platform) -> None:
    platform.serve(make_doc(1, [platform.key_a]))
    checker = platform.checker()
    assert checker.is_revoked("com.example.notes") is None  # nothing fetched yet (fail-open)
    result = checker.refresh()
    assert (result.status, result.ok, result.version, result.stale) == ("updated", True, 1, False)
    assert platform.server.hits == 1
    hit = checker.is_revoked("com.example.notes", 3, None, None)
    assert hit is not None and hit.kind == "app" and hit.reason == "steals notes"
    assert checker.is_revoked("com.example.chat", 3, None, None) is None
    assert ("revocation.updated", "") in platform.audit_actions()
    # a fresh checker (host restart) enforces the persisted list without fetching
    assert platform.checker().is_revoked("com.example.notes") is not None
    assert checker.refresh().status == "unchanged"


def test_replayed_older_document_is_rejected(platform: Platform) -> None:
    old = make_doc(1, [platform.key_a], revocations=[])
    _accept(platform, make_doc(2, [platform.key_a]))
    before = _state(platform)
    platform.serve(old)
    result = platform.checker().refresh()  # also a restart: the version came from disk
    assert (result.status, result.rule, result.version) == ("rejected", "rollback", 2)
    assert "older than the held version 2" in result.message
    assert ("revocation.rejected", "rollback") in platform.audit_actions()
    assert _state(platform) == before
    assert platform.checker().is_revoked("com.example.notes") is not None


def test_same_version_with_other_content_is_rejected(platform: Platform) -> None:
    _accept(platform, make_doc(2, [platform.key_a]))
    before = _state(platform)
    platform.serve(make_doc(2, [platform.key_a], revocations=[]))
    result = platform.checker().refresh()
    assert (result.status, result.rule) == ("rejected", "rollback")
    assert _state(platform) == before


def test_expired_document_is_rejected(platform: Platform) -> None:
    platform.serve(make_doc(1, [platform.key_a], expires=NOW - timedelta(seconds=1)))
    checker = platform.checker()
    result = checker.refresh()
    assert (result.status, result.rule, result.version, result.stale) == (
        "rejected",
        "expired",
        0,
        True,
    )
    actions = platform.audit_actions()
    assert ("revocation.rejected", "expired") in actions and ("revocation.stale", "") in actions
    assert not (platform.paths.trust / "revocation-state.json").exists()


def test_freeze_attack_fail_open_keeps_enforcing_the_last_list(platform: Platform) -> None:
    _accept(platform, make_doc(1, [platform.key_a], expires=NOW + timedelta(hours=1)))
    checker = platform.checker()
    platform.clock.now = NOW + timedelta(hours=2)  # the attacker keeps serving the old doc
    result = checker.refresh()
    assert (result.rule, result.stale) == ("expired", True)
    assert checker.is_revoked("com.example.notes") is not None  # still enforced
    assert checker.is_revoked("com.example.chat") is None  # fail-open: others run
    assert checker.status().stale


def test_freeze_attack_fail_closed_refuses_every_app(platform: Platform) -> None:
    _accept(platform, make_doc(1, [platform.key_a], expires=NOW + timedelta(hours=1)))
    checker = platform.checker(on_expired="closed")
    assert checker.is_revoked("com.example.chat") is None  # still current
    platform.clock.now = NOW + timedelta(hours=2)
    hit = checker.is_revoked("com.example.chat")
    assert hit is not None and hit.kind == "unverified"
    assert "fail-closed" in hit.reason and "expired" in hit.reason
    notes = checker.is_revoked("com.example.notes")
    assert notes is not None and notes.kind == "app"  # the specific reason wins


def test_switching_the_source_off_keeps_known_revocations_but_refuses_nothing_else(
    platform: Platform,
) -> None:
    _accept(platform, make_doc(1, [platform.key_a], expires=NOW + timedelta(hours=1)))
    platform.clock.now = NOW + timedelta(days=30)
    checker = platform.checker(source=None, on_expired="closed")
    assert checker.is_revoked("com.example.notes") is not None
    assert checker.is_revoked("com.example.chat") is None
    assert checker.refresh().status == "disabled"


def test_fail_closed_refuses_before_any_list_was_verified(platform: Platform) -> None:
    checker = platform.checker(on_expired="closed")
    hit = checker.is_revoked("com.example.chat")
    assert hit is not None and hit.kind == "unverified" and "never been fetched" in hit.reason
    assert platform.checker().is_revoked("com.example.chat") is None  # fail-open


def test_document_signed_by_unknown_key_is_rejected(platform: Platform) -> None:
    intruder = generate_private_key()
    platform.serve(make_doc(1, [intruder], revocations=[OTHER]))
    result = platform.checker().refresh()
    assert (result.status, result.rule) == ("rejected", "unknown_key")
    assert key_id(pub(intruder))[:16] in result.message
    assert ("revocation.rejected", "unknown_key") in platform.audit_actions()
    assert platform.checker().status().version == 0


def test_bad_signature_is_rejected(platform: Platform) -> None:
    _accept(platform, make_doc(1, [platform.key_a]))
    before = _state(platform)
    doc = json.loads(make_doc(2, [platform.key_a], revocations=[]))
    sig = bytearray(base64.b64decode(doc["signatures"][0]["sig"]))
    sig[5] ^= 0x01
    doc["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    platform.serve(json.dumps(doc).encode())
    result = platform.checker().refresh()
    assert (result.status, result.rule) == ("rejected", "bad_signature")
    assert ("revocation.rejected", "bad_signature") in platform.audit_actions()
    assert _state(platform) == before


def test_mix_and_match_spliced_entries_are_rejected(platform: Platform) -> None:
    """Entries of one signed document moved into another: one signature covers the whole list."""
    _accept(platform, make_doc(1, [platform.key_a]))
    before = _state(platform)
    v2 = json.loads(make_doc(2, [platform.key_a], revocations=[OTHER]))
    v1 = json.loads(make_doc(1, [platform.key_a], revocations=[NOTES]))
    v2["signed"]["revocations"] = v1["signed"]["revocations"] + v2["signed"]["revocations"][:0]
    platform.serve(json.dumps(v2).encode())
    result = platform.checker().refresh()
    assert (result.status, result.rule) == ("rejected", "bad_signature")
    # and dropping one entry from a valid list (unrevoking an app) is the same splice
    v3 = json.loads(make_doc(3, [platform.key_a], revocations=[NOTES, OTHER]))
    v3["signed"]["revocations"] = [OTHER]
    platform.serve(json.dumps(v3).encode())
    assert platform.checker().refresh().rule == "bad_signature"
    assert _state(platform) == before


def test_repeated_signatures_by_one_key_do_not_meet_a_threshold(platform: Platform) -> None:
    doc = json.loads(make_doc(1, [platform.key_a]))
    doc["signatures"] = doc["signatures"] * 2
    platform.serve(json.dumps(doc).encode())
    policy = {"platform_keys": (pub(platform.key_a), pub(platform.key_b)), "threshold": 2}
    result = platform.checker(**policy).refresh()
    assert (result.status, result.rule) == ("rejected", "threshold")
    platform.serve(make_doc(1, [platform.key_a, platform.key_b]))
    assert platform.checker(**policy).refresh().status == "updated"


def test_rotated_key_takes_over_and_the_old_key_is_refused(platform: Platform) -> None:
    a, b = platform.key_a, platform.key_b
    new_set = Keyset(version=2, threshold=1, keys=(pub(b),))
    # the rotation is authorised by the old key and proven by the new one
    _accept(platform, make_doc(1, [a, b], next_keyset=new_set))
    assert platform.checker().status().keyset_version == 2
    assert ("revocation.updated", "") in platform.audit_actions()
    # later documents need only the new key...
    _accept(platform, make_doc(2, [b], revocations=[OTHER], next_keyset=new_set))
    # ...and the old (compromised) key can no longer sign, even after a restart
    before = _state(platform)
    platform.serve(make_doc(3, [a], revocations=[]))
    result = platform.checker().refresh()
    assert (result.status, result.rule) == ("rejected", "unknown_key")
    assert _state(platform) == before
    assert platform.checker().is_revoked("com.example.chat") is not None


def test_rotation_without_the_new_keys_signature_is_rejected(platform: Platform) -> None:
    new_set = Keyset(version=2, threshold=1, keys=(pub(platform.key_b),))
    platform.serve(make_doc(1, [platform.key_a], next_keyset=new_set))
    result = platform.checker().refresh()
    assert (result.status, result.rule) == ("rejected", "threshold")
    assert "rotation to key set 2" in result.message


def test_rotation_signed_only_by_the_new_key_is_rejected(platform: Platform) -> None:
    attacker = generate_private_key()
    new_set = Keyset(version=2, threshold=1, keys=(pub(attacker),))
    platform.serve(make_doc(1, [attacker], next_keyset=new_set))
    assert platform.checker().refresh().rule == "unknown_key"


def test_rotating_back_to_an_older_key_set_is_rejected(platform: Platform) -> None:
    a, b = platform.key_a, platform.key_b
    _accept(
        platform, make_doc(1, [a, b], next_keyset=Keyset(version=3, threshold=1, keys=(pub(b),)))
    )
    platform.serve(make_doc(2, [b], next_keyset=Keyset(version=2, threshold=1, keys=(pub(b),))))
    assert platform.checker().refresh().rule == "keyset_rollback"


def test_policy_with_a_newer_key_set_overrides_the_persisted_one(platform: Platform) -> None:
    a, b = platform.key_a, platform.key_b
    _accept(
        platform, make_doc(1, [a, b], next_keyset=Keyset(version=2, threshold=1, keys=(pub(b),)))
    )
    c = generate_private_key()
    platform.serve(make_doc(2, [c]))
    policy = {"platform_keys": (pub(c),), "keyset_version": 3}
    assert platform.checker(**policy).refresh().status == "updated"


def test_oversized_document_is_rejected(platform: Platform) -> None:
    platform.serve(b"{" + b" " * 5000 + b"}")
    result = platform.checker(max_document_bytes=4096).refresh()
    assert (result.status, result.rule) == ("fetch_failed", "fetch")
    assert "larger than 4096 bytes" in result.message


def test_duplicate_json_keys_are_rejected(platform: Platform) -> None:
    doc = make_doc(1, [platform.key_a]).decode()
    doc = doc.replace('"version": 1', '"version": 1, "version": 9', 1)
    platform.serve(doc.encode())
    result = platform.checker().refresh()
    assert (result.rule, "duplicate key 'version'" in result.message) == ("format", True)


def test_network_failure_is_reported_not_raised(platform: Platform) -> None:
    platform.server.status = 503
    result = platform.checker().refresh()
    assert (result.status, result.ok, result.rule) == ("fetch_failed", False, "fetch")
    assert "HTTP 503" in result.message
    assert ("revocation.fetch_failed", "fetch") in platform.audit_actions()


def test_garbage_instead_of_http_is_reported_not_raised(platform: Platform) -> None:
    platform.server.raw = b"SSH-2.0-not-http\r\n\r\n"
    result = platform.checker().refresh()
    assert (result.status, result.rule) == ("fetch_failed", "fetch")


def test_deeply_nested_document_is_rejected_not_crashing(platform: Platform) -> None:
    platform.serve(b"[" * 100_000 + b"]" * 100_000)
    result = platform.checker(max_document_bytes=1 << 20).refresh()
    assert (result.status, result.rule) == ("rejected", "format")
    nested = json.loads(make_doc(1, [platform.key_a]))
    nested["signed"]["revocations"] = "DEEP"
    text = json.dumps(nested).replace('"DEEP"', "[" * 950 + "]" * 950)
    platform.serve(text.encode())
    assert platform.checker(max_document_bytes=1 << 20).refresh().status == "rejected"


def test_poller_refreshes_at_start_and_stops_when_asked(platform: Platform) -> None:
    platform.serve(make_doc(1, [platform.key_a]))
    results: queue.Queue[RefreshResult] = queue.Queue()
    stop = threading.Event()
    checker = platform.checker()
    thread = threading.Thread(target=checker.run, args=(stop, results.put))
    thread.start()
    try:
        first = results.get(timeout=30)
        second = results.get(timeout=30)  # interval_s = 1
    finally:
        stop.set()
        thread.join(timeout=30)
    assert (first.status, second.status) == ("updated", "unchanged")
    assert not thread.is_alive()


def test_unreachable_source_is_reported_not_raised(platform: Platform) -> None:
    httpd = platform.server._httpd
    assert httpd is not None
    httpd.shutdown()
    httpd.server_close()  # nothing listens on that 127.0.0.1 port any more
    result = platform.checker().refresh()
    assert (result.status, result.ok) == ("fetch_failed", False)
    assert "cannot reach the revocation source" in result.message


def test_document_from_a_file_path(platform: Platform) -> None:
    path = platform.paths.cache / "revocations.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_doc(1, [platform.key_a]))
    checker = platform.checker(source=str(path))
    assert checker.refresh().status == "updated"
    assert platform.checker(source=path.as_uri()).refresh().status == "unchanged"


_DIGEST = "ab" * 32


@pytest.mark.parametrize(
    ("entry", "query", "revoked"),
    [
        (NOTES, ("com.example.notes", 1, None, None), True),
        (NOTES, ("com.example.notesx", 1, None, None), False),
        (
            {"kind": "app_versions", "app_id": "com.example.notes", "version_codes": [3, 4]},
            ("com.example.notes", 4, None, None),
            True,
        ),
        (
            {"kind": "app_versions", "app_id": "com.example.notes", "version_codes": [3, 4]},
            ("com.example.notes", 5, None, None),
            False,
        ),
        ({"kind": "publisher_key", "key_id": "cd" * 32}, ("com.x.y", 1, "CD" * 32, None), True),
        ({"kind": "publisher_key", "key_id": "cd" * 32}, ("com.x.y", 1, "ce" * 32, None), False),
        ({"kind": "bundle_digest", "digest": _DIGEST}, ("com.x.y", 1, None, _DIGEST.upper()), True),
        ({"kind": "bundle_digest", "digest": _DIGEST}, ("com.x.y", 1, None, "ac" * 32), False),
    ],
    ids=["app", "other_app", "version", "other_version", "key", "other_key", "digest", "other"],
)
def test_is_revoked_matches_each_kind(
    platform: Platform,
    entry: dict[str, object],
    query: tuple[str, int, str | None, str | None],
    revoked: bool,
) -> None:
    _accept(platform, make_doc(1, [platform.key_a], revocations=[entry]))
    assert (platform.checker().is_revoked(*query) is not None) is revoked


_KEY = generate_private_key()
_TRUSTED = Keyset(version=1, threshold=1, keys=(pub(_KEY),))
_DOC = make_doc(4, [_KEY], revocations=[NOTES, OTHER])
_GOOD = verify_document(
    _DOC, trusted=_TRUSTED, held_version=0, held_digest=None, now=NOW, max_bytes=1 << 20
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(position=st.integers(0, len(_DOC) - 1), flip=st.integers(1, 255))
def test_any_byte_change_is_rejected_or_changes_nothing(position: int, flip: int) -> None:
    """A flipped byte either fails verification or only touched formatting."""
    tampered = bytearray(_DOC)
    tampered[position] ^= flip
    try:
        doc = verify_document(
            bytes(tampered),
            trusted=_TRUSTED,
            held_version=0,
            held_digest=None,
            now=NOW,
            max_bytes=1 << 20,
        )
    except RevocationError:
        return
    assert doc.digest == _GOOD.digest and doc.body == _GOOD.body

"""The trust store: key ids are fingerprints; records are checked when read."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles import (
    TrustStore,
    generate_keypair,
    key_id_of,
    load_private_key,
    load_public_key,
)
from superapp.core.errors import TrustError, UsageError
from superapp.core.paths import Paths


def test_key_id_is_sha256_of_the_raw_public_key() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key_id_of(key) == hashlib.sha256(raw).hexdigest()


def test_add_list_get_remove(superapp_home: Paths) -> None:
    store = TrustStore(superapp_home)
    a, b = Ed25519PrivateKey.generate().public_key(), Ed25519PrivateKey.generate().public_key()
    store.add(a, "Zeta")
    added = store.add(b, "alpha")
    assert [k.name for k in store.list()] == ["alpha", "Zeta"]
    assert store.get(added.key_id).name == "alpha"
    assert store.resolve(added.key_id[:10]) == added.key_id
    assert store.add(b, "Alpha Renamed").key_id == added.key_id  # re-adding renames
    assert store.get(added.key_id).name == "Alpha Renamed"
    store.remove(added.key_id)
    with pytest.raises(TrustError, match="is not trusted"):
        store.get(added.key_id)
    assert [k.name for k in store.list()] == ["Zeta"]


def test_trust_records_are_owner_only(superapp_home: Paths) -> None:
    key = TrustStore(superapp_home).add(Ed25519PrivateKey.generate().public_key(), "Example")
    record = superapp_home.trust / "publishers" / f"{key.key_id}.json"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600


def test_record_whose_key_does_not_match_its_id_is_refused(superapp_home: Paths) -> None:
    store = TrustStore(superapp_home)
    trusted = store.add(Ed25519PrivateKey.generate().public_key(), "Example")
    record = superapp_home.trust / "publishers" / f"{trusted.key_id}.json"
    doc = json.loads(record.read_text())
    other = Ed25519PrivateKey.generate().public_key()
    import base64

    doc["public_key"] = base64.b64encode(
        other.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).decode()
    record.write_text(json.dumps(doc))  # a planted key under a trusted key's id
    with pytest.raises(TrustError, match="does not match its key"):
        store.get(trusted.key_id)


def test_bad_key_ids_and_names_are_refused(superapp_home: Paths) -> None:
    store = TrustStore(superapp_home)
    with pytest.raises(TrustError, match="not a key id"):
        store.get("../../etc/passwd")
    with pytest.raises(TrustError, match="at least 8 hex digits"):
        store.resolve("abc")
    with pytest.raises(UsageError, match="printable"):
        store.add(Ed25519PrivateKey.generate().public_key(), "bad\nname")


def test_keygen_writes_private_key_owner_only_and_never_overwrites(tmp_path: Path) -> None:
    private, public, key_id = generate_keypair(tmp_path / "keys")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert key_id_of(load_private_key(private).public_key()) == key_id
    assert key_id_of(load_public_key(public)) == key_id
    with pytest.raises(UsageError, match="already exists"):
        generate_keypair(tmp_path / "keys")


def test_openssh_public_keys_are_accepted(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "id.pub"
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
    )
    assert key_id_of(load_public_key(path)) == key_id_of(key.public_key())


def test_non_ed25519_keys_are_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(TrustError, match="not an Ed25519 public key"):
        load_public_key(path)
    (tmp_path / "junk.pem").write_text("hello")
    with pytest.raises(TrustError, match="not a PEM or OpenSSH public key"):
        load_public_key(tmp_path / "junk.pem")

"""Publisher keys and the trust store under ``<data>/trust/publishers/``.

A publisher key is an Ed25519 key pair. Its **key id** is the hex SHA-256 of the raw 32-byte
public key, so the id is a fingerprint: it cannot be chosen, and two keys never share one.

A key is trusted only after the user (or the first-run sample set-up) adds it. Each trusted key
is one JSON file ``<key_id>.json`` holding the raw public key, a display name and the time it
was added; files are written atomically and owner-only. On load the id is recomputed from the
key and a file whose name, id and key disagree is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from superapp.core.errors import TrustError, UsageError
from superapp.core.files import atomic_write
from superapp.core.paths import Paths

__all__ = [
    "PRIVATE_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "TrustStore",
    "TrustedKey",
    "generate_keypair",
    "key_id_of",
    "load_private_key",
    "load_public_key",
    "write_private_key",
]

PRIVATE_KEY_FILE: Final = "publisher.key"
PUBLIC_KEY_FILE: Final = "publisher.pub"
_KEY_ID_RE: Final = re.compile(r"^[0-9a-f]{64}$")
_MIN_PREFIX: Final = 8
_NAME_MAX: Final = 64


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """The key id: hex SHA-256 of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def generate_keypair(out_dir: Path) -> tuple[Path, Path, str]:
    """Write a new ``publisher.key`` (PKCS#8 PEM, mode 0600) and ``publisher.pub`` into ``out_dir``.

    Returns ``(private_path, public_path, key_id)``. Refuses to overwrite an existing key.

    Raises:
        UsageError: a key file already exists there.
    """
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_path, public_path = out_dir / PRIVATE_KEY_FILE, out_dir / PUBLIC_KEY_FILE
    for path in (private_path, public_path):
        if path.exists():
            raise UsageError(f"{path} already exists; not overwriting a key")
    key = Ed25519PrivateKey.generate()
    write_private_key(private_path, key)
    pub_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_atomic(public_path, pub_pem, 0o644)
    return private_path, public_path, key_id_of(key.public_key())


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` as unencrypted PKCS#8 PEM, owner-only, refusing to overwrite."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())


def load_private_key(path: Path, password: bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from a PEM file.

    Raises:
        TrustError: unreadable, not PEM, encrypted without a password, or not Ed25519.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrustError(f"cannot read key {path}: {exc.strerror}") from None
    if _is_public_key(data):
        raise TrustError(
            f"{path} is the public half of a key pair; signing needs the private key "
            f"('{PRIVATE_KEY_FILE}' next to it, as written by 'superapp keygen'). The public "
            "key is what users add with 'superapp trust add'"
        )
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError:
        raise TrustError(f"{path} is encrypted with a password; give an unencrypted key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise TrustError(
            f"{path} is not a PEM private key (expected a '{PRIVATE_KEY_FILE}' file as written "
            "by 'superapp keygen')"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise TrustError(f"{path} is not an Ed25519 key")
    return key


def _is_public_key(data: bytes) -> bool:
    head = data.lstrip()
    return head.startswith((b"ssh-", b"-----BEGIN PUBLIC KEY-----", b"-----BEGIN SSH2 PUBLIC"))


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Load an Ed25519 public key from a PEM (SubjectPublicKeyInfo) or OpenSSH file.

    Raises:
        TrustError: unreadable, in neither format, or not Ed25519.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrustError(f"cannot read key {path}: {exc.strerror}") from None
    key: object
    try:
        if data.lstrip().startswith(b"ssh-"):
            key = serialization.load_ssh_public_key(data.strip())
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise TrustError(f"{path} is not a PEM or OpenSSH public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise TrustError(f"{path} is not an Ed25519 public key")
    return key


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    atomic_write(path, data, mode=mode)


@dataclass(frozen=True, slots=True)
class TrustedKey:
    key_id: str
    name: str
    public_key: Ed25519PublicKey
    added_at: str

    @property
    def short_id(self) -> str:
        return self.key_id[:16]


class TrustStore:
    """The user's trusted publisher keys (``<data>/trust/publishers/<key_id>.json``)."""

    def __init__(self, paths: Paths) -> None:
        self.folder = paths.trust / "publishers"

    def _file(self, key_id: str) -> Path:
        if not _KEY_ID_RE.fullmatch(key_id):
            raise TrustError(f"{key_id!r} is not a key id (64 lower-case hex digits)")
        return self.folder / f"{key_id}.json"

    def add(self, public_key: Ed25519PublicKey, name: str) -> TrustedKey:
        """Trust ``public_key`` under the display ``name``; re-adding renames it.

        Raises:
            UsageError: the name is empty, too long or has control characters.
        """
        name = name.strip()
        if not name or len(name) > _NAME_MAX or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
            raise UsageError(f"publisher name must be 1 to {_NAME_MAX} printable characters")
        key_id = key_id_of(public_key)
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        record = {
            "key_id": key_id,
            "name": name,
            "public_key": base64.b64encode(raw).decode("ascii"),
            "added_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_atomic(self._file(key_id), json.dumps(record, indent=2).encode() + b"\n", 0o600)
        return TrustedKey(key_id, name, public_key, str(record["added_at"]))

    def knows(self, key_id: str) -> bool:
        """Whether a record for ``key_id`` exists (``get`` still checks it)."""
        return bool(_KEY_ID_RE.fullmatch(key_id)) and self._file(key_id).exists()

    def get(self, key_id: str) -> TrustedKey:
        """The trusted key with exactly this id.

        Raises:
            TrustError: not trusted, or its record is damaged.
        """
        path = self._file(key_id)
        try:
            raw_record = path.read_bytes()
        except FileNotFoundError:
            raise TrustError(f"publisher key {key_id[:16]}… is not trusted") from None
        except OSError as exc:
            raise TrustError(f"cannot read trusted key {path}: {exc.strerror}") from None
        return self._parse(path, raw_record)

    def _parse(self, path: Path, raw_record: bytes) -> TrustedKey:
        try:
            record = json.loads(raw_record)
            raw = base64.b64decode(record["public_key"], validate=True)
            public_key = Ed25519PublicKey.from_public_bytes(raw)
            name, added_at, stored_id = record["name"], record["added_at"], record["key_id"]
        except (ValueError, KeyError, TypeError):
            raise TrustError(f"trusted key record {path} is damaged") from None
        key_id = key_id_of(public_key)
        if not (key_id == stored_id == path.stem) or not isinstance(name, str):
            raise TrustError(f"trusted key record {path} does not match its key; refusing it")
        return TrustedKey(key_id, name, public_key, str(added_at))

    def list(self) -> list[TrustedKey]:
        """Every trusted key, by name."""
        if not self.folder.is_dir():
            return []
        keys = [
            self._parse(path, path.read_bytes())
            for path in sorted(self.folder.glob("*.json"))
            if _KEY_ID_RE.fullmatch(path.stem)
        ]
        return sorted(keys, key=lambda k: (k.name.casefold(), k.key_id))

    def resolve(self, prefix: str) -> str:
        """The full id of the one trusted key whose id starts with ``prefix`` (≥ 8 hex digits).

        Raises:
            TrustError: no key, or more than one, matches.
        """
        prefix = prefix.strip().lower().removesuffix("…")
        if len(prefix) < _MIN_PREFIX or not re.fullmatch(r"[0-9a-f]+", prefix):
            raise TrustError(f"{prefix!r}: give at least {_MIN_PREFIX} hex digits of a key id")
        matches = [k.key_id for k in self.list() if k.key_id.startswith(prefix)]
        if not matches:
            raise TrustError(
                f"no trusted key id starts with {prefix!r} (see 'superapp trust list')"
            )
        if len(matches) > 1:
            raise TrustError(f"{prefix!r} matches {len(matches)} trusted keys; give more digits")
        return matches[0]

    def remove(self, key_id: str) -> TrustedKey:
        """Stop trusting a key; apps it signed will no longer verify or launch.

        Raises:
            TrustError: the key is not trusted.
        """
        key = self.get(key_id)
        self._file(key_id).unlink()
        return key

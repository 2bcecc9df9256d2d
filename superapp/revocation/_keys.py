"""Platform signing keys: Ed25519, public keys as base64 of the raw 32 bytes.

A key id is the hex SHA-256 of the raw public key, so it is derived, never asserted: a
signature entry's ``keyid`` only says which trusted key to try.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from superapp.revocation._errors import RevocationError

__all__ = [
    "generate_private_key",
    "key_id",
    "load_private_key",
    "public_key_b64",
    "save_private_key",
    "verify_signature",
]


def key_id(public_key_b64: str) -> str:
    """Hex SHA-256 of the raw public key."""
    return hashlib.sha256(base64.b64decode(public_key_b64, validate=True)).hexdigest()


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode("ascii")


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def save_private_key(private_key: Ed25519PrivateKey, path: Path) -> None:
    """Write the key as unencrypted PKCS#8 PEM, owner-only; refuses to overwrite.

    Raises:
        RevocationError: the file already exists.
    """
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise RevocationError(f"{path} already exists; not overwriting a key") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a PEM private key written by ``save_private_key``.

    Raises:
        RevocationError: unreadable, not PEM, or not Ed25519.
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise RevocationError(f"cannot read key file {path}: {err.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise RevocationError(f"{path} is not an unencrypted PEM private key") from err
    if not isinstance(key, Ed25519PrivateKey):
        raise RevocationError(f"{path} is not an Ed25519 key")
    return key


def verify_signature(public_key: str, signature_b64: str, message: bytes) -> bool:
    """True only for a well-formed, valid Ed25519 signature by ``public_key``."""
    try:
        pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        sig = base64.b64decode(signature_b64, validate=True)
        pub.verify(sig, message)
    except (ValueError, InvalidSignature):
        return False
    return True

"""Signing keys of the repository's roles: Ed25519 PEM files (PKCS#8), one per role.

Operators keep the root key offline; ``superapp repo`` reads a key only for the command that
signs with it. A key is a file path here (no key commands or HSMs yet: securesystemslib's
other signers would slot in behind ``signer_from_file``).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from securesystemslib.signer import CryptoSigner, SSlibKey

from superapp.bundles import load_private_key, load_public_key
from superapp.core.errors import FleetError, TrustError

__all__ = ["generate_key", "public_key_from_file", "signer_from_file"]


def generate_key(path: Path) -> SSlibKey:
    """Write a new Ed25519 private key to ``path`` (0600, never overwriting); its public key.

    Raises:
        FleetError: the file exists or cannot be written.
    """
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise FleetError(f"{path} already exists; not overwriting a key", "key") from None
    except OSError as err:
        raise FleetError(f"cannot write key {path}: {err.strerror}", "key") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return SSlibKey.from_crypto(key.public_key())


def signer_from_file(path: Path) -> CryptoSigner:
    """A signer for the Ed25519 private key in ``path``.

    Raises:
        FleetError: unreadable, not PEM, or not Ed25519.
    """
    try:
        return CryptoSigner(load_private_key(path))
    except TrustError as err:
        raise FleetError(str(err), "key") from None


def public_key_from_file(path: Path) -> SSlibKey:
    """The public key in ``path``: a PEM public key, or a private key (its public half).

    Raises:
        FleetError: unreadable or not an Ed25519 key.
    """
    try:
        text = path.read_bytes()
    except OSError as err:
        raise FleetError(f"cannot read key {path}: {err.strerror}", "key") from None
    try:
        if b"PRIVATE KEY" in text:
            public: Ed25519PublicKey = load_private_key(path).public_key()
        else:
            public = load_public_key(path)
    except TrustError as err:
        raise FleetError(str(err), "key") from None
    return SSlibKey.from_crypto(public)

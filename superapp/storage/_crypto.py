"""Sealing of stored values and file contents under an app's data key.

Format of a sealed blob: one version byte, then for AES-GCM a 12-byte random nonce and the
ciphertext with its 16-byte tag. The associated data binds every blob to

    b"superapp/v1\\0" + purpose + b"\\0" + app_id + b"\\0" + name

so a blob copied to another app, another key, another file path or another purpose (a value
pasted in as a key name) fails to open. Subkeys are derived from the 32-byte data key with
HKDF-SHA256: one for AES-256-GCM, one for HMAC-SHA256 lookup ids, so the SQLite file holds
neither values nor key names in the clear.

``PlainCodec`` exists only so the benchmark can measure what encryption costs; it writes a
different version byte, and an encrypted store refuses such blobs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Final, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from superapp.storage._errors import UnreadableError

__all__ = ["AesGcmCodec", "Codec", "PlainCodec"]

_V_PLAIN: Final = 0x00
_V_AESGCM: Final = 0x01
_NONCE: Final = 12
_TAG: Final = 16
DATA_KEY_BYTES: Final = 32


class Codec(Protocol):
    encrypted: bool
    #: Bytes a sealed blob adds to its plaintext.
    overhead: int

    def lookup_id(self, name: str) -> bytes: ...

    def seal(self, purpose: bytes, name: str, data: bytes) -> bytes: ...

    def open(self, purpose: bytes, name: str, blob: bytes) -> bytes: ...


def _ad(purpose: bytes, app_id: str, name: str) -> bytes:
    return b"superapp/v1\0" + purpose + b"\0" + app_id.encode() + b"\0" + name.encode("utf-8")


class AesGcmCodec:
    encrypted = True
    overhead = 1 + _NONCE + _TAG

    def __init__(self, app_id: str, data_key: bytes) -> None:
        if len(data_key) != DATA_KEY_BYTES:
            raise ValueError("data key must be 32 bytes")
        self._app_id = app_id
        self._aead = AESGCM(_derive(data_key, b"superapp/v1 aead"))
        self._mac_key = _derive(data_key, b"superapp/v1 lookup")

    def lookup_id(self, name: str) -> bytes:
        msg = self._app_id.encode() + b"\0" + name.encode("utf-8")
        return hmac.new(self._mac_key, msg, hashlib.sha256).digest()[:16]

    def seal(self, purpose: bytes, name: str, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        ct = self._aead.encrypt(nonce, data, _ad(purpose, self._app_id, name))
        return bytes([_V_AESGCM]) + nonce + ct

    def open(self, purpose: bytes, name: str, blob: bytes) -> bytes:
        if len(blob) < self.overhead or blob[0] != _V_AESGCM:
            raise UnreadableError("stored data is unreadable (not sealed for this app)")
        nonce, ct = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, ct, _ad(purpose, self._app_id, name))
        except InvalidTag:
            raise UnreadableError("stored data is unreadable (failed authentication)") from None


class PlainCodec:
    """No encryption. Only for measuring the cost of AesGcmCodec (bench/storage.py)."""

    encrypted = False
    overhead = 1

    def lookup_id(self, name: str) -> bytes:
        return name.encode("utf-8")

    def seal(self, purpose: bytes, name: str, data: bytes) -> bytes:
        return bytes([_V_PLAIN]) + data

    def open(self, purpose: bytes, name: str, blob: bytes) -> bytes:
        if not blob or blob[0] != _V_PLAIN:
            raise UnreadableError("stored data is unreadable (not a plain blob)")
        return blob[1:]


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)

"""The signed parts of a ``.sapp`` bundle.

A bundle is a ZIP holding ``manifest.json``, the app's files, and one signature entry,
``META-INF/signature.json``::

    {"key_id": "<hex>", "statement": "<base64>", "signature": "<base64>"}

``statement`` is the base64 of the exact bytes that were signed, a canonical JSON object::

    {"files": [{"compressed_size": 321, "crc32": 123456, "method": 8, "name": "index.html",
                "sha256": "<hex>", "size": 1234}, ...],
     "key_id": "<hex>", "type": "superapp.bundle/v1"}

listing every other entry of the ZIP (``manifest.json`` first, then by UTF-8 name), in the
order they sit in the file. ``sha256`` is the digest of the entry's bytes *as stored* (the
deflate stream for a deflated entry), so the verifier hashes exactly the bytes it then trusts,
and with ``method``, sizes and CRC pinned too, every byte of the ZIP is determined by what was
signed. The signature is Ed25519 over ``SIGNING_CONTEXT + statement``, so a signature made for
anything else can never pass as a bundle signature. The verifier checks the signature over the
bytes it received and only then parses them.

The envelope itself must be in its canonical form (the exact JSON ``superapp pack`` writes,
canonical base64), so it has no spare bits either.

The **bundle digest** is the hex SHA-256 of the whole ``.sapp`` file (what ``sha256sum``
prints). Because no byte of the layout is free, it identifies the signed content: nobody
without the key can make a second file that verifies as the same app and version but has
another digest, so revocation by bundle digest cannot be dodged by re-zipping
(docs/adr/0003). ``signed_digest`` (SHA-256 of the statement) is also reported.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from superapp.core.canon import canonical_json

__all__ = [
    "SIGNATURE_NAME",
    "SIGNING_CONTEXT",
    "STATEMENT_TYPE",
    "Envelope",
    "FileRecord",
    "Statement",
    "encode_envelope",
    "encode_statement",
    "statement_digest",
]

SIGNATURE_NAME: Final = "META-INF/signature.json"
STATEMENT_TYPE: Final = "superapp.bundle/v1"
SIGNING_CONTEXT: Final = b"superapp bundle signature v1\x00"

Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class FileRecord(_Strict):
    name: str = Field(min_length=1, max_length=1024)
    method: Literal[0, 8]
    size: int = Field(ge=0)
    compressed_size: int = Field(ge=0)
    crc32: int = Field(ge=0, le=0xFFFFFFFF)
    sha256: Hex64


class Statement(_Strict):
    type: Literal["superapp.bundle/v1"]
    key_id: Hex64
    files: list[FileRecord]


class Envelope(_Strict):
    key_id: Hex64
    statement: str = Field(min_length=1)
    signature: str = Field(min_length=1, max_length=256)


def encode_statement(statement: Statement) -> bytes:
    """Canonical bytes of a statement (what the packer signs): RFC 8785 (ADR 0009).

    The verifier checks the signature over the statement bytes as stored, so bundles signed
    with the earlier form (sorted keys, ASCII escapes; identical bytes for an ASCII-only
    statement) verify unchanged.
    """
    return canonical_json(statement.model_dump(mode="json"))


def encode_envelope(envelope: Envelope) -> bytes:
    """Canonical bytes of the signature entry."""
    return json.dumps(
        envelope.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=True
    ).encode("ascii")


def statement_digest(statement_bytes: bytes) -> str:
    return hashlib.sha256(statement_bytes).hexdigest()

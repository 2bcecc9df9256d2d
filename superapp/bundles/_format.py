"""The signed parts of a ``.sapp`` bundle.

A bundle is a ZIP holding ``manifest.json``, the app's files, and one signature entry,
``META-INF/signature.json``::

    {"key_id": "<hex>", "statement": "<base64>", "signature": "<base64>"}

``statement`` is the base64 of the exact bytes that were signed, a canonical JSON object::

    {"files": [{"name": "index.html", "sha256": "<hex>", "size": 1234}, ...],
     "key_id": "<hex>", "type": "superapp.bundle/v1"}

listing every other entry of the ZIP (``manifest.json`` included), sorted by name. The
signature is Ed25519 over ``SIGNING_CONTEXT + statement``, so a signature made for something
else can never pass as a bundle signature. The verifier checks the signature over the bytes it
received and only then parses them, so no two parsers ever have to agree on a canonical form.

The **bundle digest** is the hex SHA-256 of the statement bytes: it changes when, and only when,
any signed byte changes, and no re-zipping of the same signed content can change it
(docs/adr/0003).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "SIGNATURE_NAME",
    "SIGNING_CONTEXT",
    "STATEMENT_TYPE",
    "Envelope",
    "FileRecord",
    "Statement",
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
    sha256: Hex64
    size: int = Field(ge=0)


class Statement(_Strict):
    type: Literal["superapp.bundle/v1"]
    key_id: Hex64
    files: list[FileRecord]


class Envelope(_Strict):
    key_id: Hex64
    statement: str = Field(min_length=1)
    signature: str = Field(min_length=1, max_length=256)


def encode_statement(statement: Statement) -> bytes:
    """Canonical bytes of a statement (what the packer signs)."""
    return json.dumps(
        statement.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode("ascii")


def statement_digest(statement_bytes: bytes) -> str:
    return hashlib.sha256(statement_bytes).hexdigest()

"""Bundle verification: the one procedure every ``.sapp`` goes through, at install and at launch.

The steps run in this order, and nothing from a later step is looked at before the earlier
ones pass. Untrusted bytes are only ever *parsed* by the small strict ZIP reader (step 2) and
the small signature envelope parser (step 4); everything else is parsed only after it has been
authenticated (python-tuf's ``TrustedMetadataSet`` is the model).

1. **Size.** The file is at most ``max_bundle_bytes``.
2. **ZIP structure.** ``_zip.read_entries``: the strict subset ``superapp pack`` writes (end
   record at the very end, no comment, entries back to back, local headers agreeing with the
   directory, no encryption/extra fields/ZIP64, no symlinks or folders), at most
   ``max_entries`` entries.
3. **Names and sizes**, from the directory alone, before any entry is decompressed: every name
   passes the bundle name rules (no ``..``, absolute, drive-letter or backslash paths, NFC, no
   ``META-INF/`` except the signature); no duplicate and no case-colliding names; exactly one
   signature entry and one ``manifest.json``; each entry within ``max_file_bytes`` and the
   compression-ratio limit, all entries within ``max_total_bytes`` and the ratio limit together.
4. **Signature.** The signature entry (at most ``max_signature_bytes``) is a strict JSON
   envelope; its key id must be in the trust store, and the Ed25519 signature must verify over
   ``SIGNING_CONTEXT + statement`` with that key. Any failure here is a ``SignatureError``.
5. **Statement.** Only now is the signed statement parsed. Its key id must equal the envelope's;
   the files it lists must be exactly the ZIP's entries other than the signature (an added
   entry is "not covered", a removed one "missing"), with the same sizes.
6. **Digests.** Every entry is decompressed (never past its declared size) and its SHA-256 must
   equal the signed one. The contents are kept in memory from here on: the runtime serves them
   from the ``VerifiedBundle``, so nothing can change between this check and its use.
7. **Manifest.** Only now is ``manifest.json`` parsed and validated, and every page and icon it
   references must be in the bundle.

The result carries the bundle digest (SHA-256 of the signed statement, docs/adr/0003).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import InvalidSignature
from pydantic import ValidationError

from superapp.bundles._format import SIGNATURE_NAME, SIGNING_CONTEXT, Envelope, Statement
from superapp.bundles._limits import DEFAULT_LIMITS, BundleLimits
from superapp.bundles._manifest import MANIFEST_NAME, Manifest, parse_manifest
from superapp.bundles._names import collision_key, name_problem
from superapp.bundles._trust import TrustStore
from superapp.bundles._zip import ZipEntry, inflate, read_entries
from superapp.errors import BundleError, SignatureError, TrustError

__all__ = ["VerifiedBundle", "file_sha256", "verify_bundle"]


@dataclass(frozen=True, slots=True)
class VerifiedBundle:
    """A bundle that passed every step of ``verify_bundle``, with its files held in memory."""

    manifest: Manifest
    key_id: str
    publisher: str
    digest: str
    size: int
    _files: Mapping[str, bytes] = field(repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        """Every file name in the bundle (``manifest.json`` included, the signature not)."""
        return tuple(self._files)

    def read(self, name: str) -> bytes:
        """The verified bytes of ``name``. Raises ``KeyError`` if the bundle has no such file."""
        return self._files[name]

    @property
    def files(self) -> Mapping[str, bytes]:
        """A read-only view of every file (for the static-analysis scanner)."""
        return self._files


def file_sha256(data: bytes) -> str:
    """Hex SHA-256 of a whole ``.sapp`` file (for listings; identity is ``digest``)."""
    return hashlib.sha256(data).hexdigest()


def _strict_json(data: bytes, what: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                raise SignatureError(f"{what} has the key {key!r} twice")
            result[key] = value
        return result

    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=pairs)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise SignatureError(f"{what} is not valid JSON") from None


def _check_names_and_sizes(
    entries: list[ZipEntry], size: int, limits: BundleLimits
) -> dict[str, ZipEntry]:
    by_name: dict[str, ZipEntry] = {}
    folded: dict[str, str] = {}
    total = 0
    for entry in entries:
        name = entry.name
        problem = name_problem(name, limits, reserved_ok=name == SIGNATURE_NAME)
        if problem:
            raise BundleError(f"bundle entry {name!r} refused: {problem}")
        if name in by_name:
            raise BundleError(f"bundle entry {name!r} appears twice")
        key = collision_key(name)
        if key in folded:
            raise BundleError(f"bundle entries {name!r} and {folded[key]!r} differ only by case")
        folded[key] = name
        by_name[name] = entry
        if entry.size > limits.max_file_bytes:
            raise BundleError(f"bundle entry {name!r} is larger than {limits.max_file_bytes} bytes")
        if (
            entry.size > limits.ratio_exempt_bytes
            and entry.size > entry.compressed_size * limits.max_compression_ratio
        ):
            raise BundleError(
                f"bundle entry {name!r} compresses more than {limits.max_compression_ratio}:1 "
                "(zip bomb?)"
            )
        total += entry.size
    if total > limits.max_total_bytes:
        raise BundleError(f"bundle unpacks to more than {limits.max_total_bytes} bytes (zip bomb?)")
    if total > limits.ratio_exempt_bytes and total > size * limits.max_compression_ratio:
        raise BundleError(
            f"bundle compresses more than {limits.max_compression_ratio}:1 overall (zip bomb?)"
        )
    if SIGNATURE_NAME not in by_name:
        raise SignatureError(f"bundle is not signed (no {SIGNATURE_NAME})")
    if by_name[SIGNATURE_NAME].size > limits.max_signature_bytes:
        raise SignatureError(f"{SIGNATURE_NAME} is larger than {limits.max_signature_bytes} bytes")
    if MANIFEST_NAME not in by_name:
        raise BundleError(f"bundle has no {MANIFEST_NAME}")
    if by_name[MANIFEST_NAME].size > limits.max_manifest_bytes:
        raise BundleError(f"{MANIFEST_NAME} is larger than {limits.max_manifest_bytes} bytes")
    return by_name


def _check_signature(
    data: bytes, entry: ZipEntry, trust: TrustStore
) -> tuple[Envelope, bytes, str]:
    raw = inflate(data, entry)
    try:
        envelope = Envelope.model_validate(_strict_json(raw, SIGNATURE_NAME))
    except ValidationError:
        raise SignatureError(f"{SIGNATURE_NAME} is malformed") from None
    try:
        trusted = trust.get(envelope.key_id)
    except TrustError:
        raise SignatureError(
            f"bundle is signed by key {envelope.key_id[:16]}…, which is not in the trust store "
            "(see 'superapp trust add')"
        ) from None
    try:
        statement_bytes = base64.b64decode(envelope.statement, validate=True)
        signature = base64.b64decode(envelope.signature, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{SIGNATURE_NAME} is malformed (bad base64)") from None
    try:
        trusted.public_key.verify(signature, SIGNING_CONTEXT + statement_bytes)
    except InvalidSignature:
        raise SignatureError(
            f"bad signature: the bundle was not signed by {trusted.name!r} or was altered"
        ) from None
    return envelope, statement_bytes, trusted.name


def _check_statement(
    envelope: Envelope, statement_bytes: bytes, by_name: Mapping[str, ZipEntry]
) -> Statement:
    try:
        statement = Statement.model_validate(_strict_json(statement_bytes, "signed statement"))
    except ValidationError:
        raise SignatureError("signed statement is malformed") from None
    if statement.key_id != envelope.key_id:
        raise SignatureError("signed statement names a different key than its envelope")
    listed: dict[str, int] = {}
    for record in statement.files:
        if record.name in listed or record.name == SIGNATURE_NAME:
            raise SignatureError(f"signed statement lists {record.name!r} twice or as a file")
        listed[record.name] = record.size
    for name, entry in by_name.items():
        if name == SIGNATURE_NAME:
            continue
        if name not in listed:
            raise BundleError(f"bundle entry {name!r} is not covered by the signature")
        if listed[name] != entry.size:
            raise BundleError(f"bundle entry {name!r} does not have its signed size")
    for name in listed:
        if name not in by_name:
            raise BundleError(f"file {name!r} is listed in the signature but missing")
    return statement


def verify_bundle(
    data: bytes, trust: TrustStore, limits: BundleLimits = DEFAULT_LIMITS
) -> VerifiedBundle:
    """Verify a ``.sapp`` file's bytes, following the procedure in this module's docstring.

    Raises:
        BundleError: malformed, tampered with, or over a limit.
        SignatureError: signature missing, malformed, bad, or from an untrusted key.
        ManifestError: the (authentic) manifest is invalid or references a missing file.
    """
    # 1. Size.
    if len(data) > limits.max_bundle_bytes:
        raise BundleError(f"bundle is larger than {limits.max_bundle_bytes} bytes")
    # 2. ZIP structure.
    entries = read_entries(data, limits)
    # 3. Names and sizes.
    by_name = _check_names_and_sizes(entries, len(data), limits)
    # 4. Signature.
    envelope, statement_bytes, publisher = _check_signature(data, by_name[SIGNATURE_NAME], trust)
    # 5. Statement.
    statement = _check_statement(envelope, statement_bytes, by_name)
    # 6. Digests.
    files: dict[str, bytes] = {}
    for record in statement.files:
        content = inflate(data, by_name[record.name])
        if hashlib.sha256(content).hexdigest() != record.sha256:
            raise BundleError(f"file {record.name!r} does not match its signed digest")
        files[record.name] = content
    # 7. Manifest.
    manifest = parse_manifest(files[MANIFEST_NAME], limits)
    manifest.check_files(files)
    return VerifiedBundle(
        manifest=manifest,
        key_id=envelope.key_id,
        publisher=publisher,
        digest=hashlib.sha256(statement_bytes).hexdigest(),
        size=len(data),
        _files=MappingProxyType(files),
    )

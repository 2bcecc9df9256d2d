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
4. **Signature.** The signature entry (the last entry, at most ``max_signature_bytes``, CRC
   correct) is a JSON envelope in canonical form; its key id must be in the trust store, and
   the Ed25519 signature must verify over ``SIGNING_CONTEXT + statement`` with that key. Any
   failure here is a ``SignatureError``.
5. **Statement.** Only now is the signed statement parsed. Its key id must equal the envelope's;
   the files it lists must be exactly the ZIP's other entries (an added entry is "not covered",
   a removed one "missing"), in the same order, with the same method, sizes and CRC.
6. **Digests.** The SHA-256 of every entry's stored bytes must equal the signed one; only then
   is it decompressed (never past its declared size). From here on the verified bytes are kept
   in memory (stored entries are served as slices of them, copied only when read): the runtime
   serves files from the ``VerifiedBundle``, so nothing can change between check and use.
7. **Manifest.** Only now is ``manifest.json`` parsed and validated, and every page and icon it
   references must be in the bundle.

The result carries two digests (docs/adr/0003): ``signed_digest``, the SHA-256 of the signature
entry, computed here; and ``digest``, the SHA-256 of the whole file, computed when first asked
for (from the same in-memory bytes). The signature entry pins every byte of the file (the
layout has no free field, and it lists the SHA-256 of every entry's stored bytes), so equal
signed digests mean byte-identical files: the launch check compares ``signed_digest`` with the
one recorded at install and takes the file digest from the registry, hashing the bundle once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from pydantic import ValidationError

from superapp.bundles._format import (
    SIGNATURE_NAME,
    SIGNING_CONTEXT,
    Envelope,
    Statement,
    encode_envelope,
)
from superapp.bundles._limits import DEFAULT_LIMITS, BundleLimits
from superapp.bundles._manifest import MANIFEST_NAME, Manifest, parse_manifest
from superapp.bundles._names import collision_key, name_problem
from superapp.bundles._trust import TrustStore
from superapp.bundles._zip import STORED, ZipEntry, inflate, read_entries, stored_bytes
from superapp.core.errors import BundleError, SignatureError, TrustError
from superapp.core.strictjson import unique_keys

__all__ = ["VerifiedBundle", "file_sha256", "verify_bundle"]


class _Files(Mapping[str, bytes]):
    """The verified files: inflated entries as bytes, stored entries as slices of the verified
    ``.sapp`` bytes, copied out only when read (so verifying does not copy the bundle)."""

    __slots__ = ("_data", "_index")

    def __init__(self, data: bytes, index: dict[str, bytes | tuple[int, int]]) -> None:
        self._data = data
        self._index = index

    def __getitem__(self, name: str) -> bytes:
        item = self._index[name]
        if isinstance(item, bytes):
            return item
        start, end = item
        return self._data[start:end]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


class VerifiedBundle:
    """A bundle that passed every step of ``verify_bundle``, with its files held in memory.

    The verified ``.sapp`` bytes stay in memory (immutable) for as long as the object lives;
    every read is served from them, so nothing can change between the check and the use.
    """

    __slots__ = (
        "_data",
        "_digest",
        "_files",
        "key_id",
        "manifest",
        "publisher",
        "signed_digest",
        "size",
    )

    def __init__(
        self,
        *,
        manifest: Manifest,
        key_id: str,
        publisher: str,
        signed_digest: str,
        data: bytes,
        files: Mapping[str, bytes],
        digest: str | None = None,
    ) -> None:
        self.manifest = manifest
        self.key_id = key_id
        self.publisher = publisher
        self.signed_digest = signed_digest
        self.size = len(data)
        self._data = data
        self._files = files
        self._digest = digest

    def __repr__(self) -> str:
        app_id, key = self.manifest.app_id, self.key_id[:16]
        return f"VerifiedBundle({app_id!r}, key_id={key!r}, size={self.size})"

    @property
    def digest(self) -> str:
        """Hex SHA-256 of the whole ``.sapp`` file (the bundle digest revocations name)."""
        if self._digest is None:
            self._digest = file_sha256(self._data)
        return self._digest

    def with_digest(self, digest: str) -> VerifiedBundle:
        """This bundle with its file digest already known (see ``open_installed``)."""
        return VerifiedBundle(
            manifest=self.manifest,
            key_id=self.key_id,
            publisher=self.publisher,
            signed_digest=self.signed_digest,
            data=self._data,
            files=self._files,
            digest=digest,
        )

    @property
    def names(self) -> tuple[str, ...]:
        """Every file name in the bundle (``manifest.json`` included, the signature not)."""
        return tuple(self._files)

    def read(self, name: str) -> bytes:
        """The verified bytes of ``name``. Raises ``KeyError`` if the bundle has no such file."""
        return self._files[name]

    @property
    def files(self) -> Mapping[str, bytes]:
        """A read-only mapping of every file (for the static-analysis scanner)."""
        return self._files


def file_sha256(data: bytes) -> str:
    """Hex SHA-256 of a whole ``.sapp`` file: the bundle digest."""
    return hashlib.sha256(data).hexdigest()


def _strict_json(data: bytes, what: str) -> Any:
    pairs = unique_keys(lambda key: SignatureError(f"{what} has the key {key!r} twice"))
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


def _b64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{SIGNATURE_NAME} is malformed (bad base64)") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise SignatureError(f"{SIGNATURE_NAME} is malformed (non-canonical base64)")
    return raw


def _check_signature(
    data: bytes, entries: list[ZipEntry], trust: TrustStore
) -> tuple[Envelope, bytes, str]:
    entry = entries[-1]
    if entry.name != SIGNATURE_NAME:
        raise SignatureError(f"{SIGNATURE_NAME} is not the last entry of the bundle")
    raw = inflate(data, entry)
    if zlib.crc32(raw) != entry.crc32:
        raise SignatureError(f"{SIGNATURE_NAME} is damaged (CRC mismatch)")
    try:
        envelope = Envelope.model_validate(_strict_json(raw, SIGNATURE_NAME))
    except ValidationError:
        raise SignatureError(f"{SIGNATURE_NAME} is malformed") from None
    if encode_envelope(envelope) != raw:
        raise SignatureError(f"{SIGNATURE_NAME} is not in canonical form")
    statement_bytes = _b64(envelope.statement)
    signature = _b64(envelope.signature)
    if not trust.knows(envelope.key_id):
        raise SignatureError(
            f"bundle is signed by key {envelope.key_id[:16]}…, which is not trusted here; "
            "if you trust its publisher, add their public key with 'superapp trust add PUBKEY'"
        )
    try:
        trusted = trust.get(envelope.key_id)
    except TrustError as err:
        # The key is in the store but its record is unusable: say what is wrong with it.
        raise SignatureError(f"bundle is signed by key {envelope.key_id[:16]}…: {err}") from None
    try:
        trusted.public_key.verify(signature, SIGNING_CONTEXT + statement_bytes)
    except InvalidSignature:
        raise SignatureError(
            f"bad signature: the bundle was not signed by {trusted.name!r} or was altered"
        ) from None
    return envelope, statement_bytes, trusted.name


def _check_statement(
    envelope: Envelope, statement_bytes: bytes, entries: list[ZipEntry]
) -> Statement:
    try:
        statement = Statement.model_validate(_strict_json(statement_bytes, "signed statement"))
    except ValidationError:
        raise SignatureError("signed statement is malformed") from None
    if statement.key_id != envelope.key_id:
        raise SignatureError("signed statement names a different key than its envelope")
    listed = {record.name for record in statement.files}
    if len(listed) != len(statement.files) or SIGNATURE_NAME in listed:
        raise SignatureError("signed statement lists a file twice or lists the signature")
    present = {entry.name for entry in entries[:-1]}
    for entry in entries[:-1]:
        if entry.name not in listed:
            raise BundleError(f"bundle entry {entry.name!r} is not covered by the signature")
    for record in statement.files:
        if record.name not in present:
            raise BundleError(f"file {record.name!r} is listed in the signature but missing")
    for record, entry in zip(statement.files, entries[:-1], strict=True):
        signed = (record.name, record.method, record.size, record.compressed_size, record.crc32)
        actual = (entry.name, entry.method, entry.size, entry.compressed_size, entry.crc32)
        if signed != actual:
            raise BundleError(
                f"bundle entry {entry.name!r} does not match its signed entry (order, "
                "compression, size or CRC changed)"
            )
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
    _check_names_and_sizes(entries, len(data), limits)
    # 4. Signature.
    envelope, statement_bytes, publisher = _check_signature(data, entries, trust)
    # 5. Statement.
    statement = _check_statement(envelope, statement_bytes, entries)
    # 6. Digests: hash exactly the stored bytes, then decompress what was hashed.
    index: dict[str, bytes | tuple[int, int]] = {}
    for record, entry in zip(statement.files, entries, strict=False):
        if hashlib.sha256(stored_bytes(data, entry)).hexdigest() != record.sha256:
            raise BundleError(f"file {record.name!r} does not match its signed digest")
        if entry.method == STORED:
            index[record.name] = (entry.data_offset, entry.data_offset + entry.size)
        else:
            index[record.name] = inflate(data, entry)
    files = _Files(data, index)
    # 7. Manifest.
    manifest = parse_manifest(files[MANIFEST_NAME], limits)
    manifest.check_files(files)
    return VerifiedBundle(
        manifest=manifest,
        key_id=envelope.key_id,
        publisher=publisher,
        signed_digest=hashlib.sha256(stored_bytes(data, entries[-1])).hexdigest(),
        data=data,
        files=files,
    )

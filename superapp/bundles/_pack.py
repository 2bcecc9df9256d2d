"""Packing and signing: a folder (or a mapping of files) → a signed ``.sapp``.

Packing is deterministic: the same files and key give a byte-identical bundle (entries sorted
by name with ``manifest.json`` first and the signature last, fixed timestamps and modes, and
Ed25519 signatures are deterministic).

Entries are stored uncompressed by default: a bundle is verified before every launch, and a
stored entry is verified at hashing speed and served without decompression (bench/verify.py
measures deflated text at about a tenth of that). ``deflate=True`` (``superapp pack
--deflate``) makes smaller files for distribution; each entry is then deflated only when that
makes it smaller and keeps it within the compression-ratio limit, so a packed bundle always
passes verification under the same limits.

Files and folders whose name starts with ``.`` (``.git``, ``.DS_Store``) are left out, and so is
whatever the folder's ``.sappignore`` lists (``_ignore``). Symlinks and other special files
anywhere else in the folder are refused, not followed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles._format import (
    SIGNATURE_NAME,
    SIGNING_CONTEXT,
    STATEMENT_TYPE,
    Envelope,
    FileRecord,
    Statement,
    encode_envelope,
    encode_statement,
)
from superapp.bundles._ignore import load_ignore
from superapp.bundles._limits import DEFAULT_LIMITS, BundleLimits
from superapp.bundles._manifest import MANIFEST_NAME, parse_manifest
from superapp.bundles._names import collision_key, name_problem
from superapp.bundles._trust import key_id_of
from superapp.bundles._zip import DEFLATED, STORED, PackedEntry, write_zip
from superapp.core.errors import BundleError

__all__ = ["collect_files", "pack_bundle", "pack_dir"]


def collect_files(src: Path, limits: BundleLimits = DEFAULT_LIMITS) -> dict[str, bytes]:
    """Read every file under ``src`` into memory, keyed by its bundle path.

    Raises:
        BundleError: a symlink or special file, a bad or colliding name, or a limit exceeded.
    """
    root = Path(src)
    if not root.is_dir():
        raise BundleError(f"{root} is not a folder")
    ignore = load_ignore(root)
    files: dict[str, bytes] = {}
    seen: dict[str, str] = {}
    total = 0

    def walk(folder: Path, prefix: str) -> None:
        nonlocal total
        with os.scandir(folder) as it:
            found = sorted(it, key=lambda e: e.name)
        for item in found:
            if item.name.startswith("."):
                continue
            rel = prefix + item.name
            if ignore.ignores(rel, is_dir=item.is_dir(follow_symlinks=False)):
                continue
            if item.is_symlink():
                raise BundleError(f"{folder / item.name}: symlinks are not allowed in a bundle")
            if item.is_dir(follow_symlinks=False):
                walk(folder / item.name, rel + "/")
                continue
            if not item.is_file(follow_symlinks=False):
                raise BundleError(f"{folder / item.name}: not a regular file")
            problem = name_problem(rel, limits)
            if problem:
                raise BundleError(f"{rel!r}: {problem}")
            key = collision_key(rel)
            if key in seen:
                raise BundleError(f"{rel!r} and {seen[key]!r} differ only by case")
            seen[key] = rel
            if len(files) + 2 > limits.max_entries:
                raise BundleError(f"more than {limits.max_entries - 1} files")
            data = _read_regular(folder / item.name, limits)
            total += len(data)
            if total > limits.max_total_bytes:
                raise BundleError(f"files total more than {limits.max_total_bytes} bytes")
            files[rel] = data

    walk(root, "")
    return files


def _read_regular(path: Path, limits: BundleLimits) -> bytes:
    # O_NOFOLLOW + fstat: the file cannot be swapped for a symlink between the check and the read.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise BundleError(f"{path}: not a regular file")
        if info.st_size > limits.max_file_bytes:
            raise BundleError(f"{path} is larger than {limits.max_file_bytes} bytes")
        data = f.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise BundleError(f"{path} is larger than {limits.max_file_bytes} bytes")
    return data


def _check_files(files: Mapping[str, bytes], limits: BundleLimits) -> None:
    seen: dict[str, str] = {}
    for name, data in files.items():
        problem = name_problem(name, limits)
        if problem:
            raise BundleError(f"{name!r}: {problem}")
        key = collision_key(name)
        if key in seen:
            raise BundleError(f"{name!r} and {seen[key]!r} differ only by case")
        seen[key] = name
        if len(data) > limits.max_file_bytes:
            raise BundleError(f"{name!r} is larger than {limits.max_file_bytes} bytes")
    if len(files) + 1 > limits.max_entries:
        raise BundleError(f"more than {limits.max_entries - 1} files")
    if sum(len(d) for d in files.values()) > limits.max_total_bytes:
        raise BundleError(f"files total more than {limits.max_total_bytes} bytes")


def _order(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: (n != MANIFEST_NAME, n.encode("utf-8")))


def _pack_entry(name: str, data: bytes, limits: BundleLimits, *, deflate: bool) -> PackedEntry:
    # Deflate only when asked, when it helps, and within the ratio limit the verifier applies.
    if deflate and data:
        packed = PackedEntry.build(name, data, deflate=True)
        small_enough = len(data) <= limits.ratio_exempt_bytes or len(data) <= (
            len(packed.stored) * limits.max_compression_ratio
        )
        if len(packed.stored) < len(data) and small_enough:
            return packed
    return PackedEntry.build(name, data, deflate=False)


def pack_bundle(
    files: Mapping[str, bytes],
    key: Ed25519PrivateKey,
    limits: BundleLimits = DEFAULT_LIMITS,
    *,
    deflate: bool = False,
) -> bytes:
    """Sign ``files`` (which must include a valid ``manifest.json``) into ``.sapp`` bytes.

    Raises:
        ManifestError: the manifest is missing, invalid, or references a missing file.
        BundleError: a bad name or a limit exceeded.
    """
    if MANIFEST_NAME not in files:
        raise BundleError(f"no {MANIFEST_NAME} at the top of the app folder")
    _check_files(files, limits)
    manifest = parse_manifest(files[MANIFEST_NAME], limits)
    manifest.check_files(files)

    names = _order(list(files))
    entries = [_pack_entry(n, files[n], limits, deflate=deflate) for n in names]
    key_id = key_id_of(key.public_key())
    statement = Statement(
        type=STATEMENT_TYPE,
        key_id=key_id,
        files=[
            FileRecord(
                name=e.name,
                method=DEFLATED if e.method == DEFLATED else STORED,
                size=e.size,
                compressed_size=len(e.stored),
                crc32=e.crc32,
                sha256=hashlib.sha256(e.stored).hexdigest(),
            )
            for e in entries
        ],
    )
    statement_bytes = encode_statement(statement)
    envelope = Envelope(
        key_id=key_id,
        statement=base64.b64encode(statement_bytes).decode("ascii"),
        signature=base64.b64encode(key.sign(SIGNING_CONTEXT + statement_bytes)).decode("ascii"),
    )
    signature_bytes = encode_envelope(envelope)
    if len(signature_bytes) > limits.max_signature_bytes:
        raise BundleError("too many files for one signature entry")
    entries.append(PackedEntry.build(SIGNATURE_NAME, signature_bytes, deflate=False))
    data = write_zip(entries)
    if len(data) > limits.max_bundle_bytes:
        raise BundleError(f"the bundle would be larger than {limits.max_bundle_bytes} bytes")
    return data


def pack_dir(
    src: Path,
    key: Ed25519PrivateKey,
    limits: BundleLimits = DEFAULT_LIMITS,
    *,
    deflate: bool = False,
) -> bytes:
    """Pack and sign the mini-app folder ``src`` (see ``pack_bundle``)."""
    return pack_bundle(collect_files(src, limits), key, limits, deflate=deflate)

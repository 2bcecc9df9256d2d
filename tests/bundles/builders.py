"""Builders for bundle tests: valid apps, and hostile ZIPs built byte by byte.

``raw_zip`` writes any ZIP we like (lying sizes, symlink modes, duplicates, comments), and
``signed_raw_bundle`` signs whatever entries it is given with a *trusted* key, so an attack
test proves the structural check refuses it — not merely that the signature fails.
"""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles import TrustStore, key_id_of
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
from superapp.core.paths import Paths

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
CANONICAL_EXTERNAL = (stat.S_IFREG | 0o644) << 16
SYMLINK_EXTERNAL = (stat.S_IFLNK | 0o777) << 16


def manifest(app_id: str = "com.example.notes", code: int = 1, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "app_id": app_id,
        "name": "Notes",
        "version": {"name": f"1.{code}", "code": code},
        "icons": [{"src": "icon.png", "sizes": "64x64"}],
        "pages": ["index.html"],
        "req_permissions": [{"name": "storage", "reason": "Keep notes"}],
        "superapp": {"allowed_hosts": ["api.example.com"]},
    }
    doc.update(extra)
    return doc


def app_files(
    app_id: str = "com.example.notes", code: int = 1, *, body: str = "hello", **extra: Any
) -> dict[str, bytes]:
    """A small valid app: manifest, page, icon, script (deflated) and a stored file."""
    return {
        "manifest.json": json.dumps(manifest(app_id, code, **extra), indent=2).encode(),
        "index.html": f"<!doctype html><title>{body}</title>".encode() + b"<p>text</p>" * 50,
        "icon.png": PNG,
        "js/app.js": b"callNative('storage.get', {key: 'x'});\n" * 20,
        "data.bin": bytes(range(256)),
    }


def write_tree(root: Path, files: Mapping[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@dataclass
class Env:
    """An isolated host state with one trusted publisher key and one untrusted key."""

    paths: Paths
    key: Ed25519PrivateKey
    stranger: Ed25519PrivateKey
    trust: TrustStore = field(init=False)

    def __post_init__(self) -> None:
        self.trust = TrustStore(self.paths)
        self.trust.add(self.key.public_key(), "Example Co")


def make_env(paths: Paths) -> Env:
    return Env(paths, Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate())


# --- byte-level ZIP writing ----------------------------------------------------------------


@dataclass(frozen=True)
class RawEntry:
    """One ZIP entry with every header field under the test's control."""

    name: str
    stored: bytes
    method: int = 0
    size: int | None = None  # declared uncompressed size; default: len(content)
    crc: int | None = None  # default: CRC of the content
    content: bytes | None = None  # uncompressed content, for the defaults above
    external: int = CANONICAL_EXTERNAL
    flags: int = 0x0800
    extra: bytes = b""
    made_by: int = (3 << 8) | 20

    @classmethod
    def of(cls, name: str, content: bytes, *, deflate: bool = False) -> RawEntry:
        if deflate:
            c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
            return cls(name, c.compress(content) + c.flush(), 8, content=content)
        return cls(name, content, 0, content=content)

    @property
    def declared_size(self) -> int:
        if self.size is not None:
            return self.size
        return len(self.content if self.content is not None else self.stored)

    @property
    def declared_crc(self) -> int:
        if self.crc is not None:
            return self.crc
        return zlib.crc32(self.content if self.content is not None else self.stored)


def raw_zip(
    entries: list[RawEntry], *, comment: bytes = b"", prepend: bytes = b"", append: bytes = b""
) -> bytes:
    out = bytearray(prepend)
    central = bytearray()
    for e in entries:
        name = e.name.encode("utf-8", "surrogatepass")
        offset = len(out)
        head = (e.flags, e.method, 0, 0x21, e.declared_crc, len(e.stored), e.declared_size)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, *head, len(name), len(e.extra))
        out += name + e.extra + e.stored
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            e.made_by,
            20,
            *head,
            len(name),
            len(e.extra),
            0,
            0,
            0,
            e.external,
            offset,
        )
        central += name + e.extra
    cd_offset = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH",
        0x06054B50,
        0,
        0,
        len(entries),
        len(entries),
        len(central),
        cd_offset,
        len(comment),
    )
    return bytes(out + comment + append)


def envelope_for(entries: list[RawEntry], key: Ed25519PrivateKey) -> bytes:
    """A valid signature entry over ``entries`` (as a packer would sign them)."""
    key_id = key_id_of(key.public_key())
    statement = Statement(
        type=STATEMENT_TYPE,
        key_id=key_id,
        files=[
            FileRecord(
                name=e.name,
                method=8 if e.method == 8 else 0,
                size=e.declared_size,
                compressed_size=len(e.stored),
                crc32=e.declared_crc,
                sha256=hashlib.sha256(e.stored).hexdigest(),
            )
            for e in entries
        ],
    )
    raw = encode_statement(statement)
    return encode_envelope(
        Envelope(
            key_id=key_id,
            statement=base64.b64encode(raw).decode(),
            signature=base64.b64encode(key.sign(SIGNING_CONTEXT + raw)).decode(),
        )
    )


def signed_raw_bundle(
    entries: list[RawEntry],
    key: Ed25519PrivateKey,
    *,
    covered: list[RawEntry] | None = None,
    comment: bytes = b"",
    prepend: bytes = b"",
    append: bytes = b"",
) -> bytes:
    """A ZIP of ``entries`` plus a valid signature over ``covered`` (default: ``entries``)."""
    signature = RawEntry.of(SIGNATURE_NAME, envelope_for(covered or entries, key))
    return raw_zip([*entries, signature], comment=comment, prepend=prepend, append=append)


def entries_of(files: Mapping[str, bytes]) -> list[RawEntry]:
    """Canonical-order entries for ``files`` (manifest first), all stored."""
    names = sorted(files, key=lambda n: (n != "manifest.json", n.encode()))
    return [RawEntry.of(n, files[n]) for n in names]


def with_entry(entries: list[RawEntry], index: int, **changes: Any) -> list[RawEntry]:
    out = list(entries)
    out[index] = replace(out[index], **changes)
    return out


def state_of(paths: Paths) -> tuple[object, ...]:
    """Everything an install could change: the registry rows and every file under apps/."""
    from superapp.state.registry import list_apps

    files = {}
    if paths.apps.exists():
        for path in sorted(paths.apps.rglob("*")):
            if path.is_file() and path.name != ".lock":
                files[str(path.relative_to(paths.apps))] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
            elif path.is_dir():
                files[str(path.relative_to(paths.apps))] = "dir"
    return (tuple(list_apps(paths)), tuple(files.items()))


def audit_actions(paths: Paths) -> list[tuple[str, str | None, str]]:
    from superapp.audit import AuditLog

    return [
        (e["event"]["action"], e["superapp"].get("app_id"), e["event"]["reason"])
        for e in AuditLog(paths.audit_log).events()
    ]

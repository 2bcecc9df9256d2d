"""The one ZIP layout a ``.sapp`` may have: a canonical subset, written and read here.

``superapp pack`` writes, and verification accepts, exactly this layout:

- entries back to back from offset 0, each a local header (30 bytes + name) then its data;
  then the central directory in the same order; then the end record, ending the file;
- every header field either a fixed constant (versions ``2.0``/Unix ``3.20``, flags ``0x0800``
  = UTF-8 names, time 00:00 and date 1980-01-01, no extra fields, no comments, one disk,
  internal attributes 0, external attributes ``-rw-r--r--`` regular file) or a value the
  signature pins (name, method, sizes, CRC-32);
- compression method 0 (stored, sizes equal) or 8 (raw deflate); no ZIP64, no encryption,
  no data descriptors.

It does not use ``zipfile``'s reader, which is lenient by design (prepended and trailing data,
overlapping entries, duplicate names, central directory trusted over local headers). Because
nothing in the layout is free, the bytes of a bundle are a function of what was signed: a
single changed byte anywhere is refused, and re-zipping cannot make a second file that passes
for the same bundle. CRC-32 is not computed for signed entries (their bytes are checked against
the signed SHA-256 and their CRC field against the signed value); it is for the signature entry.
"""

from __future__ import annotations

import stat
import struct
import zlib
from dataclasses import dataclass
from typing import Final

from superapp.bundles._limits import BundleLimits
from superapp.core.errors import BundleError

__all__ = [
    "DEFLATED",
    "STORED",
    "PackedEntry",
    "ZipEntry",
    "inflate",
    "read_entries",
    "stored_bytes",
    "write_zip",
]

STORED: Final = 0
DEFLATED: Final = 8

_EOCD = struct.Struct("<IHHHHIIH")
_CDH = struct.Struct("<IHHHHHHIIIHHHHHII")
_LFH = struct.Struct("<IHHHHHIIIHH")
_EOCD_SIG: Final = 0x06054B50
_CDH_SIG: Final = 0x02014B50
_LFH_SIG: Final = 0x04034B50
_FLAGS: Final = 0x0800  # names are UTF-8
_NEEDED: Final = 20  # 2.0: deflate
_MADE_BY: Final = (3 << 8) | 20  # Unix, 2.0
_TIME: Final = 0
_DATE: Final = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_EXTERNAL: Final = (stat.S_IFREG | 0o644) << 16
#: Why an entry's headers differ from what the packer writes, in the usual case: a file added
#: to (or changed in) the archive with a ZIP tool after signing.
_NOT_PACKED: Final = (
    ": it was not written by 'superapp pack' (was a file added or changed after signing?); "
    "pack the folder again"
)


@dataclass(frozen=True, slots=True)
class PackedEntry:
    """An entry ready to be written: ``stored`` is the bytes as they sit in the ZIP."""

    name: str
    method: int
    stored: bytes
    size: int
    crc32: int

    @classmethod
    def build(cls, name: str, data: bytes, *, deflate: bool) -> PackedEntry:
        if deflate:
            compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
            packed = compressor.compress(data) + compressor.flush()
            return cls(name, DEFLATED, packed, len(data), zlib.crc32(data))
        return cls(name, STORED, data, len(data), zlib.crc32(data))


@dataclass(frozen=True, slots=True)
class ZipEntry:
    """An entry as read: where its stored bytes are and what its headers claim."""

    name: str
    method: int
    data_offset: int
    compressed_size: int
    size: int
    crc32: int


def write_zip(entries: list[PackedEntry]) -> bytes:
    """The canonical ZIP of ``entries``, in the given order."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        name = e.name.encode("utf-8")
        offset = len(out)
        head = (_FLAGS, e.method, _TIME, _DATE, e.crc32, len(e.stored), e.size, len(name))
        out += _LFH.pack(_LFH_SIG, _NEEDED, *head, 0) + name + e.stored
        central += (
            _CDH.pack(_CDH_SIG, _MADE_BY, _NEEDED, *head, 0, 0, 0, 0, _EXTERNAL, offset) + name
        )
    cd_offset = len(out)
    out += central
    out += _EOCD.pack(_EOCD_SIG, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)


def read_entries(data: bytes, limits: BundleLimits) -> list[ZipEntry]:
    """Parse the ZIP structure of ``data`` and return its entries in file order.

    Raises:
        BundleError: anything outside the canonical layout, or more than ``max_entries``.
    """
    size = len(data)
    if size < _EOCD.size:
        raise BundleError("not a .sapp bundle (too short to be a ZIP file)")
    end = size - _EOCD.size
    sig, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, comment_len = _EOCD.unpack_from(
        data, end
    )
    if sig != _EOCD_SIG:
        raise BundleError("not a .sapp bundle (no ZIP end record at the very end of the file)")
    if comment_len or disk or cd_disk or n_disk != n_total:
        raise BundleError("ZIP end record has a comment or spans disks")
    if n_total > limits.max_entries:
        raise BundleError(f"bundle has {n_total} entries; the limit is {limits.max_entries}")
    if cd_offset + cd_size != end:
        raise BundleError("ZIP central directory does not end at the end record")

    entries: list[ZipEntry] = []
    pos, expected_offset = cd_offset, 0
    for _ in range(n_total):
        if pos + _CDH.size > end:
            raise BundleError("ZIP central directory is truncated")
        (
            sig,
            made_by,
            needed,
            flags,
            method,
            mtime,
            mdate,
            crc,
            csize,
            usize,
            name_len,
            extra_len,
            comment_len,
            disk_start,
            internal,
            external,
            local_offset,
        ) = _CDH.unpack_from(data, pos)
        if sig != _CDH_SIG:
            raise BundleError("ZIP central directory entry has a bad signature")
        raw_name = data[pos + _CDH.size : pos + _CDH.size + name_len]
        pos += _CDH.size + name_len + extra_len + comment_len
        if pos > end:
            raise BundleError("ZIP central directory is truncated")
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError("ZIP entry name is not valid UTF-8") from None
        label = repr(name)
        mode = external >> 16
        if stat.S_ISLNK(mode):
            raise BundleError(f"ZIP entry {label} is a symlink")
        if stat.S_ISDIR(mode) or external & 0x10:
            raise BundleError(f"ZIP entry {label} is a folder entry")
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
            raise BundleError(f"ZIP entry {label} is a special file (device, FIFO or socket)")
        if flags & 0x0001:
            raise BundleError(f"ZIP entry {label} is encrypted")
        if method not in (STORED, DEFLATED):
            raise BundleError(f"ZIP entry {label} uses compression method {method}")
        if method == STORED and csize != usize:
            raise BundleError(f"ZIP entry {label} is stored but its sizes differ")
        if extra_len or comment_len:
            raise BundleError(f"ZIP entry {label} has extra fields or a comment{_NOT_PACKED}")
        if (made_by, needed, flags, mtime, mdate, disk_start, internal, external) != (
            _MADE_BY,
            _NEEDED,
            _FLAGS,
            _TIME,
            _DATE,
            0,
            0,
            _EXTERNAL,
        ):
            raise BundleError(f"ZIP entry {label} has non-canonical header fields{_NOT_PACKED}")
        if local_offset != expected_offset:
            raise BundleError(f"ZIP entry {label} overlaps another entry or follows hidden bytes")
        if local_offset + _LFH.size + name_len > cd_offset:
            raise BundleError(f"ZIP entry {label} is truncated")
        local = _LFH.unpack_from(data, local_offset)
        if local != (
            _LFH_SIG,
            _NEEDED,
            flags,
            method,
            mtime,
            mdate,
            crc,
            csize,
            usize,
            name_len,
            0,
        ) or (data[local_offset + _LFH.size : local_offset + _LFH.size + name_len] != raw_name):
            raise BundleError(f"ZIP entry {label}: local header disagrees with the directory")
        data_offset = local_offset + _LFH.size + name_len
        expected_offset = data_offset + csize
        if expected_offset > cd_offset:
            raise BundleError(f"ZIP entry {label} runs into the central directory")
        entries.append(ZipEntry(name, method, data_offset, csize, usize, crc))
    if pos != end:
        raise BundleError("ZIP central directory has bytes after its last entry")
    if expected_offset != cd_offset:
        raise BundleError("ZIP file has hidden bytes between its last entry and the directory")
    return entries


def stored_bytes(data: bytes, entry: ZipEntry) -> memoryview:
    """The entry's bytes as they sit in the file (compressed, if deflated)."""
    return memoryview(data)[entry.data_offset : entry.data_offset + entry.compressed_size]


def inflate(data: bytes, entry: ZipEntry) -> bytes:
    """The uncompressed bytes of ``entry``, never more than its declared size.

    Raises:
        BundleError: the data is corrupt or does not decompress to exactly the declared size.
    """
    raw = stored_bytes(data, entry)
    if entry.method == STORED:
        return bytes(raw)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        # max_length bounds the output at the declared size + 1, whatever the input holds.
        out = inflater.decompress(raw, entry.size + 1)
    except zlib.error:
        raise BundleError(f"ZIP entry {entry.name!r} is corrupt") from None
    if len(out) != entry.size or not inflater.eof or inflater.unused_data:
        raise BundleError(f"ZIP entry {entry.name!r} does not decompress to its declared size")
    return out

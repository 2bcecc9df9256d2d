"""A strict reader for the small subset of ZIP that ``superapp pack`` writes.

It does not use ``zipfile``'s reader, which is lenient by design (it accepts prepended data,
trailing data, overlapping entries, duplicate names, and trusts the central directory over the
local headers). This reader accepts only:

- one end-of-central-directory record, exactly at the end of the file, with no comment and
  one disk; no ZIP64;
- a central directory that ends exactly where the end record starts;
- entries laid out back to back from offset 0 in central-directory order — no gaps, no
  overlaps, no bytes hidden between them;
- local headers that agree with the central directory on name, flags, method, sizes and CRC;
- no extra fields, no comments, no encryption, no data descriptors; flag bit 11 (UTF-8 names)
  is the only flag allowed; names are ASCII or flagged UTF-8;
- compression method 0 (stored, sizes equal) or 8 (deflate);
- no symlinks, folders or other special entries (from the Unix mode or the DOS attributes).

CRC-32 is not checked: every entry but the signature is checked against its signed SHA-256,
and the signature entry is checked by its signature.
"""

from __future__ import annotations

import stat
import struct
import zlib
from dataclasses import dataclass
from typing import Final

from superapp.bundles._limits import BundleLimits
from superapp.errors import BundleError

__all__ = ["ZipEntry", "inflate", "read_entries"]

_EOCD = struct.Struct(
    "<IHHHHIIH"
)  # sig, disk, cd disk, n this disk, n total, cd size, cd off, comment
_CDH = struct.Struct("<IHHHHHHIIIHHHHHII")
_LFH = struct.Struct("<IHHHHHIIIHH")
_EOCD_SIG: Final = 0x06054B50
_CDH_SIG: Final = 0x02014B50
_LFH_SIG: Final = 0x04034B50
_UTF8_FLAG: Final = 0x0800
_STORED: Final = 0
_DEFLATED: Final = 8
_DOS_DIRECTORY: Final = 0x10


@dataclass(frozen=True, slots=True)
class ZipEntry:
    name: str
    method: int
    data_offset: int
    compressed_size: int
    size: int


def _name(raw: bytes, flags: int) -> str:
    if flags & _UTF8_FLAG:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError("ZIP entry name is not valid UTF-8") from None
    if not raw.isascii():
        raise BundleError("ZIP entry name is not ASCII and not marked UTF-8")
    return raw.decode("ascii")


def read_entries(data: bytes, limits: BundleLimits) -> list[ZipEntry]:
    """Parse the ZIP structure of ``data`` and return its entries in file order.

    Raises:
        BundleError: anything outside the accepted subset, or over ``max_entries``.
    """
    size = len(data)
    if size < _EOCD.size:
        raise BundleError("not a .sapp bundle (too short to be a ZIP file)")
    end = size - _EOCD.size
    sig, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, comment_len = _EOCD.unpack_from(
        data, end
    )
    if sig != _EOCD_SIG:
        raise BundleError("not a .sapp bundle (no ZIP end record at the end of the file)")
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
            _made_by,
            _needed,
            flags,
            method,
            _time,
            _date,
            crc,
            csize,
            usize,
            name_len,
            extra_len,
            comment_len,
            disk_start,
            _internal,
            external,
            local_offset,
        ) = _CDH.unpack_from(data, pos)
        if sig != _CDH_SIG:
            raise BundleError("ZIP central directory entry has a bad signature")
        raw_name = data[pos + _CDH.size : pos + _CDH.size + name_len]
        pos += _CDH.size + name_len + extra_len + comment_len
        if pos > end or len(raw_name) != name_len:
            raise BundleError("ZIP central directory is truncated")
        name = _name(raw_name, flags)
        label = repr(name)
        if extra_len or comment_len or disk_start:
            raise BundleError(f"ZIP entry {label} has extra fields or a comment")
        if flags & ~_UTF8_FLAG:
            raise BundleError(
                f"ZIP entry {label} uses flags 0x{flags:04x} (encryption or data descriptors)"
            )
        if method not in (_STORED, _DEFLATED):
            raise BundleError(f"ZIP entry {label} uses compression method {method}")
        if method == _STORED and csize != usize:
            raise BundleError(f"ZIP entry {label} is stored but its sizes differ")
        mode = external >> 16
        if stat.S_ISLNK(mode):
            raise BundleError(f"ZIP entry {label} is a symlink")
        if (mode and not stat.S_ISREG(mode)) or external & _DOS_DIRECTORY:
            raise BundleError(f"ZIP entry {label} is not a regular file")
        if local_offset != expected_offset:
            raise BundleError(f"ZIP entry {label} overlaps another entry or follows hidden bytes")
        if local_offset + _LFH.size > cd_offset:
            raise BundleError(f"ZIP entry {label} is truncated")
        (
            lsig,
            _lneeded,
            lflags,
            lmethod,
            _ltime,
            _ldate,
            lcrc,
            lcsize,
            lusize,
            lname_len,
            lextra_len,
        ) = _LFH.unpack_from(data, local_offset)
        data_offset = local_offset + _LFH.size + lname_len + lextra_len
        if (
            lsig != _LFH_SIG
            or (lflags, lmethod, lcrc, lcsize, lusize) != (flags, method, crc, csize, usize)
            or lextra_len
            or data[local_offset + _LFH.size : local_offset + _LFH.size + lname_len] != raw_name
        ):
            raise BundleError(f"ZIP entry {label}: local header disagrees with the directory")
        expected_offset = data_offset + csize
        if expected_offset > cd_offset:
            raise BundleError(f"ZIP entry {label} runs into the central directory")
        entries.append(ZipEntry(name, method, data_offset, csize, usize))
    if pos != end:
        raise BundleError("ZIP central directory has bytes after its last entry")
    if expected_offset != cd_offset:
        raise BundleError("ZIP file has hidden bytes between its last entry and the directory")
    return entries


def inflate(data: bytes, entry: ZipEntry) -> bytes:
    """The uncompressed bytes of ``entry``, never more than its declared size.

    Raises:
        BundleError: the data is corrupt or does not decompress to exactly the declared size.
    """
    raw = memoryview(data)[entry.data_offset : entry.data_offset + entry.compressed_size]
    if entry.method == _STORED:
        return bytes(raw)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        # max_length bounds the output at the declared size + 1 whatever the input claims.
        out = inflater.decompress(raw, entry.size + 1)
    except zlib.error:
        raise BundleError(f"ZIP entry {entry.name!r} is corrupt") from None
    if len(out) != entry.size or not inflater.eof or inflater.unused_data:
        raise BundleError(f"ZIP entry {entry.name!r} does not decompress to its declared size")
    return out

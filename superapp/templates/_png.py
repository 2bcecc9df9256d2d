"""A PNG icon from nothing but zlib and struct: ``superapp new`` needs no image library.

The icon is a rounded square in a colour picked from the app id (so two new apps look
different), with a lighter disc in the middle; RGBA, 8 bits per channel, no interlace.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

__all__ = ["icon_png"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _colour(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    # Mid-range channels: readable in light and dark launchers.
    return tuple(64 + b % 128 for b in digest[:3])  # type: ignore[return-value]


def icon_png(seed: str, size: int = 128) -> bytes:
    """A ``size``×``size`` RGBA PNG for the app id ``seed``."""
    r, g, b = _colour(seed)
    radius = size // 5
    centre = (size - 1) / 2
    disc = (size * 0.28) ** 2
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter type: none
        for x in range(size):
            # Distance outside the rounded corner's quarter circle, if in a corner.
            cx = min(max(x, radius), size - 1 - radius)
            cy = min(max(y, radius), size - 1 - radius)
            if (x - cx) ** 2 + (y - cy) ** 2 > radius**2:
                rows += b"\x00\x00\x00\x00"
            elif (x - centre) ** 2 + (y - centre) ** 2 <= disc:
                rows += bytes(
                    (255 - (255 - r) // 3, 255 - (255 - g) // 3, 255 - (255 - b) // 3, 255)
                )
            else:
                rows += bytes((r, g, b, 255))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )

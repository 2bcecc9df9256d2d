"""Every limit a bundle is held to, in one frozen object (CONVENTIONS: no literal limits in code).

Packing and verification read the same object, so a bundle ``superapp pack`` produces with the
default limits always passes verification with the default limits.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "BundleLimits"]

_MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BundleLimits:
    """Size, count and ratio limits for a ``.sapp`` bundle.

    Attributes:
        max_bundle_bytes: size of the ``.sapp`` file itself (checked before any parsing).
        max_entries: ZIP entries, the signature entry included (checked from the end record,
            before the central directory is walked).
        max_file_bytes: uncompressed size of one entry.
        max_total_bytes: uncompressed size of all entries together (what verification holds
            in memory).
        max_compression_ratio: uncompressed/compressed size of one entry, for entries larger
            than ``ratio_exempt_bytes``, and of the whole bundle. Ordinary web assets compress
            3-10x; only degenerate data (a zip bomb) gets near 100x.
        ratio_exempt_bytes: entries up to this size are too small to be a bomb; tiny files of
            repeated bytes legitimately compress far beyond any ratio.
        max_name_bytes: UTF-8 length of one entry path.
        max_path_depth: folders in one entry path (``a/b/c.js`` has depth 3).
        max_manifest_bytes: size of ``manifest.json``.
        max_signature_bytes: size of the signature entry (it is parsed before it is trusted,
            so it is kept small).
    """

    max_bundle_bytes: int = 128 * _MiB
    max_entries: int = 2048
    max_file_bytes: int = 64 * _MiB
    max_total_bytes: int = 128 * _MiB
    max_compression_ratio: int = 100
    ratio_exempt_bytes: int = 64 * 1024
    max_name_bytes: int = 255
    max_path_depth: int = 16
    max_manifest_bytes: int = 256 * 1024
    max_signature_bytes: int = 2 * _MiB


DEFAULT_LIMITS = BundleLimits()

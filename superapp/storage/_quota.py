"""The per-app quota rule, shared by key-value entries and files (``StorageLimits.quota_bytes``
is one budget for both)."""

from __future__ import annotations

from superapp.storage._errors import QuotaError
from superapp.storage._limits import StorageLimits

__all__ = ["check_quota"]


def check_quota(limits: StorageLimits, used: int, old: int, size: int) -> None:
    """Refuse a write that replaces ``old`` bytes with ``size`` when the app already uses
    ``used`` bytes (entries and files together). A write that does not grow is always allowed:
    an app at or over its quota can still replace data with less.

    Raises:
        QuotaError: the write would take the app over ``limits.quota_bytes``.
    """
    used_after = used - old + size
    if size > old and used_after > limits.quota_bytes:
        raise QuotaError(
            f"storage quota of {limits.quota_bytes} bytes would be exceeded ({used_after} bytes)"
        )

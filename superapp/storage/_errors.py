"""Errors of per-app storage (defined in ``superapp.core.errors``, re-exported here).

They all derive from ``superapp.core.errors.StorageError``::

    StorageError
    ├── InvalidKeyError          a key that is empty, too long or not valid text
    ├── InvalidValueError        a value that is not JSON
    ├── InvalidPathError         a file path refused by the confinement rules
    ├── ValueTooLargeError       one value or file over its size limit
    ├── QuotaError               the write would take the app over its quota or entry count
    ├── UnreadableError          a stored value/file failed authentication (tampered, moved)
    └── KeyManagementError       master/data key unavailable, keyring missing, ...

Messages of the first six are safe to show to the page: they name only the app's own key or
relative path, never a host path. ``KeyManagementError`` may name host paths (CLI only); the
bridge turns it into ``INTERNAL``.
"""

from __future__ import annotations

from superapp.core.errors import (
    InvalidKeyError,
    InvalidPathError,
    InvalidValueError,
    KeyManagementError,
    QuotaError,
    UnreadableError,
    ValueTooLargeError,
)

__all__ = [
    "InvalidKeyError",
    "InvalidPathError",
    "InvalidValueError",
    "KeyManagementError",
    "QuotaError",
    "UnreadableError",
    "ValueTooLargeError",
]

"""The key-value half of an app's store (``storage.*``).

Rows are ``(id, name, value, size)``: ``id`` is the codec's lookup id of the key (an HMAC, so
the key name is not in the file), ``name`` and ``value`` are sealed blobs whose associated
data names the app and the key, ``size`` is what the entry costs against the quota (UTF-8
key length + compact JSON length). Usage counters live in the one-row ``usage`` table and
change in the same transaction as the rows they count.
"""

from __future__ import annotations

import json
from typing import Any

from superapp.storage._crypto import Codec
from superapp.storage._db import Database
from superapp.storage._errors import (
    InvalidKeyError,
    InvalidValueError,
    QuotaError,
    ValueTooLargeError,
)
from superapp.storage._quota import check_quota

__all__ = ["KeyValueStore", "encode_key", "encode_value"]

_NAME = b"kv.name"
_VALUE = b"kv.value"


def encode_key(key: object, max_bytes: int) -> bytes:
    if not isinstance(key, str):
        raise InvalidKeyError("key must be a string")
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidKeyError("key is not valid Unicode text") from None
    if not raw:
        raise InvalidKeyError("key must not be empty")
    if len(raw) > max_bytes:
        raise InvalidKeyError(f"key is longer than {max_bytes} bytes")
    return raw


def encode_value(value: object, max_bytes: int) -> bytes:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        raw = text.encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        raise InvalidValueError("value must be JSON (objects, arrays, strings, numbers)") from None
    if len(raw) > max_bytes:
        raise ValueTooLargeError(f"value is larger than {max_bytes} bytes as JSON")
    return raw


class KeyValueStore:
    def __init__(self, db: Database, codec: Codec) -> None:
        self._db = db
        self._codec = codec
        self._limits = db.limits

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default``.

        Raises:
            InvalidKeyError: bad key.  UnreadableError: the stored blob fails authentication.
        """
        encode_key(key, self._limits.max_key_bytes)
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT value FROM kv WHERE id = ?", (self._codec.lookup_id(key),)
            ).fetchone()
        if row is None:
            return default
        return json.loads(self._codec.open(_VALUE, key, bytes(row[0])))

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` atomically.

        Raises:
            InvalidKeyError, InvalidValueError, ValueTooLargeError: bad input (nothing written).
            QuotaError: the write would exceed the quota or the key count (nothing written).
        """
        key_raw = encode_key(key, self._limits.max_key_bytes)
        value_raw = encode_value(value, self._limits.max_value_bytes)
        size = len(key_raw) + len(value_raw)
        kid = self._codec.lookup_id(key)
        name_blob = self._codec.seal(_NAME, kid.hex(), key_raw)
        value_blob = self._codec.seal(_VALUE, key, value_raw)
        with self._db.write() as conn:
            row = conn.execute("SELECT size FROM kv WHERE id = ?", (kid,)).fetchone()
            old = int(row[0]) if row else 0
            kv_bytes, kv_count, file_bytes, _ = conn.execute(
                "SELECT kv_bytes, kv_count, file_bytes, file_count FROM usage"
            ).fetchone()
            if row is None and kv_count >= self._limits.max_keys:
                raise QuotaError(f"the app already stores {self._limits.max_keys} keys")
            check_quota(self._limits, kv_bytes + file_bytes, old, size)
            conn.execute(
                "INSERT INTO kv(id, name, value, size) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET name = excluded.name, value = excluded.value, "
                "size = excluded.size",
                (kid, name_blob, value_blob, size),
            )
            conn.execute(
                "UPDATE usage SET kv_bytes = kv_bytes + ?, kv_count = kv_count + ?",
                (size - old, 0 if row else 1),
            )

    def remove(self, key: str) -> bool:
        """Remove ``key``; True if it was there."""
        encode_key(key, self._limits.max_key_bytes)
        kid = self._codec.lookup_id(key)
        with self._db.write() as conn:
            row = conn.execute("SELECT size FROM kv WHERE id = ?", (kid,)).fetchone()
            if row is None:
                return False
            conn.execute("DELETE FROM kv WHERE id = ?", (kid,))
            conn.execute(
                "UPDATE usage SET kv_bytes = kv_bytes - ?, kv_count = kv_count - 1", (row[0],)
            )
            return True

    def keys(self, prefix: str = "") -> list[str]:
        """Every key starting with ``prefix``, sorted."""
        if prefix:
            encode_key(prefix, self._limits.max_key_bytes)
        with self._db.read() as conn:
            rows = conn.execute("SELECT id, name FROM kv").fetchall()
        names = (self._codec.open(_NAME, bytes(i).hex(), bytes(n)).decode() for i, n in rows)
        return sorted(name for name in names if name.startswith(prefix))

    def clear(self) -> int:
        """Remove every key; the number removed."""
        with self._db.write() as conn:
            count = conn.execute("DELETE FROM kv").rowcount
            conn.execute("UPDATE usage SET kv_bytes = 0, kv_count = 0")
            return int(count)

    def recount(self) -> None:
        """Recompute the key-value usage counters from the rows (at open)."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE usage SET kv_bytes = (SELECT coalesce(sum(size), 0) FROM kv), "
                "kv_count = (SELECT count(*) FROM kv)"
            )

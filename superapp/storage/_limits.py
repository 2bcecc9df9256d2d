"""Every limit of per-app storage, in one frozen object (DESIGN §6.7).

The host policy embeds a ``StorageLimits`` in its policy file; everything in
``superapp.storage`` reads its numbers from here and from nowhere else.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["KeyBackendChoice", "StorageLimits"]

MiB = 1024 * 1024

#: Where the host master key lives: ``auto`` prefers a real OS keyring and falls back to
#: a 0600 key file under the host data folder (docs/adr/0004-master-key-storage.md).
KeyBackendChoice = Literal["auto", "keyring", "file"]


class StorageLimits(BaseModel):
    """Limits and knobs of per-app storage. Sizes are bytes of UTF-8 / raw content."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    #: Per-app quota shared by ``storage.*`` and ``files.*``. A key-value entry costs the
    #: UTF-8 length of its key plus the length of its compact JSON value; a file costs its
    #: content length plus the UTF-8 length of its path.
    quota_bytes: int = Field(default=10 * MiB, ge=0)
    #: Longest key, in UTF-8 bytes.
    max_key_bytes: int = Field(default=512, ge=1)
    #: Largest single value, as compact JSON in UTF-8 bytes.
    max_value_bytes: int = Field(default=1 * MiB, ge=1)
    #: Most key-value entries per app (bounds per-entry overhead the quota does not count).
    max_keys: int = Field(default=10_000, ge=1)
    #: Largest single file.
    max_file_bytes: int = Field(default=4 * MiB, ge=1)
    #: Most files per app.
    max_files: int = Field(default=2_000, ge=1)
    #: Longest relative file path, in UTF-8 bytes, and longest single path segment.
    max_path_bytes: int = Field(default=1024, ge=1)
    max_name_bytes: int = Field(default=255, ge=1)
    #: Deepest folder nesting of a file path (segments, file name included).
    max_path_depth: int = Field(default=16, ge=1)
    #: How long a writer waits for another process holding the store's write lock.
    busy_timeout_ms: int = Field(default=5_000, ge=0)
    #: SQLite ``synchronous`` setting: FULL makes every acknowledged write survive power
    #: loss, NORMAL only a process crash.
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    #: Cache eviction starts when the data volume has less free space than this ...
    cache_min_free_bytes: int = Field(default=512 * MiB, ge=0)
    #: ... and stops once this much is free again (hysteresis, >= cache_min_free_bytes).
    cache_target_free_bytes: int = Field(default=1024 * MiB, ge=0)
    #: Storage audit events (refused paths, unreadable data) one app may cause at once, and
    #: the refill per second; the ones held back are counted on the next event written.
    audit_burst: int = Field(default=20, ge=1)
    audit_per_second: float = Field(default=1.0, gt=0)
    #: Where the master key lives (see KeyBackendChoice).
    key_backend: KeyBackendChoice = "auto"

    @model_validator(mode="after")
    def _consistent(self) -> StorageLimits:
        if self.cache_target_free_bytes < self.cache_min_free_bytes:
            raise ValueError("cache_target_free_bytes must be >= cache_min_free_bytes")
        if self.max_name_bytes > self.max_path_bytes:
            raise ValueError("max_name_bytes must be <= max_path_bytes")
        return self

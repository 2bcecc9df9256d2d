"""Per-app storage: an encrypted key-value store and file namespace, quota-bound and confined.

Public surface (everything else is private)::

    open_store(paths, app_id, *, limits=, audit=, keys=, encrypt=True) -> AppStore
        AppStore.kv     get/set/remove/keys/clear           (``storage.*``)
        AppStore.files  read/write/list/delete/clear        (``files.*``)
        AppStore.usage() -> Usage;  AppStore.recovered -> RecoveryReport | None
    read_usage(paths, app_id) -> Usage            no side effects on a never-used app
    engine_bytes(paths, app_id), evict_engine_storage(...)   the engine profile on disk
    clear_app_data(paths, app_id) -> Usage        CLI --clear (keeps the data key)
    destroy_app_data(paths, app_id) -> None       uninstall: shred key, then delete
    KeyManager(paths).rotate_master() / .describe()
    app_cache_dir(paths, app_id), evict_caches(paths, limits) -> EvictionReport
    StorageLimits                                 every limit, frozen (embedded in policy)

See docs/storage.md for the on-disk format and the threat model.
"""

from __future__ import annotations

from superapp.storage._cache import EvictionReport, app_cache_dir, evict_caches
from superapp.storage._db import RecoveryReport
from superapp.storage._engine import (
    engine_bytes,
    engine_quota,
    evict_engine_storage,
    folder_bytes,
)
from superapp.storage._errors import (
    InvalidKeyError,
    InvalidPathError,
    InvalidValueError,
    KeyManagementError,
    QuotaError,
    UnreadableError,
    ValueTooLargeError,
)
from superapp.storage._files import FileEntry, check_path
from superapp.storage._keys import KeyManager, KeyringLike, RotationReport, keyring_is_usable
from superapp.storage._limits import KeyBackendChoice, StorageLimits
from superapp.storage._store import (
    AppStore,
    Usage,
    clear_app_data,
    destroy_app_data,
    open_store,
    read_usage,
)

__all__ = [
    "AppStore",
    "EvictionReport",
    "FileEntry",
    "InvalidKeyError",
    "InvalidPathError",
    "InvalidValueError",
    "KeyBackendChoice",
    "KeyManagementError",
    "KeyManager",
    "KeyringLike",
    "QuotaError",
    "RecoveryReport",
    "RotationReport",
    "StorageLimits",
    "UnreadableError",
    "Usage",
    "ValueTooLargeError",
    "app_cache_dir",
    "check_path",
    "clear_app_data",
    "destroy_app_data",
    "engine_bytes",
    "engine_quota",
    "evict_caches",
    "evict_engine_storage",
    "folder_bytes",
    "keyring_is_usable",
    "open_store",
    "read_usage",
]

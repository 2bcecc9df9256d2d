"""One app's store (key-value + files + usage) and the host-side lifecycle around it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.core.ports import AuditSink
from superapp.storage._crypto import AesGcmCodec, Codec, PlainCodec
from superapp.storage._db import Database, RecoveryReport
from superapp.storage._engine import engine_bytes, engine_quota
from superapp.storage._files import FileNamespace
from superapp.storage._keys import KeyManager
from superapp.storage._kv import KeyValueStore
from superapp.storage._limits import StorageLimits
from superapp.storage._moved import paths_for

__all__ = [
    "AppStore",
    "Usage",
    "clear_app_data",
    "destroy_app_data",
    "open_store",
    "read_usage",
]


@dataclass(frozen=True)
class Usage:
    used: int
    quota: int
    kv_bytes: int
    keys: int
    file_bytes: int
    files: int
    #: Bytes of the engine's own profile on disk (web storage of a ``persistent`` app, shader
    #: caches) and its budget (``[monitor.engine_storage]``); outside ``used``/``quota``.
    engine_bytes: int = 0
    engine_quota: int = 0

    def to_json(self) -> dict[str, int]:
        # The engine figures are the host's view (CLI, launcher); an app's own storage.usage
        # is read from its store alone and does not measure them, so it does not show them.
        engine = (
            {"engine_bytes": self.engine_bytes, "engine_quota": self.engine_quota}
            if self.engine_quota
            else {}
        )
        return engine | {
            "used": self.used,
            "quota": self.quota,
            "available": max(self.quota - self.used, 0),
            "kv_bytes": self.kv_bytes,
            "keys": self.keys,
            "file_bytes": self.file_bytes,
            "files": self.files,
        }


class AppStore:
    """The storage handle of one app: ``.kv`` (``storage.*``) and ``.files`` (``files.*``).

    Thread-safe; several processes may open the same app's store (one writer at a time).
    ``recovered`` is set when opening found a damaged store and replaced it (tell the user).
    """

    def __init__(self, db: Database, codec: Codec, files_root: Path) -> None:
        self._db = db
        self.app_id = db.app_id
        self.limits = db.limits
        self.encrypted = codec.encrypted
        self.kv = KeyValueStore(db, codec)
        self.files = FileNamespace(db, codec, files_root)
        self.recovered: RecoveryReport | None = db.recovered

    @property
    def writes(self) -> int:
        """Write transactions committed through this handle since it was opened."""
        return self._db.writes

    def usage(self) -> Usage:
        with self._db.read() as conn:
            kv_bytes, kv_count, file_bytes, file_count = conn.execute(
                "SELECT kv_bytes, kv_count, file_bytes, file_count FROM usage"
            ).fetchone()
        return Usage(
            used=kv_bytes + file_bytes,
            quota=self.limits.quota_bytes,
            kv_bytes=kv_bytes,
            keys=kv_count,
            file_bytes=file_bytes,
            files=file_count,
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> AppStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(
    paths: Paths,
    app_id: str,
    *,
    limits: StorageLimits | None = None,
    audit: AuditSink | None = None,
    keys: KeyManager | None = None,
    encrypt: bool = True,
    data_key: bytes | None = None,
) -> AppStore:
    """Open (creating if needed) the store of ``app_id``; recover it if it is damaged.

    ``data_key``: the app's key as the host derived it (a runtime holds no master key and
    passes it here); without it the key is unwrapped (or made) with the master key.

    ``encrypt=False`` exists for the benchmark only: the store then holds plaintext, and an
    encrypted open of it is treated as damage.

    Raises:
        KeyManagementError: the master key is unavailable (nothing is moved or created).
        StorageError: the store is locked or the folder is not writable.
    """
    limits = limits or StorageLimits()
    audit = audit if audit is not None else AuditLog(paths.audit_log)
    # While a pooled runtime has the app's storage in its slot, every opener (the host's
    # readers, tests) opens it there, never a new empty store in its place (``_moved``).
    paths = paths_for(paths, app_id)
    codec: Codec
    if encrypt and data_key is not None:
        codec = AesGcmCodec(app_id, data_key)
    elif encrypt:
        keys = keys or KeyManager(paths, backend=limits.key_backend)
        data_key = keys.data_key(app_id, create=True)
        assert data_key is not None  # noqa: S101 - create=True always returns a key
        codec = AesGcmCodec(app_id, data_key)
    else:
        codec = PlainCodec()
    paths.app_dir(app_id).mkdir(parents=True, exist_ok=True, mode=0o700)
    files_root = paths.app_files(app_id)
    db = Database(
        paths.app_storage(app_id),
        app_id=app_id,
        codec=codec,
        limits=limits,
        audit=audit,
        files_root=files_root,
    )
    store = AppStore(db, codec, files_root)
    try:
        store.kv.recount()
        store.files.reconcile()
    except BaseException:
        store.close()
        raise
    return store


def read_usage(paths: Paths, app_id: str, *, limits: StorageLimits | None = None) -> Usage:
    """Usage of an app without creating anything (zero if it never stored a thing), with
    the bytes of its engine profile on disk and their budget."""
    limits = limits or StorageLimits()
    paths = paths_for(paths, app_id)  # a pooled runtime's slot holds it while it runs
    engine = {"engine_bytes": engine_bytes(paths, app_id), "engine_quota": engine_quota(paths)}
    keys = KeyManager(paths, backend=limits.key_backend)
    if not keys.has_data_key(app_id) and not paths.app_storage(app_id).exists():
        return Usage(0, limits.quota_bytes, 0, 0, 0, 0, **engine)
    with open_store(paths, app_id, limits=limits, keys=keys) as store:
        return replace(store.usage(), **engine)


def clear_app_data(
    paths: Paths,
    app_id: str,
    *,
    limits: StorageLimits | None = None,
    audit: AuditSink | None = None,
) -> Usage:
    """Delete every value, file and cached file of the app, and its engine profile (web
    storage of a ``persistent`` app); keeps its data key. Returns the usage before."""
    audit = audit if audit is not None else AuditLog(paths.audit_log)
    paths = paths_for(paths, app_id)  # a pooled runtime's slot holds it while it runs
    with open_store(paths, app_id, limits=limits, audit=audit) as store:
        before = replace(store.usage(), engine_bytes=engine_bytes(paths, app_id))
        store.kv.clear()
        store.files.clear()
    _remove_tree(paths.app_cache(app_id))
    _remove_tree(paths.app_storage(app_id) / "quarantine")
    _remove_tree(paths.app_webview(app_id))
    audit.record(
        "storage.cleared",
        app_id=app_id,
        outcome="success",
        reason="the user cleared the app's storage",
        keys=before.keys,
        files=before.files,
        engine_bytes=before.engine_bytes,
    )
    return before


def destroy_app_data(paths: Paths, app_id: str) -> None:
    """Uninstall: crypto-shred the app's data key, then delete storage, files, cache, webview.

    The key goes first, so whatever a crash leaves behind is ciphertext no key opens.
    The app must not be running. The bundle and the app folder are the install module's.
    """
    keys = KeyManager(paths)
    had_key = keys.destroy_data_key(app_id)
    # Left in a runtime's slot by a host that crashed (no host has moved it home since):
    # deleted there, as the user asked (``_moved``).
    paths = paths_for(paths, app_id)
    for folder in (
        paths.app_storage(app_id),
        paths.app_files(app_id),
        paths.app_cache(app_id),
        paths.app_webview(app_id),
    ):
        _remove_tree(folder)
    AuditLog(paths.audit_log).record(
        "storage.destroyed",
        app_id=app_id,
        outcome="success",
        reason="data key destroyed and storage deleted (uninstall)",
        had_key=had_key,
    )


def _remove_tree(folder: Path) -> None:
    """Delete ``folder`` without following links (a link itself is just unlinked)."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder)

"""The SQLite file behind one app's store: opening, checking, recovering, transactions.

Opening ``<data>/apps/<app_id>/storage/kv.sqlite3`` follows this order; the first step that
finds damage stops the checks and triggers recovery:

1. connect with the busy timeout, switch to WAL and the configured ``synchronous`` level
   (a file that is not a database fails here);
2. ``PRAGMA quick_check`` must answer ``ok`` (torn or truncated pages fail here);
3. the ``meta`` table must name format 1 and this app id (a store copied from another app
   fails here);
4. the sealed ``key_check`` row must open under the app's data key (a lost or replaced data
   key fails here: nothing in the store could be read anyway).

Recovery moves the database and its ``-wal``/``-shm`` side files (and, when the key check
failed, the files folder, which is just as unreadable) into ``storage/quarantine/<time>/``,
records ``storage.recovered`` in the audit log, and starts an empty store. Lock contention,
permissions and a full disk are *not* damage: they raise ``StorageError`` and move nothing.

Writes run in ``BEGIN IMMEDIATE`` transactions: one writer at a time across processes (the
others wait up to the busy timeout), and a quota check and the write it guards are atomic.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from superapp.core.errors import StorageError
from superapp.core.ports import AuditSink
from superapp.storage._crypto import Codec
from superapp.storage._errors import UnreadableError
from superapp.storage._limits import StorageLimits

__all__ = ["DB_NAME", "Database", "RecoveryReport"]

DB_NAME = "kv.sqlite3"
_FORMAT = b"1"
_KEY_CHECK = b"superapp key check"
# SQLite primary result codes that mean "the bytes are damaged".
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kv (
    id BLOB PRIMARY KEY, name BLOB NOT NULL, value BLOB NOT NULL, size INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    kv_bytes INTEGER NOT NULL, kv_count INTEGER NOT NULL,
    file_bytes INTEGER NOT NULL, file_count INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class RecoveryReport:
    """What recovery did at open (shown to the user by the runtime, and audited)."""

    reason: str
    #: Folder (relative to the app's storage folder) holding the damaged files.
    quarantine: str


class _Damaged(Exception):
    """Internal: the store is damaged; the message is the reason."""

    def __init__(self, reason: str, *, key_lost: bool = False) -> None:
        super().__init__(reason)
        self.key_lost = key_lost


class Database:
    """One connection, serialised by a lock; cross-process serialisation is SQLite's."""

    def __init__(
        self,
        folder: Path,
        *,
        app_id: str,
        codec: Codec,
        limits: StorageLimits,
        audit: AuditSink | None,
        files_root: Path,
    ) -> None:
        self.folder = folder
        self.path = folder / DB_NAME
        self.app_id = app_id
        self.limits = limits
        self._codec = codec
        self._audit = audit
        self._files_root = files_root
        self.lock = threading.RLock()
        self.recovered: RecoveryReport | None = None
        #: Write transactions committed through this handle: the ``storage.writes`` counter
        #: the runtime reports to the host, for the ``storage_writes`` budget.
        self.writes = 0
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self.conn = self._open_checked()
        except _Damaged as damage:
            self.recovered = self._quarantine(str(damage), key_lost=damage.key_lost)
            try:
                self.conn = self._open_checked()
            except _Damaged as again:  # a fresh file that is damaged: give up loudly
                raise StorageError(f"cannot create a fresh store: {again}") from again

    # --- opening -----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=self.limits.busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            conn.execute(f"PRAGMA synchronous={self.limits.synchronous}")
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute("PRAGMA trusted_schema=OFF")
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_checked(self) -> sqlite3.Connection:
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
            raise _Damaged("store file is a link or not a regular file")
        existed = self.path.exists() and self.path.stat().st_size > 0
        if not existed:  # created owner-only; SQLite gives -wal/-shm the same mode
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
        try:
            conn = self._connect()
        except sqlite3.DatabaseError as err:
            raise self._classify(err) from err
        try:
            if existed:
                rows = conn.execute("PRAGMA quick_check").fetchall()
                if rows != [("ok",)]:
                    raise _Damaged(f"integrity check failed: {str(rows[0][0])[:120]}")
            self._ensure_schema(conn)
            meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
            if bytes(meta.get("format", b"")) != _FORMAT:
                raise _Damaged("unknown store format")
            if bytes(meta.get("app_id", b"")) != self.app_id.encode():
                raise _Damaged("store belongs to another app")
            try:
                check = self._codec.open(b"check", "", bytes(meta["key_check"]))
            except (UnreadableError, KeyError):
                check = b""
            if check != _KEY_CHECK:
                raise _Damaged("store does not open under this app's data key", key_lost=True)
            return conn
        except sqlite3.DatabaseError as err:
            conn.close()
            raise self._classify(err) from err
        except BaseException:
            conn.close()
            raise

    @staticmethod
    def _classify(err: sqlite3.DatabaseError) -> Exception:
        code = getattr(err, "sqlite_errorcode", 0) & 0xFF
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or not isinstance(
            err, sqlite3.OperationalError
        ):
            return _Damaged(f"database is damaged: {err}")
        return StorageError(f"cannot open the app's store: {err}")

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.executemany(
                "INSERT OR IGNORE INTO meta(name, value) VALUES (?, ?)",
                [
                    ("format", _FORMAT),
                    ("app_id", self.app_id.encode()),
                    ("key_check", self._codec.seal(b"check", "", _KEY_CHECK)),
                ],
            )
            conn.execute("INSERT OR IGNORE INTO usage VALUES (0, 0, 0, 0, 0)")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _quarantine(self, reason: str, *, key_lost: bool) -> RecoveryReport:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"quarantine/{stamp}-{secrets.token_hex(3)}"
        target = self.folder / name
        target.mkdir(parents=True, mode=0o700)
        for suffix in ("", "-wal", "-shm", "-journal"):
            src = self.folder / f"{DB_NAME}{suffix}"
            if src.exists() or src.is_symlink():
                os.replace(src, target / src.name)
        if key_lost and (self._files_root.exists() or self._files_root.is_symlink()):
            os.replace(self._files_root, target / "files")
        report = RecoveryReport(reason=reason, quarantine=name)
        if self._audit is not None:
            self._audit.record(
                "storage.recovered",
                app_id=self.app_id,
                outcome="failure",
                reason=f"store was damaged and has been replaced by an empty one: {reason}",
                quarantine=name,
            )
        return report

    # --- use ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction (exclusive across threads and processes)."""
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:
                raise StorageError(f"the app's store is busy: {err}") from err
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
            self.writes += 1

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            yield self.conn

    def close(self) -> None:
        with self.lock:
            self.conn.close()

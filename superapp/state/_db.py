"""The one way into ``<data>/registry.sqlite3``: one connection factory, one schema, one timeout.

Every table of the file (``apps``, ``grants``, ``inbox``) is created here, by numbered
migrations applied in order; ``PRAGMA user_version`` records the last one applied. Opening:

1. ``sqlite3.connect`` with ``StateLimits.busy_timeout_s`` (also set as ``PRAGMA busy_timeout``),
   autocommit (``isolation_level=None``): callers open their own short transactions;
2. ``PRAGMA journal_mode = WAL`` (readers never block the writer);
3. if ``user_version`` is below ``SCHEMA_VERSION``: ``BEGIN IMMEDIATE`` (one migrator at a
   time across processes), read ``user_version`` again, apply the missing migrations, set it,
   ``COMMIT``. A file from a newer host (a higher ``user_version``) is left as it is.

Migrations are written so that they also bring a file made before ``user_version`` was kept
(tables made ``IF NOT EXISTS`` by three separate modules, ``apps`` with or without its
``signed_digest`` column) to the current schema without losing a row.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "DEFAULT_LIMITS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "StateLimits",
    "connect",
    "schema_version",
    "transaction",
]


@dataclass(frozen=True)
class StateLimits:
    #: How long a statement waits for another connection's write lock before "database is
    #: locked" (the three former owners used 5 s each, set three different ways).
    busy_timeout_s: float = 5.0


DEFAULT_LIMITS: Final = StateLimits()


def _m1_apps(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS apps (
            app_id          TEXT PRIMARY KEY NOT NULL,
            name            TEXT NOT NULL,
            version_name    TEXT NOT NULL,
            version_code    INTEGER NOT NULL,
            publisher_name  TEXT NOT NULL,
            key_id          TEXT NOT NULL,
            installed_at    TEXT NOT NULL,
            updated_at      TEXT NOT NULL,
            digest          TEXT NOT NULL,
            capabilities    TEXT NOT NULL,
            icon            TEXT,
            signed_digest   TEXT NOT NULL DEFAULT ''
        )
        """
    )
    columns = {row[1] for row in conn.execute("PRAGMA table_info(apps)")}
    if "signed_digest" not in columns:  # a registry written before the column existed
        conn.execute("ALTER TABLE apps ADD COLUMN signed_digest TEXT NOT NULL DEFAULT ''")


def _m2_grants(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS grants (
            app_id     TEXT NOT NULL,
            capability TEXT NOT NULL,
            state      TEXT NOT NULL CHECK (state IN ('granted', 'revoked')),
            source     TEXT NOT NULL CHECK (source IN ('manifest', 'consent', 'user')),
            updated_at REAL NOT NULL,
            PRIMARY KEY (app_id, capability)
        ) WITHOUT ROWID
        """
    )


def _m3_inbox(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS inbox (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            to_app   TEXT NOT NULL,
            from_app TEXT NOT NULL,
            data     TEXT NOT NULL,
            sent_at  REAL NOT NULL
        )
        """
    )


#: The schema, in order: migration ``n`` (1-based) brings ``user_version`` from n-1 to n.
#: Append only; never edit or reorder a migration that has shipped.
MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = (
    _m1_apps,
    _m2_grants,
    _m3_inbox,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _migrate(conn: sqlite3.Connection) -> None:
    if schema_version(conn) >= SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)  # another process may have migrated meanwhile
        for number, migration in enumerate(MIGRATIONS, start=1):
            if number > current:
                migration(conn)
        if current < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def connect(
    db_path: Path, *, limits: StateLimits = DEFAULT_LIMITS, check_same_thread: bool = True
) -> sqlite3.Connection:
    """An open, migrated connection to the registry database at ``db_path`` (autocommit).

    The folder is created owner-only if missing. The caller closes the connection.

    Raises:
        sqlite3.Error: the file is not a database, is locked beyond the timeout, ...
    """
    db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = sqlite3.connect(
        db_path,
        timeout=limits.busy_timeout_s,
        isolation_level=None,
        check_same_thread=check_same_thread,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(limits.busy_timeout_s * 1000):d}")
        _set_wal(conn, limits.busy_timeout_s)
        _migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _set_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Switch to WAL, waiting up to ``timeout_s`` for a second process opening the same fresh
    file: the switch needs an exclusive lock, and SQLite may answer SQLITE_BUSY at once there
    without calling the busy handler (seen with two processes creating one registry)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = False) -> Iterator[None]:
    """One short transaction on an autocommit connection: committed, or rolled back on error."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

"""The host's answer to a runtime's ``grants_query``: the app's grant rows, read from
``registry.sqlite3`` at every query, on one connection the host keeps open.

Why kept open (bench/grants_query.py, bench/RESULTS.md 2026-12-02): an answer read on a
fresh connection cost ≈0.5 ms, nearly all of it opening and closing — the first statement of
a new connection maps the WAL index and reads the schema (≈0.3 ms), closing the last
connection checkpoints the WAL (≈0.08 ms) — while the indexed read itself costs ≈0.01 ms.
Every single-page ``callNative`` that reads a grant paid it (issue 14's bind merge).

Why no cache of answers: ``PRAGMA data_version`` on this connection would say exactly when
another connection committed, but checking it costs half of the read it would save (≈4 µs of
≈8), so each query simply reads. Every read is a new read transaction, which sees every
transaction committed before it by any connection of any process (``superapp revoke-grant``,
the launcher, the host's own "allow always"): a grant revoked anywhere applies to the very
next call, exactly as with a fresh connection.

What a kept-open connection could miss, and what covers it (in this order, at each query):

1. The file replaced or removed (a backup restored over it, a new file moved in): the
   connection would go on reading the old inode. The identity (device, inode, size, mtime)
   of the file and of its WAL is compared with the one seen at the previous query; any
   difference closes the connection and opens a new one.
2. Bytes written into the file other than by SQLite (corruption): the connection's page
   cache would go on answering from pages read earlier. The same check sees the new size or
   mtime; and because mtimes have the file system's granularity, a snapshot whose newest
   mtime is within ``racy_window_s`` of when it was taken proves nothing (git's "racily
   clean" rule): the next query opens a new connection as well.
3. Any error (not a database, locked beyond the busy timeout, an unknown value): the
   connection is closed, the next query opens a new one, and this answer refuses every
   capability (``superapp.protocol.refusing_rows``), never a stale or empty answer.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from superapp.protocol import GrantRow, refusing_rows
from superapp.state._db import DEFAULT_LIMITS, StateLimits
from superapp.state.grants import GrantStore

__all__ = ["DEFAULT_ANSWER_LIMITS", "GrantAnswerLimits", "GrantAnswers", "rows_of"]

_log = logging.getLogger("superapp.host")


@dataclass(frozen=True)
class GrantAnswerLimits:
    #: Longer than any local file system's mtime granularity (ext4/xfs/btrfs/tmpfs stamp with
    #: the kernel's coarse clock, one tick of 1-10 ms; HFS+ and network mounts 1 s): a file
    #: written this recently may be written again under the same mtime. The cost is a fresh
    #: connection per query for this long after a registry write (grants, inbox).
    racy_window_s: float = 1.0
    #: The registry's busy timeout: a locked registry refuses after this.
    state: StateLimits = field(default_factory=lambda: DEFAULT_LIMITS)


DEFAULT_ANSWER_LIMITS: Final = GrantAnswerLimits()

#: (device, inode, size, mtime in ns) of the database file and of its WAL (None: no WAL).
_FileId = tuple[int, int, int, int]
_Identity = tuple[_FileId | None, _FileId | None]


def _file_id(path: str) -> _FileId | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def rows_of(store: GrantStore, app_id: str) -> dict[str, GrantRow]:
    return {
        g.capability: GrantRow(state=g.state, source=g.source, updated_at=g.updated_at)
        for g in store.list(app_id)
    }


class GrantAnswers:
    """The grants of any app, as ``grants_query`` answers them. Thread-safe (every app's
    reader thread asks); opens the registry at the first query, not before."""

    def __init__(self, db_path: Path, limits: GrantAnswerLimits = DEFAULT_ANSWER_LIMITS) -> None:
        self._db_path = db_path
        self._files = (str(db_path), f"{db_path}-wal")
        self._limits = limits
        self._lock = threading.Lock()
        self._store: GrantStore | None = None
        #: The identity seen at the previous query, and whether it was racy then.
        self._seen: _Identity | None = None
        self._seen_racy = True
        #: Connections opened so far (tests and the bench see the kept one being used).
        self.opened = 0
        #: Whether the previous query failed: a registry that stays unreadable is logged
        #: once, not at every call.
        self._failing = False

    def rows(self, app_id: str) -> dict[str, GrantRow]:
        """``app_id``'s grant rows as committed now; every capability ``revoked`` if the
        registry cannot be read."""
        with self._lock:
            try:
                rows = rows_of(self._current(), app_id)
            except Exception as err:  # sqlite3.Error, OSError, an unknown state: point 3
                self._drop()
                if not self._failing:
                    _log.warning(
                        "the registry could not be read (%s); refusing every capability "
                        "until it can", err, exc_info=True,
                    )  # fmt: skip
                self._failing = True
                return refusing_rows()
            if self._failing:
                _log.warning("the registry can be read again")
                self._failing = False
            return rows

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _current(self) -> GrantStore:
        """The connection to read with: the kept one if the files are provably unchanged
        since the previous query (points 1 and 2), else a new one. The identity is taken
        after opening and before the read it vouches for, so a change after it is seen by the
        next query. The new connection is opened before the old one is closed: closing the
        last connection checkpoints and deletes the WAL, and a WAL made anew each time would
        never look unchanged."""
        identity = self._identity()
        if self._store is not None and identity == self._seen and not self._seen_racy:
            return self._store
        old, self._store = self._store, None
        try:
            self._store = GrantStore(self._db_path, limits=self._limits.state)
            self.opened += 1
        finally:
            if old is not None:
                _close(old)
        now_ns = time.time_ns()
        self._seen = self._identity()
        window_ns = int(self._limits.racy_window_s * 1e9)
        self._seen_racy = any(f is not None and f[3] > now_ns - window_ns for f in self._seen)
        return self._store

    def _identity(self) -> _Identity:
        return (_file_id(self._files[0]), _file_id(self._files[1]))

    def _drop(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            _close(store)


def _close(store: GrantStore) -> None:
    try:
        store.close()
    except Exception:  # closing a broken connection: nothing more to lose
        _log.debug("closing the registry connection failed", exc_info=True)

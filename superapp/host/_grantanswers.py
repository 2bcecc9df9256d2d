"""The host's answer to a runtime's ``grants_query``: the app's grant rows, read from
``registry.sqlite3`` at every query, on one connection the host keeps open.

Why kept open (bench/grants_query.py, bench/RESULTS.md 2026-12-02): an answer read on a
fresh connection cost ≈0.75 ms, nearly all of it opening and closing — the first statement of
a new connection maps the WAL index and reads the schema (≈0.3 ms), closing the last
connection checkpoints the WAL (≈0.08 ms) — while the indexed read itself costs ≈0.01 ms.
Every single-page ``callNative`` that reads a grant paid it (issue 14's bind merge).

Why no cache of answers: ``PRAGMA data_version`` on this connection would say exactly when
another connection committed, but checking it costs half of the read it would save (≈4 µs of
≈8), so each query simply reads. Every read is a new read transaction, which sees every
transaction committed before it by any connection of any process (``superapp revoke-grant``,
the launcher, the host's own "allow always"): a grant revoked anywhere applies to the very
next call, exactly as with a fresh connection.

What a kept-open connection could miss that a fresh one would not, and what covers it (in
this order, at each query):

1. The file or its WAL replaced or removed (a backup restored over it, a new file moved in):
   the connection would go on reading the inodes it opened. The (device, inode) of both files
   is compared with the one seen when the connection was opened; any difference opens a new
   connection. Exact, with no clock in it: the inodes this connection holds open cannot be
   reused by another file meanwhile.
2. Bytes written into either file other than by SQLite (corruption): the connection's page
   cache would go on answering from pages read earlier. The cache is dropped before every read
   (``GrantStore.forget_cached_pages``, ≈4 µs), so every read takes its pages from the files,
   as a new connection's would. (An mtime/size check would need a "racily clean" window for
   the file system's timestamp granularity, and a new connection per query within it.)
3. Any error (not a database, locked beyond the busy timeout, an unknown value): the
   connection is closed, the next query opens a new one, and this answer refuses every
   capability (``superapp.protocol.refusing_rows``), never a stale or empty answer.
"""

from __future__ import annotations

import logging
import os
import threading
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
    #: The registry's busy timeout: a locked registry refuses after this.
    state: StateLimits = field(default_factory=lambda: DEFAULT_LIMITS)


DEFAULT_ANSWER_LIMITS: Final = GrantAnswerLimits()

#: (device, inode) of the database file and of its WAL (None: no such file).
_Identity = tuple[tuple[int, int] | None, tuple[int, int] | None]


def _file_id(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


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
        #: The files the kept connection opened.
        self._opened_files: _Identity | None = None
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
                store = self._current()
                store.forget_cached_pages()
                rows = rows_of(store, app_id)
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
        """The kept connection if it still reads the files at the registry's path (point 1),
        else a new one. The new connection is opened before the old one is closed: closing
        the last connection checkpoints and deletes the WAL, which the next opening would
        make anew (a new inode each time)."""
        identity = self._identity()
        if self._store is not None and identity == self._opened_files:
            return self._store
        old, self._store = self._store, None
        try:
            store = GrantStore(self._db_path, limits=self._limits.state)
            self.opened += 1
        finally:
            if old is not None:
                _close(old)
        # Taken after opening (the opening may make the WAL): the files this connection holds.
        self._opened_files = self._identity()
        self._store = store
        return store

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

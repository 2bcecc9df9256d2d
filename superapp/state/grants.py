"""Which capabilities each app holds: the ``grants`` table in ``<data>/registry.sqlite3``.

A capability is *effective* for an app only if all of these hold (DESIGN §5):

1. the app's manifest declares it (``req_permissions``) — otherwise never, whatever the table
   says (a stale row for a capability a new version stopped declaring grants nothing);
2. and either the table holds ``granted`` for it, or it needs no consent
   (``superapp.core.capabilities.CONSENT_REQUIRED``) and the user has not revoked it.

So a consent-needing capability is granted only by an "allow always" answer (written here)
or, for a single call, "allow once" (never written). Revoking writes ``revoked``; the
dispatcher reads this table on every call, so a revocation applies to the very next call of
a running app. The table's schema, file and timeout belong to ``superapp.state._db``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from superapp.core.capabilities import CONSENT_REQUIRED
from superapp.state._db import DEFAULT_LIMITS, StateLimits, connect, transaction

__all__ = ["Grant", "GrantSource", "GrantState", "GrantStore", "is_effective"]

GrantState = Literal["granted", "revoked"]
#: ``manifest``: declared and needs no consent; ``consent``: the user said "allow always";
#: ``user``: changed by the user in the launcher or the CLI.
GrantSource = Literal["manifest", "consent", "user"]


@dataclass(frozen=True)
class Grant:
    app_id: str
    capability: str
    state: GrantState
    source: GrantSource
    updated_at: float


def is_effective(capability: str, declared: Iterable[str], state: GrantState | None) -> bool:
    """The grant rule in the module docstring, for one capability and its stored state."""
    if capability not in declared:
        return False
    if state is not None:
        return state == "granted"
    return capability not in CONSENT_REQUIRED


class GrantStore:
    """The grants table. One connection, guarded by a lock: safe to share between threads."""

    def __init__(self, db_path: Path, *, limits: StateLimits = DEFAULT_LIMITS) -> None:
        self._lock = threading.Lock()
        self._db = connect(db_path, limits=limits, check_same_thread=False)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def forget_cached_pages(self) -> None:
        """Drop the pages this connection keeps between reads, so the next read takes them
        from the file: a long-lived connection (``superapp.host._grantanswers``) then sees a
        file written other than by SQLite as a new connection would. SQLite's own commits
        need no such step (a new read transaction sees them)."""
        with self._lock:
            self._db.execute("PRAGMA shrink_memory")

    def __enter__(self) -> GrantStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reads --------------------------------------------------------------------
    def state(self, app_id: str, capability: str) -> GrantState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM grants WHERE app_id = ? AND capability = ?",
                (app_id, capability),
            ).fetchone()
        return None if row is None else _state(row[0])

    def get(self, app_id: str, capability: str) -> Grant | None:
        with self._lock:
            row = self._db.execute(
                "SELECT app_id, capability, state, source, updated_at FROM grants "
                "WHERE app_id = ? AND capability = ?",
                (app_id, capability),
            ).fetchone()
        return (
            None
            if row is None
            else Grant(row[0], row[1], _state(row[2]), _source(row[3]), float(row[4]))
        )

    def states(self, app_id: str) -> dict[str, GrantState]:
        """Every stored state of ``app_id`` in one query."""
        with self._lock:
            rows = self._db.execute(
                "SELECT capability, state FROM grants WHERE app_id = ?", (app_id,)
            ).fetchall()
        return {str(cap): _state(state) for cap, state in rows}

    def effective(self, app_id: str, capability: str, declared: Iterable[str]) -> bool:
        if capability not in declared:
            return False
        return is_effective(capability, declared, self.state(app_id, capability))

    def list(self, app_id: str) -> list[Grant]:
        with self._lock:
            rows = self._db.execute(
                "SELECT app_id, capability, state, source, updated_at FROM grants "
                "WHERE app_id = ? ORDER BY capability",
                (app_id,),
            ).fetchall()
        return [Grant(r[0], r[1], _state(r[2]), _source(r[3]), float(r[4])) for r in rows]

    def known_app(self, app_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM grants WHERE app_id = ? LIMIT 1", (app_id,)
            ).fetchone()
        return row is not None

    # --- writes -------------------------------------------------------------------
    def _put(self, app_id: str, capability: str, state: GrantState, source: GrantSource) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO grants (app_id, capability, state, source, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id, capability) DO UPDATE SET "
                "state = excluded.state, source = excluded.source, "
                "updated_at = excluded.updated_at",
                (app_id, capability, state, source, time.time()),
            )

    def grant(self, app_id: str, capability: str, source: GrantSource = "user") -> None:
        """Persist a grant ("allow always", or the user granting it in the launcher)."""
        self._put(app_id, capability, "granted", source)

    def revoke(self, app_id: str, capability: str, source: GrantSource = "user") -> None:
        """Persist a revocation; the next call that needs ``capability`` is refused or asks."""
        self._put(app_id, capability, "revoked", source)

    def sync_declared(self, app_id: str, declared: Iterable[str]) -> None:
        """Record the consent-free capabilities a manifest declares as ``granted``, so the
        user sees them in ``superapp grants``; an existing row (a revocation) is kept."""
        now = time.time()
        rows = [
            (app_id, cap, "granted", "manifest", now)
            for cap in sorted(set(declared))
            if cap not in CONSENT_REQUIRED
        ]
        with self._lock, transaction(self._db, immediate=True):
            self._db.executemany(
                "INSERT OR IGNORE INTO grants "
                "(app_id, capability, state, source, updated_at) VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def forget_app(self, app_id: str) -> None:
        """Drop every grant of ``app_id`` (uninstall)."""
        with self._lock:
            self._db.execute("DELETE FROM grants WHERE app_id = ?", (app_id,))


def _state(value: object) -> GrantState:
    if value == "granted":
        return "granted"
    if value == "revoked":
        return "revoked"
    raise RuntimeError(f"grants table holds an unknown state {value!r}")


def _source(value: object) -> GrantSource:
    if value == "manifest":
        return "manifest"
    if value == "consent":
        return "consent"
    if value == "user":
        return "user"
    raise RuntimeError(f"grants table holds an unknown source {value!r}")

"""Explicit sharing between mini-apps: the host-owned inbox (DESIGN §5, issue 6 item 5).

``share.send`` is the only path for data between apps. The sender's runtime asks its host;
the host checks that the receiver is installed, asks the user in host-owned UI, and only then
writes the payload here, under the sender id the host itself knows (the runtime it launched),
never one the page supplied. The receiver reads its inbox with ``share.inbox``; reading takes
the messages out. Nothing else writes to or reads from another app's inbox.

Storage: the ``inbox`` table in ``<data>/registry.sqlite3`` (schema, file and timeout in
``superapp.state._db``), bounded per receiver by ``ShareLimits``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from superapp.core.errors import InboxFullError
from superapp.core.paths import Paths
from superapp.state._db import connect, transaction

__all__ = ["InboxFullError", "Message", "ShareLimits", "deliver", "pending", "take"]


@dataclass(frozen=True)
class ShareLimits:
    #: Largest payload, as JSON text.
    max_payload_bytes: int = 64 * 1024
    #: Messages waiting for one receiver; beyond this, sends are refused until it reads.
    max_pending: int = 100
    #: How long the host waits for the user to confirm a send.
    confirm_timeout_s: float = 300.0


DEFAULT_LIMITS = ShareLimits()


@dataclass(frozen=True)
class Message:
    from_app: str
    data: object
    sent_at: float


@contextmanager
def _db(paths: Paths) -> Iterator[sqlite3.Connection]:
    paths.data.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = connect(paths.registry_db)
    try:
        yield conn
    finally:
        conn.close()


def deliver(
    paths: Paths, from_app: str, to_app: str, data_json: str, limits: ShareLimits = DEFAULT_LIMITS
) -> None:
    """Put a payload (JSON text, already confirmed by the user) in ``to_app``'s inbox.

    Raises:
        ValueError: payload too large or not JSON.
        InboxFullError: the receiver has ``max_pending`` unread messages.
    """
    if len(data_json.encode("utf-8")) > limits.max_payload_bytes:
        raise ValueError(f"payload over {limits.max_payload_bytes} bytes")
    json.loads(data_json)  # refuse anything that is not JSON text
    with _db(paths) as conn, transaction(conn, immediate=True):
        (count,) = conn.execute("SELECT COUNT(*) FROM inbox WHERE to_app = ?", (to_app,)).fetchone()
        if count >= limits.max_pending:
            raise InboxFullError(f"{to_app} has {count} unread shared items")
        conn.execute(
            "INSERT INTO inbox (to_app, from_app, data, sent_at) VALUES (?, ?, ?, ?)",
            (to_app, from_app, data_json, time.time()),
        )


def take(paths: Paths, app_id: str, limit: int = 50) -> list[Message]:
    """The oldest ``limit`` messages for ``app_id``, removed from its inbox atomically."""
    with _db(paths) as conn, transaction(conn, immediate=True):
        rows = conn.execute(
            "SELECT id, from_app, data, sent_at FROM inbox WHERE to_app = ? ORDER BY id LIMIT ?",
            (app_id, limit),
        ).fetchall()
        conn.executemany("DELETE FROM inbox WHERE id = ?", [(row[0],) for row in rows])
    return [Message(row[1], json.loads(row[2]), row[3]) for row in rows]


def pending(paths: Paths, app_id: str) -> int:
    with _db(paths) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM inbox WHERE to_app = ?", (app_id,)).fetchone()
    return int(count)

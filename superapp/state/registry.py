"""The registry of installed mini-apps: the ``apps`` table of ``<data>/registry.sqlite3``.

The file, its schema and its timeout belong to ``superapp.state._db``; this module reads and
writes rows, each in one short transaction.

One row per installed app: what the launcher lists and what an update is checked against (the
installed version code and the key that signed it). The bundle itself is the source of truth
for its contents and is re-verified at every launch; the row's ``digest`` must match it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from superapp.core.errors import NotInstalledError
from superapp.core.paths import Paths
from superapp.state._db import connect, transaction

__all__ = ["InstalledApp", "delete_app", "get_app", "list_apps", "put_app"]


@dataclass(frozen=True, slots=True)
class InstalledApp:
    """One installed mini-app as the registry knows it.

    ``installed_at`` is when it was first installed and ``updated_at`` when its current version
    was (RFC 3339 UTC). ``icon_path`` is the launcher's copy of the icon, if the app has one.
    ``digest`` is the SHA-256 of the installed ``.sapp`` file and ``signed_digest`` that of its
    signature entry, which pins every byte of it (docs/adr/0003).
    """

    app_id: str
    name: str
    version_name: str
    version_code: int
    publisher_name: str
    key_id: str
    installed_at: str
    updated_at: str
    digest: str
    declared_capabilities: frozenset[str]
    icon_path: Path | None
    signed_digest: str = ""


@contextmanager
def _connect(paths: Paths) -> Iterator[sqlite3.Connection]:
    paths.data.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = connect(paths.registry_db)
    try:
        with transaction(conn):
            yield conn
    finally:
        conn.close()


def _row_to_app(paths: Paths, row: sqlite3.Row | tuple[object, ...]) -> InstalledApp:
    (app_id, name, vname, vcode, publisher, key_id, installed, updated, digest, caps, icon, sd) = (
        row
    )
    return InstalledApp(
        app_id=str(app_id),
        name=str(name),
        version_name=str(vname),
        version_code=int(str(vcode)),
        publisher_name=str(publisher),
        key_id=str(key_id),
        installed_at=str(installed),
        updated_at=str(updated),
        digest=str(digest),
        declared_capabilities=frozenset(json.loads(str(caps))),
        icon_path=paths.app_bundle(str(app_id)) / str(icon) if icon else None,
        signed_digest=str(sd),
    )


_COLUMNS: Final = (
    "app_id, name, version_name, version_code, publisher_name, key_id, installed_at, "
    "updated_at, digest, capabilities, icon, signed_digest"
)


def list_apps(paths: Paths) -> list[InstalledApp]:
    """Every installed app, by name."""
    if not paths.registry_db.exists():
        return []
    with _connect(paths) as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM apps ORDER BY name COLLATE NOCASE, app_id")  # noqa: S608
        return [_row_to_app(paths, row) for row in rows.fetchall()]


def get_app(paths: Paths, app_id: str) -> InstalledApp:
    """The installed app ``app_id``.

    Raises:
        NotInstalledError: no such app is installed.
    """
    if not paths.registry_db.exists():
        raise NotInstalledError(app_id)
    with _connect(paths) as conn:
        row = conn.execute(f"SELECT {_COLUMNS} FROM apps WHERE app_id = ?", (app_id,)).fetchone()  # noqa: S608
    if row is None:
        raise NotInstalledError(app_id)
    return _row_to_app(paths, row)


def put_app(paths: Paths, app: InstalledApp) -> None:
    """Insert or replace the row for ``app.app_id`` (install and update)."""
    icon = app.icon_path.name if app.icon_path else None
    with _connect(paths) as conn:
        conn.execute(
            f"INSERT OR REPLACE INTO apps ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
            (
                app.app_id,
                app.name,
                app.version_name,
                app.version_code,
                app.publisher_name,
                app.key_id,
                app.installed_at,
                app.updated_at,
                app.digest,
                json.dumps(sorted(app.declared_capabilities)),
                icon,
                app.signed_digest,
            ),
        )


def delete_app(paths: Paths, app_id: str) -> bool:
    """Delete the row for ``app_id``; ``True`` if there was one."""
    if not paths.registry_db.exists():
        return False
    with _connect(paths) as conn:
        return conn.execute("DELETE FROM apps WHERE app_id = ?", (app_id,)).rowcount > 0

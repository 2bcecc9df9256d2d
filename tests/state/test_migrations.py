"""The one owner of registry.sqlite3: one schema by ordered migrations, one timeout.

The "old" file is built with the exact statements the three former owners ran (registry.py,
grants.py, share.py before superapp.state existed), rows included, so the test shows that a
registry made by the previous code opens with nothing lost.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from superapp.core.paths import Paths
from superapp.state import SCHEMA_VERSION, connect, inbox, registry
from superapp.state._db import MIGRATIONS, schema_version
from superapp.state.grants import GrantStore

# Verbatim from the former owners (apps as first shipped: no signed_digest column yet).
_OLD_APPS = """
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
    icon            TEXT
)
"""
_OLD_GRANTS = """
CREATE TABLE IF NOT EXISTS grants (
    app_id     TEXT NOT NULL,
    capability TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('granted', 'revoked')),
    source     TEXT NOT NULL CHECK (source IN ('manifest', 'consent', 'user')),
    updated_at REAL NOT NULL,
    PRIMARY KEY (app_id, capability)
) WITHOUT ROWID
"""
_OLD_INBOX = """
CREATE TABLE IF NOT EXISTS inbox (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    to_app   TEXT NOT NULL,
    from_app TEXT NOT NULL,
    data     TEXT NOT NULL,
    sent_at  REAL NOT NULL
)
"""
APP = "com.example.notes"
_INSERT_11 = "INSERT INTO apps VALUES (?,?,?,?,?,?,?,?,?,?,?)"
_INSERT_12 = "INSERT INTO apps VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"


def _old_registry(db: Path, *, with_signed_digest: bool) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(_OLD_APPS)
    if with_signed_digest:
        conn.execute("ALTER TABLE apps ADD COLUMN signed_digest TEXT NOT NULL DEFAULT ''")
    conn.execute(_OLD_GRANTS)
    conn.execute(_OLD_INBOX)
    conn.execute(
        _INSERT_12 if with_signed_digest else _INSERT_11,
        (
            APP,
            "Notes",
            "1.0",
            3,
            "Example Co",
            "k" * 64,
            "2026-01-01T00:00:00+00:00",
            "2026-02-01T00:00:00+00:00",
            "d" * 64,
            '["storage"]',
            "icon.png",
            *(["s" * 64] if with_signed_digest else []),
        ),
    )
    conn.execute(
        "INSERT INTO grants VALUES (?, 'clipboard.read', 'granted', 'consent', 1.0)", (APP,)
    )
    conn.execute(
        "INSERT INTO inbox (to_app, from_app, data, sent_at) VALUES (?, 'com.example.x', '[1]', 2.0)",
        (APP,),
    )
    conn.commit()
    conn.close()


@pytest.mark.parametrize("with_signed_digest", [False, True], ids=["first-schema", "current"])
def test_an_old_registry_is_migrated_without_losing_a_row(
    tmp_path: Path, with_signed_digest: bool
) -> None:
    paths = Paths.from_env({"SUPERAPP_HOME": str(tmp_path)})
    _old_registry(paths.registry_db, with_signed_digest=with_signed_digest)

    app = registry.get_app(paths, APP)
    assert (app.name, app.version_code, app.declared_capabilities) == ("Notes", 3, {"storage"})
    assert app.signed_digest == ("s" * 64 if with_signed_digest else "")
    with GrantStore(paths.registry_db) as store:
        assert store.state(APP, "clipboard.read") == "granted"
    messages = inbox.take(paths, APP)
    assert [(m.from_app, m.data) for m in messages] == [("com.example.x", [1])]

    conn = sqlite3.connect(paths.registry_db)
    assert schema_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_fresh_file_gets_every_table_and_one_timeout(tmp_path: Path) -> None:
    conn = connect(tmp_path / "sub" / "registry.sqlite3")
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"apps", "grants", "inbox"} <= tables
        assert schema_version(conn) == SCHEMA_VERSION
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    finally:
        conn.close()
    assert (tmp_path / "sub").stat().st_mode & 0o777 == 0o700


def test_a_file_from_a_newer_host_is_left_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "registry.sqlite3"
    raw = sqlite3.connect(db)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5:d}")
    raw.close()
    conn = connect(db)
    try:
        assert schema_version(conn) == SCHEMA_VERSION + 5
        assert conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall() == []
    finally:
        conn.close()


def _open_and_write(db: str, n: int) -> None:
    with GrantStore(Path(db)) as store:
        store.grant(f"com.example.app{n}", "storage")


def test_two_processes_migrating_one_fresh_file_both_succeed(tmp_path: Path) -> None:
    db = tmp_path / "registry.sqlite3"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open_and_write, args=(str(db), n)) for n in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    with GrantStore(db) as store:
        assert store.known_app("com.example.app1") and store.known_app("com.example.app2")

"""The grants table: the effective-grant rule, persistence, and sharing the registry file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from superapp.state.grants import GrantState, GrantStore, is_effective

APP = "com.example.app"


@pytest.mark.parametrize(
    ("capability", "declared", "state", "expected"),
    [
        ("storage", {"storage"}, None, True),
        ("storage", {"storage"}, "revoked", False),
        ("storage", set(), "granted", False),  # a stale row never outranks the manifest
        ("user:readProfile", {"user:readProfile"}, None, False),
        ("user:readProfile", {"user:readProfile"}, "granted", True),
        ("user:readProfile", {"user:readProfile"}, "revoked", False),
        ("user:readProfile", set(), "granted", False),
    ],
    ids=lambda v: str(v),
)
def test_effective_grant_rule(
    capability: str, declared: set[str], state: GrantState | None, expected: bool
) -> None:
    assert is_effective(capability, declared, state) is expected


def test_grant_revoke_and_list(tmp_path: Path) -> None:
    with GrantStore(tmp_path / "registry.sqlite3") as store:
        store.grant(APP, "user:readProfile", source="consent")
        store.revoke(APP, "storage")
        grants = store.list(APP)
        assert [(g.capability, g.state, g.source) for g in grants] == [
            ("storage", "revoked", "user"),
            ("user:readProfile", "granted", "consent"),
        ]
        assert store.list("com.example.other") == []


def test_sync_declared_keeps_a_revocation(tmp_path: Path) -> None:
    with GrantStore(tmp_path / "registry.sqlite3") as store:
        store.revoke(APP, "storage")
        store.sync_declared(APP, {"storage", "files", "user:readProfile"})
        states = {g.capability: (g.state, g.source) for g in store.list(APP)}
        assert states == {"storage": ("revoked", "user"), "files": ("granted", "manifest")}


def test_forget_app_removes_only_that_app(tmp_path: Path) -> None:
    with GrantStore(tmp_path / "registry.sqlite3") as store:
        store.grant(APP, "files")
        store.grant("com.example.other", "files")
        store.forget_app(APP)
        assert store.list(APP) == []
        assert len(store.list("com.example.other")) == 1


def test_revocation_by_another_connection_is_seen_at_once(tmp_path: Path) -> None:
    db = tmp_path / "registry.sqlite3"
    with GrantStore(db) as runtime, GrantStore(db) as cli:
        cli.grant(APP, "user:readProfile")
        assert runtime.effective(APP, "user:readProfile", {"user:readProfile"})
        cli.revoke(APP, "user:readProfile")
        assert not runtime.effective(APP, "user:readProfile", {"user:readProfile"})


def test_shares_the_registry_file_with_an_apps_table(tmp_path: Path) -> None:
    db = tmp_path / "registry.sqlite3"
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("CREATE TABLE IF NOT EXISTS apps (app_id TEXT PRIMARY KEY, version TEXT)")
    other.execute("INSERT INTO apps VALUES (?, ?)", (APP, "1.0"))
    with GrantStore(db) as store:
        store.grant(APP, "files")
        assert store.list(APP)[0].capability == "files"
    assert other.execute("SELECT version FROM apps").fetchone()[0] == "1.0"
    other.close()
    fresh = sqlite3.connect(db)
    assert fresh.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    fresh.close()


def test_unknown_state_in_table_is_a_loud_error(tmp_path: Path) -> None:
    db = tmp_path / "registry.sqlite3"
    with GrantStore(db) as store:
        store.grant(APP, "files")
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("PRAGMA ignore_check_constraints = ON")
    raw.execute("UPDATE grants SET state = 'maybe'")
    raw.close()
    with GrantStore(db) as store, pytest.raises(RuntimeError, match="unknown state"):
        store.state(APP, "files")

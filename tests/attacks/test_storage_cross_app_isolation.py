"""Two apps writing the same keys and file names never see each other's data (DESIGN §6.5).

Through the API each app sees only its own values; on disk there is no plaintext of any
value, key name or file content; ciphertext moved between apps, keys or paths fails to open.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.capabilities import files as files_api
from bridge.capabilities import storage as api
from bridge.context import CallContext
from bridge.errors import InternalError
from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.storage import open_store

ALICE, MALLORY = "com.example.alice", "com.example.mallory"
SECRET_A, SECRET_M = "alice-secret-7f3a9c", "mallory-secret-2b8d1e"
KEY_NAME = "password-vault-entry"


@pytest.fixture
def home(tmp_path: Path) -> Paths:
    root = tmp_path / "home"
    paths = Paths(root / "data", root / "state", root / "config", root / "cache")
    paths.ensure()
    return paths


@pytest.fixture
def two_apps(home: Paths) -> Iterator[tuple[CallContext, CallContext]]:
    audit = AuditLog(home.audit_log)
    a = CallContext(app_id=ALICE, paths=home, audit=audit)
    m = CallContext(app_id=MALLORY, paths=home, audit=audit)
    yield a, m
    a.close()
    m.close()


def _raw_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def _write_same_names(a: CallContext, m: CallContext) -> None:
    for ctx, secret in ((a, SECRET_A), (m, SECRET_M)):
        api.set_(ctx, api.StorageSet(key=KEY_NAME, value={"pw": secret}))
        files_api.write(ctx, files_api.FilesWrite(path="vault/db.txt", data=secret * 10))


def test_apps_with_same_keys_and_file_names_see_only_their_own(
    two_apps: tuple[CallContext, CallContext],
) -> None:
    a, m = two_apps
    _write_same_names(a, m)
    assert api.get(a, api.StorageGet(key=KEY_NAME)) == {"pw": SECRET_A}
    assert api.get(m, api.StorageGet(key=KEY_NAME)) == {"pw": SECRET_M}
    read = files_api.FilesRead(path="vault/db.txt")
    assert files_api.read(a, read)["data"] == SECRET_A * 10  # type: ignore[index]
    assert files_api.read(m, read)["data"] == SECRET_M * 10  # type: ignore[index]
    # Clearing one app leaves the other untouched.
    api.clear(m, api.StorageClear())
    files_api.delete(m, files_api.FilesDelete(path="vault/db.txt"))
    assert api.get(a, api.StorageGet(key=KEY_NAME)) == {"pw": SECRET_A}
    assert files_api.read(a, read)["data"] == SECRET_A * 10  # type: ignore[index]
    assert files_api.list_(m, files_api.FilesList()) == []


def test_disk_holds_no_plaintext_values_keys_or_file_contents(
    home: Paths, two_apps: tuple[CallContext, CallContext]
) -> None:
    a, m = two_apps
    _write_same_names(a, m)
    a.close()
    m.close()  # checkpoint the WAL into the main file too
    raw = _raw_bytes(home.data)
    assert raw, "the stores must exist"
    for needle in (SECRET_A, SECRET_M, KEY_NAME):
        assert needle.encode() not in raw
        assert needle.encode("utf-16-le") not in raw
    # and the folders are owner-only
    for app in (ALICE, MALLORY):
        for folder in (home.app_storage(app), home.app_files(app)):
            assert folder.stat().st_mode & 0o077 == 0
        assert (home.app_storage(app) / "kv.sqlite3").stat().st_mode & 0o077 == 0


def test_value_ciphertext_copied_into_another_app_does_not_open(
    home: Paths, two_apps: tuple[CallContext, CallContext]
) -> None:
    a, m = two_apps
    _write_same_names(a, m)
    a.close()
    m.close()
    # Mallory (with write access to the disk) copies Alice's row over its own.
    src = sqlite3.connect(home.app_storage(ALICE) / "kv.sqlite3")
    row = src.execute("SELECT id, name, value, size FROM kv").fetchone()
    src.close()
    dst = sqlite3.connect(home.app_storage(MALLORY) / "kv.sqlite3")
    with dst:
        dst.execute("DELETE FROM kv")
        dst.execute("INSERT INTO kv VALUES (?, ?, ?, ?)", row)
    dst.close()
    m2 = CallContext(app_id=MALLORY, paths=home, audit=a.audit)
    try:
        with pytest.raises(InternalError, match="unreadable"):
            api.keys(m2, api.StorageKeys())
        assert api.get(m2, api.StorageGet(key=KEY_NAME)) is None  # lookup id is per app too
    finally:
        m2.close()
    assert any(e["event"]["action"] == "storage.unreadable" for e in a.audit.events())


def test_value_swapped_between_keys_of_one_app_does_not_open(home: Paths) -> None:
    with open_store(home, ALICE) as store:
        store.kv.set("public", "hello")
        store.kv.set("private", SECRET_A)
    db = sqlite3.connect(home.app_storage(ALICE) / "kv.sqlite3")
    with db:
        rows = dict(db.execute("SELECT size, value FROM kv").fetchall())
        private_blob = rows[len("private") + len(SECRET_A) + 2]
        db.execute("UPDATE kv SET value = ? WHERE size = ?", (private_blob, len("public") + 7))
    db.close()
    with open_store(home, ALICE) as store, pytest.raises(Exception, match="unreadable"):
        store.kv.get("public")


def test_file_copied_between_apps_or_paths_does_not_open(
    home: Paths, two_apps: tuple[CallContext, CallContext]
) -> None:
    a, m = two_apps
    _write_same_names(a, m)
    files_api.write(m, files_api.FilesWrite(path="inbox.txt", data="harmless"))
    stolen = home.app_files(ALICE) / "vault" / "db.txt"
    shutil.copyfile(stolen, home.app_files(MALLORY) / "inbox.txt")
    with pytest.raises(InternalError, match="unreadable"):
        files_api.read(m, files_api.FilesRead(path="inbox.txt"))
    # the same bytes under another path of the owning app do not open either
    files_api.write(a, files_api.FilesWrite(path="other.txt", data="x"))
    shutil.copyfile(stolen, home.app_files(ALICE) / "other.txt")
    with pytest.raises(InternalError, match="unreadable"):
        files_api.read(a, files_api.FilesRead(path="other.txt"))
    assert api.get(a, api.StorageGet(key=KEY_NAME)) == {"pw": SECRET_A}

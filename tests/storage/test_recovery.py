"""A damaged store is detected at open, moved aside, audited, and replaced by an empty one;
the host never crashes on it. Contention is not damage: it moves nothing."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from superapp.audit import AuditLog
from superapp.core.errors import StorageError
from superapp.core.paths import Paths
from superapp.storage import KeyManager, StorageLimits, open_store

APP = "com.example.fragile"
OTHER = "com.example.other"


def _fill(paths: Paths, app_id: str = APP) -> Path:
    with open_store(paths, app_id) as store:
        for i in range(60):
            store.kv.set(f"k{i}", "v" * 700)
        store.files.write("doc.txt", b"hello")
    db = paths.app_storage(app_id) / "kv.sqlite3"
    assert db.stat().st_size > 8 * 4096
    return db


def _garbage(db: Path) -> None:
    db.write_bytes(os.urandom(db.stat().st_size))


def _truncate(db: Path) -> None:
    with db.open("r+b") as f:
        f.truncate(db.stat().st_size // 2 + 123)


def _zero_header(db: Path) -> None:
    with db.open("r+b") as f:
        f.write(b"\0" * 100)


def _torn_pages(db: Path) -> None:
    with db.open("r+b") as f:
        for page in (2, 3, 5):
            f.seek(page * 4096 + 7)
            f.write(os.urandom(3000))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "random-bytes": _garbage,
    "truncated": _truncate,
    "zeroed-header": _zero_header,
    "torn-pages": _torn_pages,
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_damaged_store_is_quarantined_and_replaced(
    paths: Paths, audit: AuditLog, damage: str
) -> None:
    db = _fill(paths)
    DAMAGE[damage](db)
    original = db.read_bytes()
    with open_store(paths, APP, audit=audit) as store:
        assert store.recovered is not None
        assert store.kv.keys() == []
        store.kv.set("fresh", 1)
        assert store.kv.get("fresh") == 1
        quarantined = paths.app_storage(APP) / store.recovered.quarantine / "kv.sqlite3"
    assert quarantined.read_bytes() == original
    events = [e for e in audit.events() if e["event"]["action"] == "storage.recovered"]
    assert len(events) == 1
    assert events[0]["superapp"]["app_id"] == APP
    assert events[0]["event"]["outcome"] == "failure"
    assert "damaged" in events[0]["event"]["reason"] or "integrity" in events[0]["event"]["reason"]
    # the next open is clean and keeps the fresh data
    with open_store(paths, APP, audit=audit) as store:
        assert store.recovered is None
        assert store.kv.get("fresh") == 1


def test_store_copied_from_another_app_is_refused_and_replaced(
    paths: Paths, audit: AuditLog
) -> None:
    other_db = _fill(paths, OTHER)
    with open_store(paths, APP):
        pass
    shutil.copyfile(other_db, paths.app_storage(APP) / "kv.sqlite3")
    with open_store(paths, APP, audit=audit) as store:
        assert store.recovered is not None
        assert "another app" in store.recovered.reason
        assert store.kv.keys() == []


def test_lost_data_key_quarantines_the_store_and_its_files(paths: Paths, audit: AuditLog) -> None:
    _fill(paths)
    KeyManager(paths).destroy_data_key(APP)
    with open_store(paths, APP, audit=audit) as store:
        assert store.recovered is not None
        assert "data key" in store.recovered.reason
        assert store.kv.keys() == [] and store.files.list() == []
        assert store.usage().used == 0
        moved = paths.app_storage(APP) / store.recovered.quarantine
    assert (moved / "files" / "doc.txt").is_file()


def test_store_file_replaced_by_a_symlink_is_quarantined(paths: Paths, tmp_path: Path) -> None:
    db = _fill(paths)
    db.unlink()
    target = tmp_path / "elsewhere.sqlite3"
    target.write_bytes(b"not mine")
    db.symlink_to(target)
    with open_store(paths, APP) as store:
        assert store.recovered is not None
    assert target.read_bytes() == b"not mine"


def test_locked_store_is_an_error_not_damage(paths: Paths) -> None:
    db = _fill(paths)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError, match=r"locked|busy"):
            open_store(paths, APP, limits=StorageLimits(busy_timeout_ms=50))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not (paths.app_storage(APP) / "quarantine").exists()
    with open_store(paths, APP) as store:
        assert store.recovered is None
        assert len(store.kv.keys()) == 60

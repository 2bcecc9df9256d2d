"""Someone with write access to the disk flips bytes in a stored value or file: the app gets
an "unreadable" error (audited), never altered data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from superapp.core.paths import Paths
from superapp.storage import UnreadableError, open_store

APP = "com.example.bank"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    root = tmp_path_factory.mktemp("tamper")
    paths = Paths(root / "data", root / "state", root / "config", root / "cache")
    paths.ensure()
    with open_store(paths, APP) as store:
        store.kv.set("balance", {"cents": 1_000})
        store.files.write("statement.csv", b"date,amount\n2026-11-21,1000\n")
    return paths


def _value_blob(paths: Paths) -> tuple[bytes, bytes]:
    db = sqlite3.connect(paths.app_storage(APP) / "kv.sqlite3")
    kid, blob = db.execute("SELECT id, value FROM kv").fetchone()
    db.close()
    return bytes(kid), bytes(blob)


def _put_value_blob(paths: Paths, kid: bytes, blob: bytes) -> None:
    db = sqlite3.connect(paths.app_storage(APP) / "kv.sqlite3")
    with db:
        db.execute("UPDATE kv SET value = ? WHERE id = ?", (blob, kid))
    db.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_byte_change_in_a_stored_value_is_refused(
    home: Paths, data: st.DataObject
) -> None:
    kid, good = _value_blob(home)
    pos = data.draw(st.integers(0, len(good) - 1), label="position")
    flip = data.draw(st.integers(1, 255), label="xor")
    bad = good[:pos] + bytes([good[pos] ^ flip]) + good[pos + 1 :]
    _put_value_blob(home, kid, bad)
    try:
        with open_store(home, APP) as store, pytest.raises(UnreadableError):
            store.kv.get("balance")
    finally:
        _put_value_blob(home, kid, good)
    with open_store(home, APP) as store:
        assert store.kv.get("balance") == {"cents": 1_000}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_byte_change_in_a_stored_file_is_refused(
    home: Paths, data: st.DataObject
) -> None:
    path: Path = home.app_files(APP) / "statement.csv"
    good = path.read_bytes()
    pos = data.draw(st.integers(0, len(good) - 1), label="position")
    flip = data.draw(st.integers(1, 255), label="xor")
    path.write_bytes(good[:pos] + bytes([good[pos] ^ flip]) + good[pos + 1 :])
    try:
        with open_store(home, APP) as store, pytest.raises(UnreadableError):
            store.files.read("statement.csv")
    finally:
        path.write_bytes(good)


def test_truncated_file_is_refused(home: Paths) -> None:
    path = home.app_files(APP) / "statement.csv"
    good = path.read_bytes()
    try:
        for cut in (0, 1, 12, len(good) - 1):
            path.write_bytes(good[:cut])
            with open_store(home, APP) as store, pytest.raises(UnreadableError):
                store.files.read("statement.csv")
    finally:
        path.write_bytes(good)

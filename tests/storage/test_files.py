"""files.* behaviour: encodings, folders, atomic replacement, ledger reconciliation."""

from __future__ import annotations

import base64
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.capabilities import files as api
from bridge.context import CallContext
from bridge.errors import InvalidParamsError, PayloadTooLargeError, QuotaExceededError
from superapp.core.paths import Paths
from superapp.storage import InvalidPathError, StorageLimits, check_path, open_store

APP = "com.example.files"


@pytest.fixture
def ctx(make_ctx: Callable[[str], CallContext]) -> CallContext:
    return make_ctx(APP)


def test_text_and_binary_round_trip(ctx: CallContext) -> None:
    api.write(ctx, api.FilesWrite(path="notes/today.md", data="# Hello ✓"))
    assert api.read(ctx, api.FilesRead(path="notes/today.md")) == {
        "data": "# Hello ✓",
        "encoding": "utf8",
        "size": len("# Hello ✓".encode()),
    }
    blob = bytes(range(256))
    b64 = base64.b64encode(blob).decode()
    assert api.write(ctx, api.FilesWrite(path="img.bin", data=b64, encoding="base64")) == {
        "size": 256
    }
    got = api.read(ctx, api.FilesRead(path="img.bin", encoding="base64"))
    assert got is not None and base64.b64decode(got["data"]) == blob
    with pytest.raises(InvalidParamsError, match="not UTF-8"):
        api.read(ctx, api.FilesRead(path="img.bin"))


def test_missing_file_reads_as_null_and_deletes_as_false(ctx: CallContext) -> None:
    assert api.read(ctx, api.FilesRead(path="nope.txt")) is None
    assert api.read(ctx, api.FilesRead(path="no/such/folder.txt")) is None
    assert api.delete(ctx, api.FilesDelete(path="nope.txt")) is False


def test_bad_base64_is_invalid_params_and_writes_nothing(ctx: CallContext, paths: Paths) -> None:
    with pytest.raises(InvalidParamsError, match="base64"):
        api.write(ctx, api.FilesWrite(path="x.bin", data="not base64!", encoding="base64"))
    assert api.list_(ctx, api.FilesList()) == []


def test_list_shows_files_and_folders_and_delete_prunes_empty_folders(
    ctx: CallContext, paths: Paths
) -> None:
    api.write(ctx, api.FilesWrite(path="a.txt", data="1"))
    api.write(ctx, api.FilesWrite(path="docs/x/b.txt", data="22"))
    api.write(ctx, api.FilesWrite(path="docs/c.txt", data="333"))
    assert api.list_(ctx, api.FilesList()) == [
        {"name": "a.txt", "kind": "file", "size": 1},
        {"name": "docs", "kind": "folder", "size": 5},
    ]
    assert api.list_(ctx, api.FilesList(path="docs")) == [
        {"name": "c.txt", "kind": "file", "size": 3},
        {"name": "x", "kind": "folder", "size": 2},
    ]
    assert api.delete(ctx, api.FilesDelete(path="docs/x/b.txt")) is True
    assert not (paths.app_files(APP) / "docs" / "x").exists()
    assert (paths.app_files(APP) / "docs").is_dir()


def test_overwrite_replaces_whole_file_and_leaves_no_temp_files(
    ctx: CallContext, paths: Paths
) -> None:
    api.write(ctx, api.FilesWrite(path="f.txt", data="old" * 1000))
    api.write(ctx, api.FilesWrite(path="f.txt", data="new"))
    assert api.read(ctx, api.FilesRead(path="f.txt"))["data"] == "new"  # type: ignore[index]
    assert sorted(os.listdir(paths.app_files(APP))) == ["f.txt"]


def test_file_where_a_folder_is_and_folder_where_a_file_is_are_refused(ctx: CallContext) -> None:
    api.write(ctx, api.FilesWrite(path="d/f.txt", data="x"))
    with pytest.raises(InvalidParamsError, match="folder"):
        api.write(ctx, api.FilesWrite(path="d", data="x"))
    with pytest.raises(InvalidParamsError):
        api.write(ctx, api.FilesWrite(path="d/f.txt/g.txt", data="x"))
    assert api.read(ctx, api.FilesRead(path="d/f.txt"))["data"] == "x"  # type: ignore[index]


def test_file_size_and_count_limits(make_ctx: Callable[[str], CallContext], paths: Paths) -> None:
    ctx = make_ctx(APP)
    ctx.set_resource(
        "storage", open_store(paths, APP, limits=StorageLimits(max_file_bytes=10, max_files=2))
    )
    with pytest.raises(PayloadTooLargeError):
        api.write(ctx, api.FilesWrite(path="big", data="x" * 11))
    api.write(ctx, api.FilesWrite(path="one", data="x" * 10))
    api.write(ctx, api.FilesWrite(path="two", data="x"))
    with pytest.raises(QuotaExceededError, match="2 files"):
        api.write(ctx, api.FilesWrite(path="three", data="x"))
    api.write(ctx, api.FilesWrite(path="two", data="replaced"))


def test_ledger_is_reconciled_after_a_crash_between_rename_and_commit(paths: Paths) -> None:
    with open_store(paths, APP) as store:
        store.files.write("a/kept.txt", b"12345")
        store.files.write("gone.txt", b"x")
    # what a crash leaves: a renamed file the ledger never heard of, a ledger row whose
    # file is gone, and a temp file that never got renamed
    db = sqlite3.connect(paths.app_storage(APP) / "kv.sqlite3")
    with db:
        db.execute("DELETE FROM files WHERE path = 'a/kept.txt'")
    db.close()
    (paths.app_files(APP) / "gone.txt").unlink()
    (paths.app_files(APP) / "a" / ".~superapp-deadbeef").write_bytes(b"partial")
    with open_store(paths, APP) as store:
        assert [e.name for e in store.files.list()] == ["a"]
        assert store.files.read("a/kept.txt") == b"12345"
        assert store.usage().file_bytes == 5 + len("a/kept.txt")
        assert store.usage().files == 1
    assert sorted(os.listdir(paths.app_files(APP) / "a")) == ["kept.txt"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab./\\:~ \x00é")), max_size=24))
def test_an_accepted_path_never_leaves_the_files_folder(path: str) -> None:
    root = Path("/srv/apps/x/files")
    try:
        segments = check_path(path, StorageLimits())
    except InvalidPathError:
        return
    resolved = os.path.normpath(root.joinpath(*segments))
    assert resolved.startswith(str(root) + "/")
    assert "/".join(segments) == path and ".." not in segments and "\\" not in path

"""The one atomic-write helper: concurrent writers never tear, fail or leave debris."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
from pathlib import Path

import pytest

from superapp.core.files import atomic_write

WRITES = 200
SIZE = 64 * 1024


def _payload(writer: int, n: int) -> bytes:
    # Every write is a different, self-describing block: a torn file is recognisable.
    head = f"{writer}:{n}:".encode()
    return head + bytes([65 + writer]) * (SIZE - len(head))


def _is_whole(data: bytes) -> bool:
    writer, n, _ = data.split(b":", 2)
    return data == _payload(int(writer), int(n))


def _writer(path: str, writer: int, start: threading.Barrier | None = None) -> None:
    if start is not None:
        start.wait()
    for n in range(WRITES):
        atomic_write(Path(path), _payload(writer, n))


def _process_writer(path: str, writer: int) -> None:
    _writer(path, writer)


def _read_while(path: Path, running: threading.Event, seen: list[bytes]) -> None:
    while running.is_set():
        seen.append(path.read_bytes())


def _assert_clean(path: Path, writers: int) -> None:
    final = path.read_bytes()
    assert _is_whole(final)
    # The last write of one of the writers won; nothing else is left in the folder.
    writer, n, _ = final.split(b":", 2)
    assert int(n) == WRITES - 1 and int(writer) in range(writers)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_two_threads_writing_one_file_never_tear_it(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    atomic_write(path, _payload(0, 0))
    start = threading.Barrier(2)
    running = threading.Event()
    running.set()
    seen: list[bytes] = []
    reader = threading.Thread(target=_read_while, args=(path, running, seen))
    writers = [threading.Thread(target=_writer, args=(str(path), w, start)) for w in (0, 1)]
    reader.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    running.clear()
    reader.join()
    assert seen and all(_is_whole(data) for data in seen)
    _assert_clean(path, 2)


def test_two_processes_writing_one_file_never_tear_it(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    atomic_write(path, _payload(0, 0))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_writer, args=(str(path), w)) for w in (0, 1)]
    for p in procs:
        p.start()
    seen = []
    while any(p.is_alive() for p in procs):
        seen.append(path.read_bytes())
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert all(_is_whole(data) for data in seen)
    _assert_clean(path, 2)


def test_two_threads_writing_two_files_lose_no_write(tmp_path: Path) -> None:
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    start = threading.Barrier(2)
    threads = [
        threading.Thread(target=_writer, args=(str(p), w, start)) for w, p in enumerate(paths)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w, p in enumerate(paths):
        assert p.read_bytes() == _payload(w, WRITES - 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]


def test_the_mode_is_applied_and_a_failed_write_leaves_no_debris(tmp_path: Path) -> None:
    path = tmp_path / "key"
    atomic_write(path, b"old", mode=0o640)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640

    # A real failure at the rename: the target is a non-empty folder.
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "inside").write_bytes(b"kept")
    with pytest.raises(OSError):
        atomic_write(folder, b"new")
    assert (folder / "inside").read_bytes() == b"kept"
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "key"]

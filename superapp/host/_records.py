"""Run records on disk (``<state>/run/apps/<app_id>.json``): written by the host that runs
the app, read by ``superapp stop``/``ps``/``list`` in other processes, both through
``RunRecord``.

A host writes an app's record from two threads (its launch and the monitor loop), so every
write goes through its own temporary file (a unique name) and an atomic rename: a reader sees
one whole record or the previous one, and two writers never truncate each other's file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from superapp.confine._peer import proc_status
from superapp.core.paths import Paths
from superapp.protocol import RunRecord

__all__ = [
    "read_record",
    "record_path",
    "remove_record",
    "running_record",
    "running_records",
    "write_record",
]


def record_path(paths: Paths, app_id: str) -> Path:
    return paths.run / "apps" / f"{app_id}.json"


def write_record(paths: Paths, record: RunRecord) -> None:
    """Replace ``record``'s file atomically (safe from several threads at once)."""
    path = record_path(paths, record.app_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{record.app_id}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(record.model_dump_json())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def remove_record(paths: Paths, app_id: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        record_path(paths, app_id).unlink()


def read_record(paths: Paths, app_id: str) -> RunRecord | None:
    try:
        return RunRecord.model_validate_json(record_path(paths, app_id).read_bytes())
    except (FileNotFoundError, ValidationError):
        return None


def running_record(paths: Paths, app_id: str) -> RunRecord | None:
    """The run record of ``app_id`` if its runtime process is alive (or it is discarded, with
    no process, by a host that is alive), else ``None``."""
    record = read_record(paths, app_id)
    if record is None:
        return None
    pid = record.runtime_pid
    if pid <= 0 and record.state == "discarded":  # ADR 0014: the host keeps it
        pid = record.host_pid
    if pid <= 0:  # kill(0 or -1, 0) would ask about a group
        return None
    return record if _alive(pid) else None


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process: not gone, and not a zombie.

    ``kill(pid, 0)`` succeeds on a zombie, and a runtime whose host was killed is reparented to
    PID 1, which may reap it only seconds later (seen on this machine): until then it would
    still look running to ``superapp ps``/``stop`` and to a test that waits for the app's end.
    """
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, ValueError, OverflowError):
        return False
    except PermissionError:
        pass
    try:
        state = proc_status(pid).get("State", "")[:1]
    except FileNotFoundError:
        return False  # reaped between the two looks
    except OSError:
        return True  # no /proc to ask: kill's answer stands
    return state not in ("Z", "X")


def running_records(paths: Paths) -> list[RunRecord]:
    """Run records of every app whose runtime is alive, sorted by app id."""
    folder = paths.run / "apps"
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        record = running_record(paths, path.stem)
        if record is not None:
            out.append(record)
    return out

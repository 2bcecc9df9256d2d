"""Moving an app's storage into a pooled runtime's slot and back (docs/pool.md, issue 16).

A pooled runtime confined itself to its slot folder before it knew its app (the generic plan),
and nothing widens that. So at claim the host brings the app's data to the runtime instead:
``<data>/apps/<id>/{storage,files}`` (and ``webview``, the engine profile of a ``persistent``
app) are *renamed* into ``<slot>/app/`` — one ``rename`` each,
never a copy (a copy could lose or fork data). The slot and the app folder must be on one file
system; if not, the launch is cold (``same_file_system``).

Order, so that no step can lose data:

1. ``move_in`` writes the record ``<run>/slots/<slot>.moved`` (fsynced) *before* the first
   rename; the record is the host's, outside the slot, so the runtime cannot forge it.
2. When the runtime has exited, ``move_back`` renames each folder home *before* the app's run
   lock is released (a next launch of the app finds its data home), then removes the record.
3. A host that starts (``recover``) finds records a crash left (the host killed with its
   runtime), takes each app's run lock (skipping apps another host is running) and moves the
   folders back, audited ``slot.recovered``.

Never overwritten, never deleted: if a folder is both in the slot and at home (a crash between
two steps, or a user who restored a backup meanwhile), the slot's copy is kept beside it as
``<name>.from-slot-<token>`` and the conflict is audited (``slot.conflict``). A slot whose data
could not all be moved home is kept (``keep_slot``), never removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
from pathlib import Path

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.storage._moved import MOVED_SUBDIRS, RECORD_SUFFIX, read_record

__all__ = ["move_back", "move_in", "record_of", "recover", "same_file_system"]

_log = logging.getLogger("superapp.host")


def record_of(slot: Path) -> Path:
    return slot.parent / f"{slot.name}{RECORD_SUFFIX}"


def same_file_system(paths: Paths, app_id: str, slots: Path) -> bool:
    """Can ``app_id``'s folders be renamed into a slot under ``slots``?"""
    try:
        slots.mkdir(parents=True, exist_ok=True, mode=0o700)  # made by the first spawn anyway
        return os.stat(paths.app_dir(app_id)).st_dev == os.stat(slots).st_dev
    except OSError:
        return False


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_record(slot: Path, app_id: str, home: Path) -> None:
    record = record_of(slot)
    tmp = record.with_name(record.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"app_id": app_id, "slot": str(slot), "home": str(home)}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, record)
    _fsync_dir(record.parent)


def move_in(
    paths: Paths, app_id: str, slot: Path, subdirs: tuple[str, ...] = ("storage", "files")
) -> Path:
    """Rename the app's ``subdirs`` (of ``MOVED_SUBDIRS``) into ``<slot>/app`` and return that
    folder. A folder the app does not have yet is made at home first (so it is moved back too).

    Raises:
        OSError: a rename failed (what was moved is moved back first; the caller launches
            cold). ``EXDEV`` when the slot is on another file system.
    """
    home = paths.app_dir(app_id)
    target = slot / "app"
    target.mkdir(mode=0o700)
    _write_record(slot, app_id, home)
    moved: list[str] = []
    try:
        for sub in subdirs:
            if sub not in MOVED_SUBDIRS:
                raise OSError(f"not a folder the host moves: {sub}")
            (home / sub).mkdir(mode=0o700, exist_ok=True)
            os.rename(home / sub, target / sub)
            moved.append(sub)
    except OSError:
        for sub in moved:
            os.rename(target / sub, home / sub)
        with contextlib.suppress(OSError):
            target.rmdir()
        with contextlib.suppress(OSError):
            record_of(slot).unlink()
        raise
    _fsync_dir(home)
    _fsync_dir(target)
    return target


def move_back(paths: Paths, app_id: str, slot: Path, audit: AuditLog) -> bool:
    """Move what ``move_in`` put in ``slot`` home; True if nothing of the app's is left in
    the slot (it may be removed), False if something could not be moved (the slot and its
    record stay, for the next host start)."""
    record = record_of(slot)
    if not record.exists():
        return True
    home = paths.app_dir(app_id)
    source = slot / "app"
    clean = True
    for sub in MOVED_SUBDIRS:
        src, dst = source / sub, home / sub
        if not os.path.lexists(src):
            continue
        try:
            if os.path.lexists(dst):
                kept = home / f"{sub}.from-slot-{secrets.token_hex(4)}"
                os.rename(src, kept)
                audit.record(
                    "slot.conflict", app_id=app_id, outcome="failure",
                    reason=f"its {sub} folder was both in a runtime's slot and at home; "
                    f"both kept (the slot's as {kept.name})", kept=kept.name,
                )  # fmt: skip
            else:
                os.rename(src, dst)
        except OSError as err:
            clean = False
            _log.error("cannot move %s's %s home from %s: %s", app_id, sub, slot, err)
            audit.record(
                "slot.move_back_failed", app_id=app_id, outcome="failure",
                reason=f"its {sub} folder stays in the runtime's slot until the next host "
                f"start: {err.strerror}", slot=slot.name,
            )  # fmt: skip
    _fsync_dir(home)
    if clean:
        with contextlib.suppress(OSError):
            record.unlink()
        _fsync_dir(record.parent)
    return clean


def recover(paths: Paths, audit: AuditLog) -> list[str]:
    """Move home what a crashed host left in slots; returns the app ids moved back. An app
    whose run lock another host holds is running there and is left alone."""
    slots = paths.run / "slots"
    try:
        records = sorted(slots.glob(f"*{RECORD_SUFFIX}"))
    except OSError:
        return []
    done: list[str] = []
    for record in records:
        found = read_record(record, paths)
        if found is None:
            continue  # not the host's, or another data root's: nothing is moved on its word
        app_id, slot = found
        lock_path = paths.app_dir(app_id) / ".run.lock"
        try:
            paths.app_dir(app_id).mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = open(lock_path, "a+b")  # noqa: SIM115 (closed below)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # running under another host: its host moves it back
            if move_back(paths, app_id, slot, audit):
                audit.record(
                    "slot.recovered", app_id=app_id, outcome="success",
                    reason="its storage was left in a runtime's slot by a host that ended; "
                    "moved home", slot=slot.name,
                )  # fmt: skip
                with contextlib.suppress(OSError):
                    import shutil

                    shutil.rmtree(slot)
                done.append(app_id)
        finally:
            lock.close()
    return done

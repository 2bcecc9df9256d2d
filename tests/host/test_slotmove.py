"""Moving an app's storage into a pooled runtime's slot and back (``superapp.host._slotmove``):
renames only, recorded outside the slot, never overwriting or deleting app data."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.host._pool import remove_slot
from superapp.host._slotmove import move_back, move_in, record_of, recover
from superapp.storage._moved import moved_home, paths_for

APP = "com.example.moved"
OTHER = "com.example.other"


def _paths(tmp_path: Path) -> Paths:
    paths = Paths.from_env({"SUPERAPP_HOME": str(tmp_path / "home")})
    paths.ensure()
    (paths.app_storage(APP)).mkdir(parents=True)
    (paths.app_storage(APP) / "kv.sqlite3").write_bytes(b"mine")
    return paths


def _slot(paths: Paths, name: str = "00000000000000aa") -> Path:
    slot = paths.run / "slots" / name
    slot.mkdir(parents=True)
    return slot


def _actions(paths: Paths) -> list[str]:
    lines = paths.audit_log.read_text().splitlines() if paths.audit_log.exists() else []
    return [json.loads(line)["event"]["action"] for line in lines]


def test_move_in_renames_and_readers_follow_the_slot(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    slot = _slot(paths)
    inode = (paths.app_storage(APP) / "kv.sqlite3").stat().st_ino
    home = move_in(paths, APP, slot)
    assert home == slot / "app"
    assert not paths.app_storage(APP).exists() and not paths.app_files(APP).exists()
    assert (home / "storage" / "kv.sqlite3").stat().st_ino == inode  # renamed, not copied
    assert (home / "files").is_dir()  # made at home first, so it goes back too
    assert moved_home(paths, APP) == home and moved_home(paths, OTHER) is None
    assert paths_for(paths, APP).app_storage(APP) == home / "storage"
    assert paths_for(paths, APP).app_storage(OTHER) == paths.app_storage(OTHER)
    remove_slot(slot)  # a slot holding app data is never removed
    assert (home / "storage" / "kv.sqlite3").read_bytes() == b"mine"
    assert move_back(paths, APP, slot, AuditLog(paths.audit_log))
    assert (paths.app_storage(APP) / "kv.sqlite3").stat().st_ino == inode
    assert not record_of(slot).exists() and paths_for(paths, APP) == paths


def test_both_copies_are_kept_on_a_conflict(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    slot = _slot(paths)
    move_in(paths, APP, slot)
    paths.app_storage(APP).mkdir()
    (paths.app_storage(APP) / "kv.sqlite3").write_bytes(b"restored meanwhile")
    assert move_back(paths, APP, slot, AuditLog(paths.audit_log))
    assert (paths.app_storage(APP) / "kv.sqlite3").read_bytes() == b"restored meanwhile"
    [kept] = paths.app_dir(APP).glob("storage.from-slot-*")
    assert (kept / "kv.sqlite3").read_bytes() == b"mine"
    assert "slot.conflict" in _actions(paths)


def test_a_starting_host_moves_home_what_a_crashed_host_left(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    slot = _slot(paths)
    move_in(paths, APP, slot)  # ...and the host was killed
    assert recover(paths, AuditLog(paths.audit_log)) == [APP]
    assert (paths.app_storage(APP) / "kv.sqlite3").read_bytes() == b"mine"
    assert not slot.exists() and not record_of(slot).exists()
    assert "slot.recovered" in _actions(paths)


def test_recovery_leaves_an_app_another_host_runs(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    slot = _slot(paths)
    move_in(paths, APP, slot)
    with open(paths.app_dir(APP) / ".run.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        assert recover(paths, AuditLog(paths.audit_log)) == []
    assert (slot / "app" / "storage" / "kv.sqlite3").read_bytes() == b"mine"


def test_a_record_written_in_a_slot_moves_nothing(tmp_path: Path) -> None:
    """A runtime may write its slot, not the record beside it: a forged record inside a slot
    (or one naming another folder) is ignored."""
    paths = _paths(tmp_path)
    slot = _slot(paths)
    forged = slot / "x.moved"
    home = str(paths.app_dir(OTHER))
    forged.write_text(json.dumps({"app_id": OTHER, "slot": str(slot), "home": home}))
    outside = paths.run / "slots" / "y.moved"
    elsewhere = str(tmp_path / "elsewhere")
    outside.write_text(json.dumps({"app_id": OTHER, "slot": elsewhere, "home": home}))
    assert recover(paths, AuditLog(paths.audit_log)) == []
    assert moved_home(paths, OTHER) is None


def test_developer_mode_data_never_follows_the_installed_apps_move(tmp_path: Path) -> None:
    """``superapp dev`` keeps the same id's data apart (``Paths.for_dev``) but shares the run
    folder: the installed app's moved storage is not the dev copy's, and a dev host's start
    leaves it alone."""
    paths = _paths(tmp_path)
    slot = _slot(paths)
    move_in(paths, APP, slot)
    dev = paths.for_dev()
    assert moved_home(dev, APP) is None and paths_for(dev, APP) == dev
    assert recover(dev, AuditLog(paths.audit_log)) == []
    assert (slot / "app" / "storage" / "kv.sqlite3").read_bytes() == b"mine"


def test_uninstall_after_a_crash_deletes_the_data_left_in_the_slot(tmp_path: Path) -> None:
    """The user's uninstall deletes the app's data wherever it is; the record then moves
    nothing home and the next host start removes the emptied slot."""
    from superapp.storage import destroy_app_data

    paths = _paths(tmp_path)
    slot = _slot(paths)
    move_in(paths, APP, slot)  # ...and the host was killed
    destroy_app_data(paths, APP)
    assert not (slot / "app" / "storage").exists()
    recover(paths, AuditLog(paths.audit_log))
    assert not paths.app_storage(APP).exists() and not slot.exists()


def _profile(paths: Paths) -> Path:
    cookies = paths.app_webview(APP) / "Default" / "Cookies"
    cookies.parent.mkdir(parents=True)
    cookies.write_bytes(b"profile")
    return cookies


def test_a_persistent_apps_engine_profile_is_moved_and_readers_follow_it(tmp_path: Path) -> None:
    """``engine_storage = "persistent"``: ``webview`` is renamed into the slot with the rest
    (docs/pool.md); usage and clearing read it there, and it goes home with the rest."""
    from superapp.storage import engine_bytes

    paths = _paths(tmp_path)
    inode = _profile(paths).stat().st_ino
    slot = _slot(paths)
    home = move_in(paths, APP, slot, ("storage", "files", "webview"))
    assert not paths.app_webview(APP).exists()
    assert (home / "webview" / "Default" / "Cookies").stat().st_ino == inode  # not a copy
    assert paths_for(paths, APP).app_webview(APP) == home / "webview"
    assert engine_bytes(paths_for(paths, APP), APP) > 0 and engine_bytes(paths, APP) == 0
    assert move_back(paths, APP, slot, AuditLog(paths.audit_log))
    assert (paths.app_webview(APP) / "Default" / "Cookies").stat().st_ino == inode


def test_a_memory_app_gets_no_engine_folder_and_an_unknown_folder_is_refused(
    tmp_path: Path,
) -> None:
    paths = _paths(tmp_path)
    slot = _slot(paths)
    home = move_in(paths, APP, slot)  # storage and files only (a ``memory`` app)
    assert not (home / "webview").exists() and not paths.app_webview(APP).exists()
    assert paths_for(paths, APP).app_webview(APP) == paths.app_webview(APP)
    assert move_back(paths, APP, slot, AuditLog(paths.audit_log))
    other = _slot(paths, "00000000000000bb")
    try:
        move_in(paths, APP, other, ("storage", "bundle"))
    except OSError as err:
        assert "bundle" in str(err)
    else:
        raise AssertionError("moved a folder the host does not move")
    # Nothing is left moved: storage went back, the record is gone.
    assert (paths.app_storage(APP) / "kv.sqlite3").read_bytes() == b"mine"
    assert not record_of(other).exists() and not (paths.app_dir(APP) / "bundle").exists()


def test_engine_profile_conflict_keeps_both_and_recovery_moves_it_home(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    _profile(paths)
    slot = _slot(paths)
    move_in(paths, APP, slot, ("webview",))
    paths.app_webview(APP).mkdir()  # e.g. a backup restored while the app ran
    (paths.app_webview(APP) / "restored").write_bytes(b"restored")
    assert recover(paths, AuditLog(paths.audit_log)) == [APP]  # the host had crashed
    assert (paths.app_webview(APP) / "restored").read_bytes() == b"restored"
    [kept] = paths.app_dir(APP).glob("webview.from-slot-*")
    assert (kept / "Default" / "Cookies").read_bytes() == b"profile"
    assert {"slot.conflict", "slot.recovered"} <= set(_actions(paths))
    assert not slot.exists()

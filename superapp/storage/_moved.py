"""Where a running pooled app's storage is while its runtime has it (docs/pool.md, issue 16).

A pooled runtime is locked down to its slot folder before it knows its app, so at claim the
host *moves* the app's ``storage`` and ``files`` folders into ``<slot>/app/`` (one ``rename``
each) and moves them back when the runtime exits (``superapp.host._slotmove``). While they are
moved, the host writes a record next to the slot, in ``<state>/run/slots/<slot>.moved`` — outside
the slot, so the runtime (which may write its slot) can neither forge nor alter it.

This module only *reads* those records: ``paths_for`` gives a ``Paths`` whose ``app_storage``
and ``app_files`` point into the slot while the app's data is there, so host-side readers
(``superapp storage``, usage in the launcher, clearing) read and write the data where it is,
never an empty folder made in its place. The runtime uses the same view (``MovedPaths``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from superapp.core.paths import Paths, is_valid_app_id

__all__ = ["MOVED_SUBDIRS", "RECORD_SUFFIX", "MovedPaths", "moved_home", "paths_for", "read_record"]

#: The app's sub-folders a pooled runtime gets in its slot: what its store opens, and the
#: engine profile of a ``persistent`` app (``webview``, opened as a named profile at bind,
#: ``engine._prewarm.persistent_profile``). The runtime writes no ``cache``; its temporaries go
#: to the slot's ``tmp``. ``move_in`` moves the ones the app needs; the others stay home.
MOVED_SUBDIRS: tuple[str, ...] = ("storage", "files", "webview")
#: ``<state>/run/slots/<slot name><RECORD_SUFFIX>``: the host's note of what it moved.
RECORD_SUFFIX = ".moved"
_MAX_RECORD = 64 * 1024


@dataclass(frozen=True)
class MovedPaths(Paths):
    """``Paths`` with one app's ``storage``, ``files`` and ``webview`` in ``moved_root``
    (``<slot>/app``)."""

    moved_id: str = ""
    moved_root: Path = Path()

    def app_storage(self, app_id: str) -> Path:
        if app_id == self.moved_id:
            return self.moved_root / "storage"
        return super().app_storage(app_id)

    def app_files(self, app_id: str) -> Path:
        if app_id == self.moved_id:
            return self.moved_root / "files"
        return super().app_files(app_id)

    def app_webview(self, app_id: str) -> Path:
        # Only a ``persistent`` app's profile is moved; a ``memory`` app has none on disk.
        if app_id == self.moved_id and (self.moved_root / "webview").is_dir():
            return self.moved_root / "webview"
        return super().app_webview(app_id)


def read_record(record: Path, paths: Paths) -> tuple[str, Path] | None:
    """The app id and the slot of one record, or None if it is not a record the host wrote
    for an app of ``paths`` (developer mode's data root shares the run folder: its records
    name another home, ``Paths.for_dev``)."""
    try:
        with open(record, "rb") as f:
            doc = json.loads(f.read(_MAX_RECORD))
        app_id, slot, home = str(doc["app_id"]), Path(str(doc["slot"])), str(doc["home"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not is_valid_app_id(app_id) or slot.parent != record.parent:
        return None
    if home != str(paths.app_dir(app_id)):
        return None
    return app_id, slot


def moved_home(paths: Paths, app_id: str) -> Path | None:
    """``<slot>/app`` while ``app_id``'s storage is moved into a runtime's slot, else None."""
    slots = paths.run / "slots"
    try:
        records = sorted(slots.glob(f"*{RECORD_SUFFIX}"))
    except OSError:
        return None
    for record in records:
        found = read_record(record, paths)
        if found is not None and found[0] == app_id and (found[1] / "app").is_dir():
            return found[1] / "app"
    return None


def paths_for(paths: Paths, app_id: str) -> Paths:
    """``paths``, or a view of it with ``app_id``'s storage where a running runtime has it.
    (A runtime's own view is already one; under its lockdown it could not read the records.)"""
    if isinstance(paths, MovedPaths):
        return paths
    home = moved_home(paths, app_id)
    if home is None:
        return paths
    return MovedPaths(
        paths.data, paths.state, paths.config, paths.cache, moved_id=app_id, moved_root=home
    )

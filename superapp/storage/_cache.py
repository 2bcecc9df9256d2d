"""Per-app cache folders, and their eviction when the data volume runs low on space.

Eviction order, run by the host (monitor tick or ``superapp storage --evict-cache``):

1. read the free space of the volume holding ``<data>/apps``; if it is at least
   ``cache_min_free_bytes``, stop: nothing is evicted;
2. list every regular file under every ``<data>/apps/<app_id>/cache/`` — only there: the walk
   starts at each ``cache`` folder, never follows a link (a ``cache`` that is itself a link is
   skipped), so ``storage/`` and ``files/`` cannot be reached;
3. delete them least recently modified first until ``cache_target_free_bytes`` is free (or
   nothing is left), then remove cache sub-folders left empty;
4. record one ``storage.cache_evicted`` audit event per app that lost files.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from superapp.core.paths import Paths, is_valid_app_id
from superapp.core.ports import AuditSink
from superapp.storage._limits import StorageLimits

__all__ = ["EvictionReport", "app_cache_dir", "evict_caches"]


@dataclass(frozen=True)
class EvictionReport:
    free_before: int
    free_after: int
    files_removed: int
    bytes_removed: int
    per_app: dict[str, int] = field(default_factory=dict)


def app_cache_dir(paths: Paths, app_id: str) -> Path:
    """The app's evictable cache folder (created, owner-only)."""
    folder = paths.app_cache(app_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _disk_free(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def evict_caches(
    paths: Paths,
    limits: StorageLimits | None = None,
    *,
    audit: AuditSink | None = None,
    free_bytes: Callable[[Path], int] = _disk_free,
) -> EvictionReport:
    """Evict cache files if free space is below the threshold (procedure above).

    ``free_bytes`` reads the volume's free space; the host passes nothing (the real disk).
    """
    limits = limits or StorageLimits()
    apps = paths.apps
    if not apps.is_dir():
        return EvictionReport(0, 0, 0, 0)
    free = free_bytes(apps)
    if free >= limits.cache_min_free_bytes:
        return EvictionReport(free, free, 0, 0)
    candidates: list[tuple[float, str, int, Path]] = []
    for app_dir in apps.iterdir():
        cache = app_dir / "cache"
        if not is_valid_app_id(app_dir.name) or app_dir.is_symlink() or cache.is_symlink():
            continue
        if not cache.is_dir():
            continue
        for top, _dirs, names, dir_fd in os.fwalk(cache, follow_symlinks=False):
            for name in names:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
                    candidates.append((st.st_mtime, app_dir.name, st.st_size, Path(top) / name))
    candidates.sort()
    removed = removed_bytes = 0
    per_app: dict[str, int] = {}
    for _mtime, app_id, size, path in candidates:
        if free_bytes(apps) >= limits.cache_target_free_bytes:
            break
        try:
            path.unlink()  # unlink never follows a link: a planted link loses only itself
        except FileNotFoundError:
            continue
        removed += 1
        removed_bytes += size
        per_app[app_id] = per_app.get(app_id, 0) + size
    for app_id in per_app:
        _prune_empty(paths.app_cache(app_id))
        if audit is not None:
            audit.record(
                "storage.cache_evicted",
                app_id=app_id,
                outcome="success",
                reason="disk space low: cache files evicted",
                bytes=per_app[app_id],
            )
    return EvictionReport(free, free_bytes(apps), removed, removed_bytes, per_app)


def _prune_empty(cache: Path) -> None:
    for top, dirs, _names, dir_fd in os.fwalk(cache, topdown=False, follow_symlinks=False):
        del top
        for name in dirs:
            try:
                os.rmdir(name, dir_fd=dir_fd)
            except OSError:
                continue

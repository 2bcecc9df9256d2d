"""The engine's own web storage of an app: how much of it is on disk, and evicting it.

An app's engine profile lives in ``<data>/apps/<app_id>/webview/`` (with the XDG cache and
data folders the runtime points into it). By default (manifest ``superapp.engine_storage`` =
``memory``) the profile is off the record and this folder holds only the engine's shader
caches; with ``persistent`` it also holds the page's localStorage, IndexedDB, cookies, Cache
Storage and service workers, in the engine's own plain-text formats. The host's monitor
measures the folder against the ``[monitor.engine_storage]`` budget (the engine has no quota
setting an embedder can lower: it offers a page a share of the whole disk).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from superapp.core.paths import Paths
from superapp.core.ports import AuditSink

__all__ = ["engine_bytes", "engine_quota", "evict_engine_storage", "folder_bytes"]


def folder_bytes(root: Path) -> int:
    """Bytes of every regular file under ``root`` (allocated blocks where the platform
    reports them, so sparse or pre-allocated files count as the disk they take); links are
    not followed. A missing folder is 0; files vanishing mid-walk are skipped."""
    total = 0
    stack = [str(root)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(entry.path)
                    elif stat.S_ISREG(st.st_mode):
                        blocks = getattr(st, "st_blocks", None)
                        total += max(st.st_size, blocks * 512) if blocks is not None else st.st_size
        except OSError:
            continue
    return total


def engine_bytes(paths: Paths, app_id: str) -> int:
    """Bytes the app's engine profile takes on disk."""
    return folder_bytes(paths.app_webview(app_id))


def engine_quota(paths: Paths) -> int:
    """The engine-storage budget of the host policy (its default if the policy is unreadable:
    this is for showing usage; the host itself refuses to start on a bad policy)."""
    from superapp.core.errors import PolicyError
    from superapp.policy import DiskBudget, load_policy

    try:
        return int(load_policy(paths).monitor.engine_storage.limit)
    except PolicyError:
        return int(DiskBudget().limit)


def evict_engine_storage(paths: Paths, app_id: str, *, audit: AuditSink, reason: str) -> int:
    """Delete the app's engine profile (the app must not be running); bytes freed.

    Only ``webview/`` goes: the app's encrypted store, files and bundle are untouched.
    """
    folder = paths.app_webview(app_id)
    before = folder_bytes(folder)
    if folder.is_symlink():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    audit.record(
        "storage.engine_evicted",
        app_id=app_id,
        outcome="success",
        reason=reason,
        bytes=before,
    )
    return before

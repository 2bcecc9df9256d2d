"""``superapp storage``: per-app storage usage, clearing, master-key rotation, cache eviction.

superapp storage APP_ID [--json]        bytes used of the quota, keys, files, and the
                                        engine profile's bytes on disk of their budget
superapp storage APP_ID --clear         delete every value, file and cached file of the app
superapp storage [--json]               host summary: where the master key is, every app
superapp storage --rotate-master-key    new master key; every data key re-wrapped with it
superapp storage --evict-cache          evict cache files if the disk is low on space
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from superapp.audit import AuditLog
from superapp.core.errors import NotInstalledError, UsageError
from superapp.core.paths import Paths, is_valid_app_id
from superapp.state.registry import get_app
from superapp.storage import (
    KeyManager,
    StorageLimits,
    Usage,
    clear_app_data,
    evict_caches,
    read_usage,
)
from superapp.storage._moved import moved_home

__all__ = ["cmd_storage", "register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "storage",
        help="show or clear a mini-app's storage; rotate the master key",
        description="With APP_ID: the app's storage usage against its quota, or --clear it. "
        "Without: where the master key is kept and every app's usage. Values and files are "
        "encrypted with a per-app key, wrapped by a master key kept in the OS keyring, or in "
        "an owner-only key file under the data folder when no keyring is available.",
    )
    parser.add_argument("app_id", metavar="APP_ID", nargs="?")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--dev", action="store_true",
        help="the developer-mode copy ('superapp dev'), kept apart from the installed app",
    )  # fmt: skip
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--clear",
        action="store_true",
        help="delete all of APP_ID's stored values, files, cache and engine storage "
        "(its key stays)",
    )
    action.add_argument(
        "--rotate-master-key",
        action="store_true",
        help="replace the master key and re-wrap every app's data key with it",
    )
    action.add_argument(
        "--evict-cache",
        action="store_true",
        help="delete cached files, oldest first, if free disk space is below the threshold",
    )
    parser.set_defaults(func=cmd_storage)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _usage_line(app_id: str, usage: Usage) -> str:
    return (
        f"{app_id}: {_human(usage.used)} of {_human(usage.quota)} used "
        f"({usage.keys} keys, {usage.files} files); "
        f"engine storage {_human(usage.engine_bytes)} on disk "
        f"(limit {_human(usage.engine_quota)})"
    )


def _require_app(paths: Paths, app_id: str) -> None:
    if not is_valid_app_id(app_id):
        raise UsageError(f"not a valid app id: {app_id!r} (expected e.g. com.example.notes)")
    try:
        get_app(paths, app_id)
    except NotInstalledError:
        if not paths.app_dir(app_id).is_dir():  # side-loaded apps have data but no row
            raise


def _emit(args: argparse.Namespace, doc: dict[str, Any], text: str) -> int:
    print(json.dumps(doc, sort_keys=True) if args.json else text)
    return 0


def cmd_storage(args: argparse.Namespace) -> int:
    paths = Paths.from_env()
    if args.dev:
        paths = paths.for_dev()
    limits = StorageLimits()
    keys = KeyManager(paths, backend=limits.key_backend)
    if args.app_id is None:
        if args.clear:
            raise UsageError("--clear needs an APP_ID")
        if args.rotate_master_key:
            report = keys.rotate_master()
            AuditLog(paths.audit_log).record(
                "storage.master_key_rotated",
                outcome="success",
                reason="the user rotated the storage master key",
                backend=report.backend,
                rewrapped=report.rewrapped,
            )
            return _emit(
                args,
                {
                    "new_master_id": report.new_id,
                    "old_master_ids": list(report.old_ids),
                    "backend": report.backend,
                    "rewrapped": report.rewrapped,
                },
                f"new master key {report.new_id} in the {report.backend}; "
                f"{report.rewrapped} data keys re-wrapped; "
                f"{len(report.old_ids)} old master key(s) destroyed",
            )
        if args.evict_cache:
            ev = evict_caches(paths, limits, audit=AuditLog(paths.audit_log))
            return _emit(
                args,
                {
                    "free_before": ev.free_before,
                    "free_after": ev.free_after,
                    "files_removed": ev.files_removed,
                    "bytes_removed": ev.bytes_removed,
                },
                f"free space {_human(ev.free_before)} -> {_human(ev.free_after)}; "
                f"evicted {ev.files_removed} cache files ({_human(ev.bytes_removed)})",
            )
        return _summary(args, paths, limits, keys)
    if args.rotate_master_key or args.evict_cache:
        raise UsageError("--rotate-master-key and --evict-cache apply to the host, not to an app")
    _require_app(paths, args.app_id)
    if args.clear:
        before = clear_app_data(paths, args.app_id, limits=limits)
        return _emit(
            args,
            {"app_id": args.app_id, "cleared": before.to_json()},
            f"cleared {args.app_id}: removed {before.keys} keys and {before.files} files "
            f"({_human(before.used)}) and {_human(before.engine_bytes)} of engine storage",
        )
    usage = read_usage(paths, args.app_id, limits=limits)
    return _emit(
        args,
        {"app_id": args.app_id, **usage.to_json()},
        _usage_line(args.app_id, usage),
    )


def _summary(
    args: argparse.Namespace, paths: Paths, limits: StorageLimits, keys: KeyManager
) -> int:
    info = keys.describe()
    apps: dict[str, dict[str, int]] = {}
    if paths.apps.is_dir():
        for folder in sorted(paths.apps.iterdir()):
            # An app with only engine storage (no storage.* use) is listed too.
            # So is one running in a pooled runtime (its folders are in the slot, ``_moved``).
            if is_valid_app_id(folder.name) and (
                any((folder / sub).is_dir() for sub in ("storage", "webview"))
                or moved_home(paths, folder.name) is not None
            ):
                apps[folder.name] = read_usage(paths, folder.name, limits=limits).to_json()
    if info["backend"] is None:
        where = f"no master key yet (the first one will go to the {info['preferred']})"
    else:
        where = f"master key {info['master_id']} in the {info['backend']}: {info['location']}"
    lines = [where] + [
        _usage_line(
            app_id,
            Usage(**{k: v for k, v in u.items() if k != "available"}),
        )
        for app_id, u in apps.items()
    ]
    return _emit(args, {"master_key": info, "apps": apps}, "\n".join(lines))

"""``superapp store``: install and update mini-apps from the ``[fleet]`` repository.

::

    superapp store list                 apps in the repository, installed and available versions
    superapp store install APP_ID       the version released to this machine
    superapp store update [--yes]       every installed app; new capabilities are asked first
    superapp store rollback APP_ID      one step back to the kept previous version (data stays)
"""

from __future__ import annotations

import argparse
import sys

from superapp.audit import AuditLog, safe_text
from superapp.core.paths import Paths
from superapp.fleet import CapabilityDiff, Outcome, Store
from superapp.host import describe
from superapp.policy import load_policy

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    store = sub.add_parser("store", help="install and update mini-apps from the repository")
    cmds = store.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    cmds.add_parser("list", help="apps in the repository").set_defaults(func=_list)
    p = cmds.add_parser("install", help="install an app from the repository")
    p.add_argument("app_id")
    p.add_argument("--yes", action="store_true", help="accept new capabilities without asking")
    p.set_defaults(func=_install)
    p = cmds.add_parser("update", help="update installed apps")
    p.add_argument("--yes", action="store_true", help="accept new capabilities without asking")
    p.set_defaults(func=_update)
    p = cmds.add_parser("rollback", help="go back one version (the kept one)")
    p.add_argument("app_id")
    p.set_defaults(func=_rollback)


def _store() -> Store:
    paths = Paths.from_env()
    policy = load_policy(paths)
    return Store(paths, policy, AuditLog(paths.audit_log, limits=policy.audit_limits()))


def diff_text(diff: CapabilityDiff) -> str:
    lines = [
        f"{safe_text(diff.name)} {safe_text(diff.from_version)} → "
        f"{safe_text(diff.to_version)} asks to:"
    ]
    lines += [f"  + {describe(c)} ({c})" for c in diff.added]
    lines += [f"  - no longer {describe(c)} ({c})" for c in diff.removed]
    return "\n".join(lines)


def _ask(yes: bool) -> object:
    def consent(diff: CapabilityDiff) -> bool:
        print(diff_text(diff))
        if yes:
            return True
        if not sys.stdin.isatty():
            print("(not asked: no terminal; run 'superapp store update' in one, or --yes)")
            return False
        return input("Allow this update? [y/N] ").strip().lower() in ("y", "yes")

    return consent


def _print(o: Outcome) -> None:
    print(f"{o.app_id}: {o.status}: {safe_text(o.message)}")


def _list(args: argparse.Namespace) -> int:
    store = _store()
    with store.client.session() as session:
        rows = store.catalog(session)
    for app_id, name, have, want in rows:
        have_s = "-" if have is None else str(have)
        want_s = "-" if want is None else str(want)
        print(f"{app_id}\t{safe_text(name)}\tinstalled {have_s}\tavailable {want_s}")
    return 0


def _install(args: argparse.Namespace) -> int:
    outcome = _store().install(args.app_id, _ask(args.yes))  # type: ignore[arg-type]
    _print(outcome)
    return 0 if outcome.status in ("installed", "updated", "unchanged") else 1


def _update(args: argparse.Namespace) -> int:
    outcomes = _store().update_all(_ask(args.yes))  # type: ignore[arg-type]
    for o in outcomes:
        _print(o)
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def _rollback(args: argparse.Namespace) -> int:
    _print(_store().rollback(args.app_id))
    return 0

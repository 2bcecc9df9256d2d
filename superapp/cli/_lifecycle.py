"""``superapp hide|suspend|resume APP_ID``: move a running app to the background and back.

superapp hide APP_ID               hide its window, as minimising it would (the page gets
                                   ``hide``; the policy's ``hidden_suspend_after_s`` applies)
superapp suspend APP_ID            hide it and suspend it now: page frozen, processes stopped
superapp suspend APP_ID --discard  and discard it: its processes end (all their memory freed);
                                   resume relaunches it at the same page (ADR 0014)
superapp resume APP_ID             bring it back: continued, page restored, window shown

The host that runs the app does it (its local control socket, as ``superapp stop``) and
audits it; ``superapp ps`` shows each app's state.
"""

from __future__ import annotations

import argparse

from superapp.audit import safe_text
from superapp.cli._apps import _app_id, _paths

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("hide", help="hide a running mini-app's window (it may be suspended)")
    p.add_argument("app_id", type=_app_id, metavar="APP_ID")
    p.set_defaults(func=cmd_hide)

    p = sub.add_parser("suspend", help="suspend a running mini-app now (no CPU until resumed)")
    p.add_argument("app_id", type=_app_id, metavar="APP_ID")
    p.add_argument(
        "--discard",
        action="store_true",
        help="also end its processes (relaunched at the same page on resume)",
    )
    p.set_defaults(func=cmd_suspend)

    p = sub.add_parser("resume", help="bring a hidden, suspended or discarded mini-app back")
    p.add_argument("app_id", type=_app_id, metavar="APP_ID")
    p.set_defaults(func=cmd_resume)


def _do(app_id: str, *ops: str) -> int:
    from superapp.host import request_lifecycle

    paths = _paths()
    state = ""
    for op in ops:
        state = request_lifecycle(paths, app_id, op)
    print(f"superapp: {app_id} {safe_text(state)}")
    return 0


def cmd_hide(args: argparse.Namespace) -> int:
    return _do(args.app_id, "hide")


def cmd_suspend(args: argparse.Namespace) -> int:
    return _do(args.app_id, "suspend", *(("discard",) if args.discard else ()))


def cmd_resume(args: argparse.Namespace) -> int:
    return _do(args.app_id, "resume")

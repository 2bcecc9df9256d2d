"""The ``superapp`` command line: a stable contract, documented in ``--help`` and the README.

Each command family lives in its own module with a ``register(subparsers)`` function; the
commands return an exit code. Errors are mapped to one-line messages here, at one boundary:
``SuperappError`` → ``superapp: error: <message>`` with its exit code; argparse's own errors
exit 2 with a one-line message too. Exit code 0 only on success.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from superapp import __version__
from superapp.core.errors import SuperappError

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def _check_value(self, action: argparse.Action, value: object) -> None:
        # A mistyped command or choice gets the nearest valid one, not the whole list.
        choices = action.choices
        if choices is None or value in choices:
            return
        names = [str(c) for c in choices]
        command = isinstance(action, argparse._SubParsersAction)
        close = difflib.get_close_matches(str(value), names, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f" (one of: {', '.join(names)})"
        what = "command" if command else "choice"
        # No "argument COMMAND:" prefix for a command: the word says what it is.
        raise argparse.ArgumentError(None if command else action, f"unknown {what} {value!r}{hint}")


#: Which module registers each command, so a command line that names one builds (and
#: imports) only that module's parsers: ``superapp run`` starts its runtime process after the
#: CLI's set-up, and importing every command family (bundles, fleet, TUF, analysis) cost
#: ~0.25 s of CPU there (issue 16, bench/RESULTS.md). tests/test_cli_contract.py checks this
#: table against what each module registers.
COMMAND_MODULES: dict[str, str] = {
    **dict.fromkeys(("dev", "launcher", "list", "ps", "run", "stop"), "_apps"),
    "audit": "_audit",
    **dict.fromkeys(
        ("install", "keygen", "pack", "remove", "samples", "trust", "verify"), "_bundles"
    ),
    **dict.fromkeys(("grants", "profile", "revoke-grant"), "_grants"),
    **dict.fromkeys(("revocation", "revocations"), "_revocation"),
    "scan": "_scan",
    "storage": "_storage",
    **dict.fromkeys(("hide", "resume", "suspend"), "_lifecycle"),
    "repo": "_repo",
    "store": "_store",
    **dict.fromkeys(("completion", "new", "validate"), "_devtools"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (``command``: a known command's name) only the parsers of
    the module that owns it; ``--help`` and an unknown command get every one."""
    import importlib

    from superapp.cli import _apps

    parser = _Parser(
        prog="superapp",
        description=(
            "Desktop host for signed, sandboxed mini-apps. With no command, opens the launcher."
        ),
        epilog="State lives under platformdirs locations; SUPERAPP_HOME=<dir> relocates all of it.",
    )
    parser.add_argument("--version", action="version", version=f"superapp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _apps.register_launcher_options(parser)
    owner = COMMAND_MODULES.get(command or "")
    if owner is not None:
        modules = [importlib.import_module(f"superapp.cli.{owner}")]
    else:
        modules = _command_modules()
    for module in modules:
        module.register(sub)
    return parser


def _command_modules() -> list[ModuleType]:
    # A static list (no plugin discovery): every command the CLI has is visible here.
    from superapp.cli import (
        _apps,
        _audit,
        _bundles,
        _devtools,
        _grants,
        _lifecycle,
        _repo,
        _revocation,
        _scan,
        _storage,
        _store,
    )

    return [
        _apps,
        _audit,
        _bundles,
        _grants,
        _revocation,
        _scan,
        _storage,
        _lifecycle,
        _repo,
        _store,
        _devtools,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    # Everything the host creates (registry, audit log, app folders, SQLite journals and
    # locks, files written by libraries we do not control) is for this user only. Explicit
    # modes at each creation stay as well; this covers the ones no code of ours names.
    os.umask(0o077)
    words = list(sys.argv[1:] if argv is None else argv)
    # The top-level parser has no option that takes a value: a first word that is not an
    # option is the command.
    parser = build_parser(words[0] if words and not words[0].startswith("-") else None)
    args = parser.parse_args(words)
    func = getattr(args, "func", None)
    if func is None:
        from superapp.cli import _apps

        func = _apps.cmd_launcher
    try:
        return int(func(args))
    except SuperappError as err:
        print(f"superapp: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130

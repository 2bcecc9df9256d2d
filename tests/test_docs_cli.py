"""docs/cli.md keeps up with the command line: every command and every ``dev`` flag the parser
has is named there (a command added without a line in the reference fails here)."""

from __future__ import annotations

import argparse
from pathlib import Path

from superapp.cli import build_parser

DOC = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_command_is_in_the_cli_reference() -> None:
    missing = [name for name in _commands() if f"`superapp {name}" not in DOC]
    assert missing == []


def test_every_dev_flag_is_in_the_cli_reference() -> None:
    dev = _commands()["dev"]
    flags = [s for a in dev._actions for s in a.option_strings if s.startswith("--")]
    assert {"--devtools", "--grant", "--deny", "--fresh", "--allow-local", "--no-reload"} <= set(
        flags
    )
    missing = [f for f in flags if f != "--help" and f"`{f}" not in DOC]
    assert missing == []
    for link in ("(testing.md)", "(lifecycle.md)", "(store.md)"):
        assert link in DOC

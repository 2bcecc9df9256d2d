"""Commands that run mini-apps: the launcher (default), run, stop, list, dev."""

from __future__ import annotations

import argparse

__all__ = ["cmd_launcher", "register", "register_launcher_options"]


def register_launcher_options(parser: argparse.ArgumentParser) -> None:
    pass


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pass


def cmd_launcher(args: argparse.Namespace) -> int:
    raise NotImplementedError

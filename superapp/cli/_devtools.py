"""Commands for mini-app developers: ``new``, ``validate`` and ``completion``.

One registration point for the three (each lives in its own module), so the CLI's static
command list grows by one line.
"""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from superapp.cli import _completion, _new, _validate

    _new.register(sub)
    _validate.register(sub)
    _completion.register(sub)

"""How the host starts a mini-app runtime, from a Python install or from a frozen build.

From a Python install the runtime is ``python -m superapp.runtime``. A frozen build (the
PyInstaller desktop package, ``packaging/build.sh``) has no ``-m``: its one executable is both
the ``superapp`` command and the runtime, told apart by a marker first argument that the
command line never accepts, so a runtime started from the package runs the same bundled code
as the host that started it (never a Python found on ``PATH``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["RUNTIME_MARKER", "frozen_main", "runtime_command"]

# Not a valid ``superapp`` command or option, so it can never mean anything else.
RUNTIME_MARKER = "--superapp-runtime"


def _is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def runtime_command() -> list[str]:
    """The argv prefix that starts a runtime process; the caller appends its options."""
    if _is_frozen():
        return [sys.executable, RUNTIME_MARKER]
    return [sys.executable, "-m", "superapp.runtime"]


def frozen_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the frozen executable: a runtime if marked, else the ``superapp`` CLI."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == [RUNTIME_MARKER]:
        from superapp.runtime._main import main as runtime_main

        return runtime_main(args[1:])
    from superapp.cli import main as cli_main

    return cli_main(args)

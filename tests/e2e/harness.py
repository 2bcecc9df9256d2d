"""The end-to-end harness lives in :mod:`superapp.testing` (shared with bench/); this module keeps
the names tests import, plus ``REPO``, the repository the tests run from."""

import subprocess
import sys
from pathlib import Path

from superapp.testing._harness import (
    DEFAULT_TIMEOUT,
    HostProcess,
    Xvfb,
    connect,
    free_port,
    wait_gone,
    with_group_gone,
)

REPO = Path(__file__).resolve().parents[2]


def superapp_cli(env: dict[str, str], *args: str) -> str:
    """Run ``superapp ARGS`` against the host of ``env`` (as a user in a terminal would); it
    must succeed. Returns its stdout, stripped."""
    out = subprocess.run(
        [sys.executable, "-m", "superapp", *args], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, (out.stdout, out.stderr)
    return out.stdout.strip()


__all__ = [
    "DEFAULT_TIMEOUT",
    "REPO",
    "HostProcess",
    "Xvfb",
    "connect",
    "free_port",
    "superapp_cli",
    "wait_gone",
    "with_group_gone",
]

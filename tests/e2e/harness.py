"""The end-to-end harness lives in :mod:`superapp.testing` (shared with bench/); this module keeps
the names tests import, plus ``REPO``, the repository the tests run from."""

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

__all__ = [
    "DEFAULT_TIMEOUT",
    "REPO",
    "HostProcess",
    "Xvfb",
    "connect",
    "free_port",
    "wait_gone",
    "with_group_gone",
]

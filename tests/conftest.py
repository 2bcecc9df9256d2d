"""Fixtures shared by every test: an isolated SUPERAPP_HOME per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests._selection import excludes_e2e, make_windowless

REPO = Path(__file__).resolve().parents[1]

# The shipped pytest plugin (superapp_home, miniapp, screenshots and logs on failure), then the
# suite's own real-window fixtures built on it (tests/e2e and tests/attacks). The plugin is
# named as its pytest11 entry point is, so where superapp is installed it registers once.
pytest_plugins = ["superapp.testing.plugin", "tests.e2e.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    if excludes_e2e(config.getoption("markexpr") or ""):
        make_windowless(os.environ)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that needs a window (the ``display`` fixture, directly or not) is an e2e test."""
    for item in items:
        if "display" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)

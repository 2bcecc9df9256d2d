"""Fixtures shared by every test: an isolated SUPERAPP_HOME per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from superapp.core.paths import Paths
from tests._selection import excludes_e2e, make_windowless

REPO = Path(__file__).resolve().parents[1]

# Real-window fixtures (Xvfb, Playwright over CDP, host processes) for tests/e2e and tests/attacks.
pytest_plugins = ["tests.e2e.fixtures"]


@pytest.fixture
def superapp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Paths]:
    """Point all host state at a fresh temporary folder (DESIGN §2)."""
    home = tmp_path / "home"
    monkeypatch.setenv("SUPERAPP_HOME", str(home))
    paths = Paths.from_env()
    paths.ensure()
    yield paths


def pytest_configure(config: pytest.Config) -> None:
    if excludes_e2e(config.getoption("markexpr") or ""):
        make_windowless(os.environ)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that needs a window (the ``display`` fixture, directly or not) is an e2e test."""
    for item in items:
        if "display" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)

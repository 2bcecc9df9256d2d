"""Fixtures shared by every test: an isolated SUPERAPP_HOME per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from superapp.paths import Paths

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

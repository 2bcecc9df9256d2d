from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.testing import TestBridge, open_test_bridge


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SUPERAPP_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def make_bridge(home: Path) -> Iterator[Callable[..., TestBridge]]:
    opened: list[TestBridge] = []

    def make(app_id: str = "com.example.test", **kwargs: Any) -> TestBridge:
        bridge = open_test_bridge(home, app_id, **kwargs)
        opened.append(bridge)
        return bridge

    yield make
    for bridge in opened:
        bridge.close()

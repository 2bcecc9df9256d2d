"""Fixtures for the network tests: recording servers and a CallContext in a temp home."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.context import CallContext
from superapp.audit import AuditLog
from superapp.core.paths import Paths
from tests.helpers.fixtures import recorder, recorder_factory

__all__ = ["audit", "home", "make_ctx", "recorder", "recorder_factory"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    monkeypatch.setenv("SUPERAPP_HOME", str(tmp_path / "home"))
    return Paths.from_env()


@pytest.fixture
def audit(home: Paths) -> AuditLog:
    return AuditLog(home.audit_log)


@pytest.fixture
def make_ctx(home: Paths, audit: AuditLog) -> Callable[..., CallContext]:
    def make(
        app_id: str = "com.example.netapp", allowed_hosts: tuple[str, ...] = ()
    ) -> CallContext:
        return CallContext(
            app_id=app_id,
            paths=home,
            audit=audit,
            declared=frozenset({"net:request"}),
            allowed_hosts=allowed_hosts,
        )

    return make

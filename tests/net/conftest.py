"""Fixtures for the network tests: recording servers and a CallContext in a temp home."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bridge.context import CallContext
from superapp.audit import AuditLog
from superapp.paths import Paths
from tests.helpers.recorder import Recorder


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A started recording server on 127.0.0.1 (HTTP + WebSocket)."""
    with Recorder() as rec:
        yield rec


@pytest.fixture
def recorder_factory() -> Iterator[Callable[..., Recorder]]:
    """Start more recorders (``recorder_factory(ssl_context=...)``); all closed at the end."""
    started: list[Recorder] = []

    def make(**kwargs: object) -> Recorder:
        rec = Recorder(**kwargs).start()  # type: ignore[arg-type]
        started.append(rec)
        return rec

    yield make
    for rec in started:
        rec.close()


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

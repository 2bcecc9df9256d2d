"""Fixtures for storage tests: a private SUPERAPP_HOME, its audit log, handler contexts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bridge.context import CallContext
from superapp.audit import AuditLog
from superapp.core.paths import Paths


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    home = tmp_path / "home"
    monkeypatch.setenv("SUPERAPP_HOME", str(home))
    p = Paths.from_env()
    p.ensure()
    return p


@pytest.fixture
def audit(paths: Paths) -> AuditLog:
    return AuditLog(paths.audit_log)


@pytest.fixture
def make_ctx(paths: Paths, audit: AuditLog) -> Iterator[Callable[[str], CallContext]]:
    made: list[CallContext] = []

    def make(app_id: str) -> CallContext:
        ctx = CallContext(
            app_id=app_id, paths=paths, audit=audit, declared=frozenset({"storage", "files"})
        )
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()

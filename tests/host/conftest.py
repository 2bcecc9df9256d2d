"""Host tests without a window: the real supervisor with the windowless fake runtime
(``superapp.testing._fake_runtime``) on the other end of the real control socket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.host import StopTimeouts, Supervisor
from superapp.testing._fake_runtime import fake_runtime_argv

APP = "com.example.fake"

MakeSupervisor = Callable[..., Supervisor]


@pytest.fixture
def make_supervisor(superapp_home: Paths) -> Iterator[MakeSupervisor]:
    """A supervisor whose runtimes run ``steps``; every app it started is stopped after."""
    made: list[Supervisor] = []

    def make(steps: list[dict[str, Any]], *, options: dict[str, Any] | None = None,
             **kwargs: Any) -> Supervisor:  # fmt: skip
        kwargs.setdefault("timeouts", StopTimeouts(close_s=5.0, term_s=2.0))
        supervisor = Supervisor(
            superapp_home,
            kwargs.pop("audit", None) or AuditLog(superapp_home.audit_log),
            runtime_argv=fake_runtime_argv(steps, **(options or {})),
            **kwargs,
        )
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        supervisor.shutdown()

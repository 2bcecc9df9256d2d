"""Helpers for testing code that sits on the bridge, without a window.

``open_test_bridge`` builds a real ``Dispatcher`` for one app under a ``SUPERAPP_HOME``
folder: real grants store (SQLite), real audit log, a ``DummyUi`` for the window seam, and
a ``FixedAnswerBroker`` for consent. ``ManualClock`` holds time still for rate-limit tests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.context import CallContext
from bridge.dispatcher import Dispatcher
from bridge.hostui import UI_RESOURCE, DummyUi
from bridge.limits import DEFAULT_LIMITS, BridgeLimits
from bridge.ports import ConsentBroker
from superapp.audit import AuditLog
from superapp.core.consent import FixedAnswerBroker
from superapp.core.paths import Paths

__all__ = ["ManualClock", "TestBridge", "open_test_bridge", "request"]


class ManualClock:
    """Monotonic seconds that move only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass
class TestBridge:
    __test__ = False  # not a pytest test class

    dispatcher: Dispatcher
    ctx: CallContext
    ui: DummyUi
    broker: ConsentBroker
    paths: Paths

    def call(self, api: str, params: Mapping[str, Any] | None = None, id: int = 1) -> Any:
        """Dispatch one request and return the decoded reply."""
        return json.loads(self.dispatcher.dispatch(request(api, params, id)))

    def audit_events(self, action: str | None = None) -> list[Mapping[str, Any]]:
        audit = self.ctx.audit
        if not isinstance(audit, AuditLog):  # open_test_bridge always gives the real log
            raise TypeError("this TestBridge has no readable audit log")
        return [e for e in audit.events() if action is None or e["event"]["action"] == action]

    def close(self) -> None:
        self.dispatcher.close()


def request(api: str, params: Mapping[str, Any] | None = None, id: int = 1) -> str:
    return json.dumps({"id": id, "api": api, "params": dict(params or {})})


def open_test_bridge(
    home: Path,
    app_id: str = "com.example.test",
    *,
    declared: Iterable[str] = (),
    reasons: Mapping[str, str] | None = None,
    broker: ConsentBroker | None = None,
    limits: BridgeLimits = DEFAULT_LIMITS,
    clock: ManualClock | None = None,
) -> TestBridge:
    paths = Paths.from_env({"SUPERAPP_HOME": str(home)})
    paths.ensure()
    ctx = CallContext(
        app_id,
        paths,
        AuditLog(paths.audit_log),
        declared=frozenset(declared),
        reasons=dict(reasons or {}),
        name="Test app",
        version="1.0.0",
    )
    ui = DummyUi()
    ctx.set_resource(UI_RESOURCE, ui)
    broker = broker if broker is not None else FixedAnswerBroker.deny()
    dispatcher = Dispatcher.open(ctx, broker, limits, clock=clock or time.monotonic)
    return TestBridge(dispatcher, ctx, ui, broker, paths)

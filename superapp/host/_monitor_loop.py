"""The host's monitor loop: budgets enforced every round, cache eviction, ``ps`` samples.

One thread per host. A round that raises is logged and audited and the loop goes on: before
this guard one exception ended budget enforcement for the rest of the host's life.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from superapp.audit import AuditLog
from superapp.core.errors import SuperappError
from superapp.core.paths import Paths
from superapp.monitor import BudgetDecision, Monitor
from superapp.policy import HostPolicy

__all__ = ["EVICTION_PERIOD_S", "MonitorLoop"]

_log = logging.getLogger("superapp.host")

#: How often a host checks free disk space for cache eviction.
EVICTION_PERIOD_S = 60.0


class MonitorLoop:
    def __init__(
        self,
        paths: Paths,
        audit: AuditLog,
        monitor: Monitor,
        *,
        on_decision: Callable[[BudgetDecision], None],
        after_round: Callable[[], None],
        policy: Callable[[], HostPolicy],
    ) -> None:
        self._paths = paths
        self._audit = audit
        self.monitor = monitor
        self._on_decision = on_decision
        #: Runs after each round (the supervisor refreshes its run records there).
        self._after_round = after_round
        self._policy = policy
        self._last_eviction = 0.0
        self._last_error: str | None = None
        self.errors = 0

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.monitor.policy.sample_interval_s):
            self.guarded_round()

    def guarded_round(self) -> None:
        """One round; an exception is logged and audited (once per distinct error, so a
        failure that repeats every second cannot flood the log) and the loop keeps going."""
        try:
            self.round()
        except Exception as err:
            self.errors += 1
            _log.exception("monitor round failed")
            text = f"{type(err).__name__}: {err}"[:300]
            if text != self._last_error:
                self._last_error = text
                self._audit.record(
                    "monitor.error", outcome="failure", reason=text, action_taken="continued"
                )
        else:
            self._last_error = None

    def round(self) -> None:
        for decision in self.monitor.tick():
            self._on_decision(decision)
        if time.monotonic() - self._last_eviction >= EVICTION_PERIOD_S:
            self._last_eviction = time.monotonic()
            self._evict_caches()
        self._after_round()

    def _evict_caches(self) -> None:
        """Free disk by evicting apps' cache folders when space runs low (the policy's
        threshold); never touches storage/ or files/."""
        from superapp.storage import StorageLimits, evict_caches

        try:
            limits = self._policy().limits("storage", StorageLimits)
            evict_caches(self._paths, limits, audit=self._audit)
        except (SuperappError, OSError):
            _log.exception("cache eviction failed")

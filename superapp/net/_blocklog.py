"""Audit of blocked requests that a hostile page cannot use to flood the log (issue 5, item 5).

Every refusal is counted; what reaches the audit log is bounded:

1. The first refusal of each distinct (kind, rule, URL) in a window is written as one
   ``net.blocked`` event (app id, url, kind, rule, reason, via).
2. At most ``max_events_per_window`` such events per app per window; the rest are counted.
3. When a window ends (checked on the next refusal, or by :meth:`BlockLog.flush`), one
   ``net.blocked.suppressed`` event says how many refusals were not written individually.

Counters (total and per rule) are kept for the monitor's metrics. The clock is injectable so
tests step time instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from superapp.audit import AuditLog
from superapp.net._policy import Decision

__all__ = ["BlockLog", "BlockLogLimits"]


@dataclass(frozen=True)
class BlockLogLimits:
    #: Length of a rate-limiting window.
    window_s: float = 10.0
    #: Individual ``net.blocked`` events written per app per window.
    max_events_per_window: int = 50
    #: Longest URL written into an event.
    max_url: int = 2048


class BlockLog:
    """Writes (and rate-limits) the ``net.blocked`` events of one app. Thread-safe."""

    def __init__(
        self,
        audit: AuditLog,
        app_id: str,
        *,
        limits: BlockLogLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._audit = audit
        self._app_id = app_id
        self._limits = limits or BlockLogLimits()
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = clock()
        self._seen: set[tuple[str, str, str]] = set()
        self._written = 0
        self._suppressed = 0
        self.total = 0
        self.by_rule: Counter[str] = Counter()

    def blocked(self, url: str, decision: Decision, *, kind: str, via: str = "engine") -> bool:
        """Count one refusal; return True if it was written as its own audit event."""
        shown = url[: self._limits.max_url]
        key = (kind, decision.rule, shown)
        with self._lock:
            self._roll()
            self.total += 1
            self.by_rule[decision.rule] += 1
            if key in self._seen or self._written >= self._limits.max_events_per_window:
                self._suppressed += 1
                return False
            self._seen.add(key)
            self._written += 1
        self._audit.record(
            "net.blocked",
            app_id=self._app_id,
            outcome="failure",
            reason=decision.reason,
            url=shown,
            kind=kind,
            rule=decision.rule,
            via=via,
        )
        return True

    def flush(self) -> None:
        """Write the pending suppressed count now (at app exit)."""
        with self._lock:
            self._roll(force=True)

    def metrics(self) -> Mapping[str, int]:
        with self._lock:
            return {"net.blocked": self.total} | {
                f"net.blocked.{rule}": n for rule, n in self.by_rule.items()
            }

    def _roll(self, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._window_start < self._limits.window_s:
            return
        if self._suppressed:
            self._audit.record(
                "net.blocked.suppressed",
                app_id=self._app_id,
                outcome="failure",
                reason=f"{self._suppressed} more blocked requests not logged one by one",
                count=self._suppressed,
                window_s=self._limits.window_s,
            )
        self._window_start = now
        self._seen.clear()
        self._written = 0
        self._suppressed = 0

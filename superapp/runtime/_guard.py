"""Decisions about what leaves the engine, and their audit trail (DESIGN §6.3, §6.8).

Every enforcement point in the runtime (request interceptor, navigation hook, popup hook,
download hook, scheme handler) reports here. The decision itself comes from one pure-Python
policy shared with ``net.request``; this module adds the bookkeeping: a count of every
block (metrics) and an audit entry per block, with repeats of the same (rule, url) folded so a
page looping on a blocked URL cannot flood the log.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["GuardConfig", "RequestGuard"]


@dataclass(frozen=True)
class GuardConfig:
    #: The same (action, rule, url, fields) is audited at most once per window; later ones
    #: are counted.
    repeat_window_s: float = 10.0
    #: Upper bound on distinct entries remembered for folding.
    max_remembered: int = 4096


AuditSink = Callable[..., object]


class RequestGuard:
    def __init__(
        self,
        audit: AuditSink,
        config: GuardConfig = GuardConfig(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._audit = audit
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str, str], float] = {}
        self.counters: Counter[str] = Counter()

    def blocked(self, action: str, url: str, rule: str, reason: str, **fields: object) -> None:
        """Record one refused request/navigation/popup/download."""
        extra = ",".join(f"{k}={v}" for k, v in sorted(fields.items()))
        key = (action, rule, url[:2048] + "|" + extra)
        now = self._clock()
        with self._lock:
            self.counters[action] += 1
            last = self._seen.get(key)
            if last is not None and now - last < self._config.repeat_window_s:
                self.counters[action + ".folded"] += 1
                return
            if len(self._seen) >= self._config.max_remembered:
                self._seen.clear()
            self._seen[key] = now
        self._audit(action, outcome="failure", reason=reason, url=url[:2048], rule=rule, **fields)

    def allowed(self, action: str) -> None:
        with self._lock:
            self.counters[action] += 1

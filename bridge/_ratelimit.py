"""Token buckets keyed by an arbitrary hashable key, safe to share between threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from bridge.limits import RateLimit

__all__ = ["TokenBuckets"]


class TokenBuckets:
    """One token bucket per key; ``take(key, limit)`` spends a token or says no.

    A bucket starts full. Time comes from ``clock`` (monotonic seconds) so tests can hold
    time still; the host uses ``time.monotonic``.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (tokens, last refill time)
        self._buckets: dict[Hashable, tuple[float, float]] = {}

    def take(self, key: Hashable, limit: RateLimit) -> bool:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (limit.burst, now))
            tokens = min(limit.burst, tokens + max(0.0, now - last) * limit.per_second)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return True
            self._buckets[key] = (tokens, now)
            return False

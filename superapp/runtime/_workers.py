"""The bridge's worker pool, sized so that calls waiting for the user cannot starve the rest.

A call that needs consent blocks its worker until the user answers the host's prompt (up to
``CONSENT_TIMEOUT_S``). With a plain pool of four workers, four such calls (one prompt per
capability, several waiters each) held every worker and every other call of the app queued
behind them for minutes. Here a worker that waits for the user *parks* (``parked()``): it
gives its slot back, so ``size`` calls can always run while up to ``max_parked`` others wait.

Qt-free, so it is tested without a window (tests/runtime/test_workers.py).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["WorkerPool", "parked"]

_current = threading.local()


class WorkerPool:
    def __init__(self, size: int = 4, max_parked: int = 32, name: str = "bridge") -> None:
        self.size = size
        self.max_parked = max_parked
        # Threads: the running slots plus the parked ones; a slot is a semaphore permit.
        self._executor = ThreadPoolExecutor(max_workers=size + max_parked, thread_name_prefix=name)
        self._running = threading.BoundedSemaphore(size)
        self._parking = threading.BoundedSemaphore(max_parked)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self._executor.submit(self._run, fn, args)

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        self._running.acquire()
        _current.pool = self
        try:
            return fn(*args)
        finally:
            _current.pool = None
            self._running.release()

    @contextlib.contextmanager
    def _park(self) -> Iterator[None]:
        if not self._parking.acquire(blocking=False):
            yield  # every parking place taken: wait holding the slot (the old behaviour)
            return
        self._running.release()
        try:
            yield
        finally:
            self._running.acquire()
            self._parking.release()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def parked() -> Iterator[None]:
    """Wrap a wait for the user: on a pool worker its slot is lent out meanwhile; anywhere
    else it does nothing."""
    pool: WorkerPool | None = getattr(_current, "pool", None)
    if pool is None:
        yield
        return
    with pool._park():
        yield

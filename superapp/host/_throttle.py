"""The monitor's throttle step, made real (issue 16): a stop/continue duty cycle.

A throttled app's process tree runs ``share`` of every ``period_s`` and is stopped for the
rest (``_signals``), so whatever it does — burn a core, flood the bridge, write storage — it
gets at most that share of the time. Chosen over cgroup CPU limits because it needs no
delegated cgroup (cgroups are v1 here and v2 elsewhere, often not delegated to the user) and
slows every kind of work, not only CPU. One thread per host drives every throttled app;
it runs only while some app is throttled.
"""

from __future__ import annotations

import threading

from superapp.host._signals import TREE_LOCK, continue_tree, stop_tree

__all__ = ["Throttler"]


class Throttler:
    def __init__(self, share: float, period_s: float) -> None:
        self.share = share
        self.period_s = period_s
        self._apps: dict[str, int] = {}
        self._wake = threading.Condition(TREE_LOCK)
        self._thread: threading.Thread | None = None

    def throttled(self, app_id: str) -> bool:
        with TREE_LOCK:
            return app_id in self._apps

    def add(self, app_id: str, pid: int) -> None:
        with self._wake:
            self._apps[app_id] = pid
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="throttle", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def remove(self, app_id: str, *, resume: bool = True) -> bool:
        """Stop throttling ``app_id``; its tree is left running unless ``resume`` is False
        (the caller stops it for good: it is being suspended). True if it was throttled."""
        with self._wake:
            pid = self._apps.pop(app_id, None)
            if pid is not None and resume:
                continue_tree(pid)
            return pid is not None

    def _run(self) -> None:
        run_s = self.period_s * self.share
        rest_s = self.period_s - run_s
        with self._wake:
            while self._apps:
                for pid in self._apps.values():
                    continue_tree(pid)
                # The lock is released while waiting, so add/remove never wait a period.
                self._wake.wait(run_s)
                for pid in self._apps.values():
                    stop_tree(pid)
                self._wake.wait(rest_s)
            self._thread = None

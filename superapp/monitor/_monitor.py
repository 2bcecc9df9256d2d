"""``Monitor``: samples every watched app and evaluates its budgets, for the supervisor."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from superapp.monitor._budgets import BudgetEvaluator
from superapp.monitor._sampler import ProcessTreeSampler
from superapp.monitor._samples import AppSample, BudgetDecision, RuntimeCounters
from superapp.monitor._types import Clock
from superapp.policy import MonitorPolicy
from superapp.storage._engine import folder_bytes

__all__ = ["Monitor"]

#: With no report for this many report periods, the runtime saw no change: rates are zero.
_STALE_REPORTS = 2.5


@dataclass
class _Watched:
    pid: int
    name: str
    since: float
    heartbeats: bool = True
    heartbeat: float | None = None
    counters: RuntimeCounters = field(default_factory=RuntimeCounters)
    reported_at: float | None = None
    rates: tuple[float, float, float] = (0.0, 0.0, 0.0)
    #: Audit events counted by the host (cumulative), and the count and time at the last sample.
    audit_events: int = 0
    audit_sampled: tuple[int, float] | None = None
    engine_dir: Path | None = None


def _delta(new: int, old: int) -> int:
    return new - old if new >= old else new  # a reset (runtime restarted) counts from zero


class Monitor:
    """Samples every watched app and evaluates its budgets. Thread-safe."""

    def __init__(
        self,
        policy: MonitorPolicy,
        *,
        clock: Clock = time.monotonic,
        sampler: ProcessTreeSampler | None = None,
        report_period_s: float = 1.0,
    ) -> None:
        self.policy = policy
        #: How often a runtime sends its counters when they change (its metrics loop).
        self.report_period_s = report_period_s
        self._clock = clock
        self._sampler = sampler or ProcessTreeSampler(clock)
        self.evaluator = BudgetEvaluator(policy, clock)
        self._lock = threading.Lock()
        self._apps: dict[str, _Watched] = {}
        self._latest: dict[str, AppSample] = {}
        #: app id → the share of time a throttled app may run (``set_duty``).
        self._duty: dict[str, float] = {}

    def watch(
        self,
        app_id: str,
        pid: int,
        name: str | None = None,
        *,
        heartbeats: bool = True,
        engine_dir: Path | None = None,
    ) -> None:
        """Start watching the process tree rooted at ``pid`` (the app's runtime).

        With ``heartbeats`` (the default) the app must call ``heartbeat`` at least every
        ``hang_timeout_s``, counted from now, or it is stopped as hung; pass False for a
        runtime that sends none (hang detection is then off for it). ``engine_dir`` is the
        app's engine profile, measured every round against the ``engine_storage`` budget.
        """
        with self._lock:
            self._apps[app_id] = _Watched(
                pid, name or app_id, self._clock(), heartbeats, engine_dir=engine_dir
            )
            self._latest.pop(app_id, None)
            self.evaluator.forget(app_id)

    def unwatch(self, app_id: str) -> None:
        with self._lock:
            self._apps.pop(app_id, None)
            self._latest.pop(app_id, None)
            self._duty.pop(app_id, None)
            self.evaluator.forget(app_id)

    def set_duty(self, app_id: str, share: float | None) -> None:
        """``app_id`` is throttled to run ``share`` of the time (None: no longer). Its budgets
        are then judged by what it asks for, measured ÷ share: throttling alone must not end
        an episode, or an app that keeps burning would be throttled and let go forever
        instead of climbing to termination."""
        with self._lock:
            if share is None:
                self._duty.pop(app_id, None)
            else:
                self._duty[app_id] = share

    def _demand(self, sample: AppSample) -> AppSample:
        share = self._duty.get(sample.app_id)
        if share is None:
            return sample
        return replace(
            sample,
            cpu_percent=sample.cpu_percent / share,
            bridge_calls_per_s=sample.bridge_calls_per_s / share,
            net_requests_per_s=sample.net_requests_per_s / share,
            storage_writes_per_s=sample.storage_writes_per_s / share,
            audit_events_per_s=sample.audit_events_per_s / share,
        )

    def heartbeat(self, app_id: str) -> None:
        """The runtime's page answered a liveness ping."""
        with self._lock:
            app = self._apps.get(app_id)
            if app is not None:
                app.heartbeat = self._clock()

    def count_audit(self, app_id: str, n: int = 1) -> None:
        """The host received ``n`` audit events caused by ``app_id`` (its audit volume, counted
        by the host itself: a runtime cannot under-report it)."""
        with self._lock:
            app = self._apps.get(app_id)
            if app is not None:
                app.audit_events += n

    def report_counters(self, app_id: str, counters: RuntimeCounters | Mapping[str, int]) -> None:
        """Merge the runtime's cumulative counters (a ``RuntimeCounters`` or the flat
        ``control.Metrics.counters``); rates are taken against the previous report.

        The runtime reports at most once per ``report_period_s`` and only when something
        changed, so the time a change took is the time since the last report, capped at one
        period (a quiet minute then a burst is a burst) and at least half of one (two reports
        queued behind a stall are not an infinite rate).
        """
        if not isinstance(counters, RuntimeCounters):
            counters = RuntimeCounters.from_flat(counters)
        with self._lock:
            app = self._apps.get(app_id)
            if app is None:
                return
            now = self._clock()
            if app.reported_at is not None:
                period = self.report_period_s
                dt = min(max(now - app.reported_at, period / 2), period)
                old = app.counters
                app.rates = (
                    _delta(counters.total_bridge_calls, old.total_bridge_calls) / dt,
                    _delta(counters.net_requests, old.net_requests) / dt,
                    _delta(counters.storage_writes, old.storage_writes) / dt,
                )
            app.counters, app.reported_at = counters, now

    def sample(self) -> dict[str, AppSample]:
        """Sample every watched app once (one ``/proc`` scan for all of them)."""
        with self._lock:
            apps = dict(self._apps)
        trees = self._sampler.sample({k: a.pid for k, a in apps.items()})
        now = self._clock()
        stale_after = _STALE_REPORTS * self.report_period_s
        out: dict[str, AppSample] = {}
        for app_id, app in apps.items():
            tree = trees[app_id]
            fresh = app.reported_at is not None and now - app.reported_at <= stale_after
            bridge, net, writes = app.rates if fresh else (0.0, 0.0, 0.0)
            with self._lock:
                total = app.audit_events
                last_total, last_at = app.audit_sampled or (0, app.since)
                app.audit_sampled = (total, now)
            # Floor of half an interval: two ticks close together are not an infinite rate.
            span = max(now - last_at, self.policy.sample_interval_s / 2)
            audit_rate = (total - last_total) / span
            out[app_id] = AppSample(
                app_id=app_id,
                name=app.name,
                at=now,
                pid=app.pid,
                alive=tree.alive,
                processes=tree.processes,
                cpu_seconds=tree.cpu_seconds,
                cpu_percent=tree.cpu_percent,
                memory_bytes=tree.memory_bytes,
                memory_kind=tree.memory_kind,
                threads=tree.threads,
                bridge_calls_per_s=bridge,
                net_requests_per_s=net,
                storage_writes_per_s=writes,
                seconds_since_heartbeat=(
                    now - (app.heartbeat if app.heartbeat is not None else app.since)
                    if app.heartbeats
                    else 0.0
                ),
                counters=app.counters,
                audit_events_per_s=audit_rate,
                engine_bytes=folder_bytes(app.engine_dir) if app.engine_dir else 0,
            )
        with self._lock:
            self._latest.update({k: v for k, v in out.items() if k in self._apps})
        return out

    def latest(self) -> dict[str, AppSample]:
        """The most recent sample of each watched app."""
        with self._lock:
            return dict(self._latest)

    def tick(self) -> list[BudgetDecision]:
        """Sample everything and return the decisions the supervisor must act on."""
        decisions: list[BudgetDecision] = []
        for sample in self.sample().values():
            with self._lock:
                judged = self._demand(sample)
            decisions.extend(self.evaluator.evaluate(judged))
        return decisions

    def run(self, stop: threading.Event, on_decision: Callable[[BudgetDecision], None]) -> None:
        """Tick every ``sample_interval_s`` until ``stop`` is set (run it on a thread)."""
        while not stop.wait(self.policy.sample_interval_s):
            for decision in self.tick():
                on_decision(decision)

"""``BudgetEvaluator``: pure escalation (warn → throttle → terminate, recover) over samples."""

from __future__ import annotations

import time
from dataclasses import dataclass

from superapp.monitor._samples import AppSample, BudgetDecision
from superapp.monitor._types import _LEVELS, _RATE_NOUNS, Action, Clock, Metric, format_bytes
from superapp.policy import Budget, MemoryBudget, MonitorPolicy

__all__ = ["BudgetEvaluator"]


@dataclass
class _Episode:
    over_since: float | None = None
    under_since: float | None = None
    level: int = 0
    peak: float = 0.0


def _message(
    name: str, action: Action, metric: Metric, value: float, limit: float, over: float
) -> str:
    if metric == "hang":
        return f"{name} was stopped: it stopped responding for {value:.0f} s (limit {limit:g} s)"
    if metric == "engine_storage":
        if action == "recover":
            return f"{name} is back within its web storage limit"
        verb = "reached" if action == "terminate" else "is keeping"
        lead = f"{name} was stopped: its" if action == "terminate" else f"{name}:"
        return (
            f"{lead} web storage {verb} {format_bytes(value)} on disk (limit {format_bytes(limit)})"
        )
    if action == "recover":
        label = {"memory": "memory", "cpu": "CPU"}.get(metric) or _RATE_NOUNS[metric]
        return f"{name} is back within its {label} limit"
    lead = {
        "warn": f"{name} is",
        "throttle": f"{name} is being slowed down: it is",
        "terminate": f"{name} was stopped: it was",
    }[action]
    if metric == "memory":
        if action == "terminate":
            return (
                f"{name} was stopped: it used {format_bytes(value)} of memory "
                f"(limit {format_bytes(limit)})"
            )
        return f"{lead} using {format_bytes(value)} of memory (limit {format_bytes(limit)})"
    if metric == "cpu":
        return f"{lead} keeping the CPU {value:.0f}% busy for {over:.0f} s (limit {limit:g}%)"
    return f"{lead} making {value:.0f} {_RATE_NOUNS[metric]} a second (limit {limit:g})"


class BudgetEvaluator:
    """Pure escalation logic over samples; time comes from ``clock``."""

    def __init__(self, policy: MonitorPolicy, clock: Clock = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._episodes: dict[tuple[str, Metric], _Episode] = {}
        self._terminated: set[str] = set()

    def forget(self, app_id: str) -> None:
        """Drop all state for ``app_id`` (it exited or was restarted)."""
        self._terminated.discard(app_id)
        for key in [k for k in self._episodes if k[0] == app_id]:
            del self._episodes[key]

    def evaluate(self, sample: AppSample) -> list[BudgetDecision]:
        """Decisions for this sample, most severe last; empty when nothing changed."""
        if sample.app_id in self._terminated or not sample.alive:
            return []
        now = self._clock()
        p = self.policy
        decisions: list[BudgetDecision] = []
        if sample.seconds_since_heartbeat > p.hang_timeout_s:
            decisions.append(
                self._decision(
                    sample,
                    "terminate",
                    "hang",
                    sample.seconds_since_heartbeat,
                    p.hang_timeout_s,
                    sample.seconds_since_heartbeat,
                )
            )
        checks: tuple[tuple[Metric, Budget, float], ...] = (
            ("memory", p.memory, float(sample.memory_bytes)),
            ("cpu", p.cpu, sample.cpu_percent),
            ("bridge_calls", p.bridge_calls, sample.bridge_calls_per_s),
            ("net_requests", p.net_requests, sample.net_requests_per_s),
            ("storage_writes", p.storage_writes, sample.storage_writes_per_s),
            ("audit_events", p.audit_events, sample.audit_events_per_s),
            ("engine_storage", p.engine_storage, float(sample.engine_bytes)),
        )
        for metric, budget, value in checks:
            step = self._step(sample, metric, budget, value, now)
            if step is not None:
                decisions.append(step)
        if any(d.action == "terminate" for d in decisions):
            self._terminated.add(sample.app_id)
            # One stop, for the most pressing reason; the rest would be noise.
            first = next(d for d in decisions if d.action == "terminate")
            return [first]
        return decisions

    def _step(
        self, sample: AppSample, metric: Metric, budget: Budget, value: float, now: float
    ) -> BudgetDecision | None:
        ep = self._episodes.setdefault((sample.app_id, metric), _Episode())
        if value > budget.limit:
            ep.under_since = None
            if ep.over_since is None:
                ep.over_since, ep.peak = now, value
            ep.peak = max(ep.peak, value)
            over = now - ep.over_since
            target = 0
            for level, after in enumerate(
                (budget.warn_after_s, budget.throttle_after_s, budget.terminate_after_s), start=1
            ):
                if after is not None and over >= after:
                    target = level
            if isinstance(budget, MemoryBudget) and value >= budget.limit * budget.hard_factor:
                target = 3
            if target > ep.level:
                ep.level = target
                shown = ep.peak if metric == "memory" and target == 3 else value
                return self._decision(
                    sample, _LEVELS[target - 1], metric, shown, budget.limit, over
                )
            return None
        if ep.over_since is None:
            return None
        if ep.under_since is None:
            ep.under_since = now
        if now - ep.under_since < budget.cooldown_s:
            return None
        level, over = ep.level, ep.under_since - ep.over_since
        self._episodes[(sample.app_id, metric)] = _Episode()
        if level >= 2:
            return self._decision(sample, "recover", metric, value, budget.limit, over)
        return None

    @staticmethod
    def _decision(
        sample: AppSample, action: Action, metric: Metric, value: float, limit: float, over: float
    ) -> BudgetDecision:
        message = _message(sample.name, action, metric, value, limit, over)
        return BudgetDecision(
            sample.app_id, sample.name, action, metric, value, limit, over, message
        )


# --- the monitor -----------------------------------------------------------------------

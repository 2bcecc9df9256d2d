"""Watching running mini-apps: process-tree sampling, runtime counters, budget escalation.

Pieces, each usable alone:

``ProcessTreeSampler``  one ``/proc`` scan per round for *all* watched trees (not one per
                        app), then per process: CPU time, PSS (RSS where PSS is unavailable
                        or not permitted), threads. CPU % is the delta of CPU time over the
                        delta of the clock, per process (so a child exiting does not make
                        the tree's CPU go negative), in percent of one core.
``RuntimeCounters``     cumulative counts the runtime reports over the control channel
                        (bridge calls and denials per API, network requests and blocks,
                        storage writes); rates are computed between two reports.
``BudgetEvaluator``     pure: turns samples into ``Decision``s (warn → throttle → terminate,
                        and recover) against the ``[monitor]`` budgets of the host policy,
                        with an injectable clock.
``Monitor``             ties them together for the supervisor: ``watch``/``unwatch``,
                        ``report_counters``, ``heartbeat``, ``tick() -> [Decision]``, ``run``.

Escalation (per app and per budget): while the value stays over the limit, the step whose
``*_after_s`` has elapsed since it first went over is taken, each step once; memory at
``hard_factor`` × limit is terminated at once. A short dip under the limit does not reset the
clock: only ``cooldown_s`` continuously under it ends the episode (an app that floods, gets
throttled, drops, and floods again keeps climbing). A page that sends no heartbeat for
``hang_timeout_s`` (counted from ``watch`` until the first one) is terminated. After a
terminate decision the evaluator says nothing more about that app.

The supervisor acts on decisions (throttle, kill) and audits them (``record_decision``);
``Decision.message`` is the sentence for the user:
"Notes was stopped: it used 2.1 GB of memory (limit 1 GB)".
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import psutil

from superapp.audit import AuditLog
from superapp.policy import Budget, MemoryBudget, MonitorPolicy
from superapp.storage._engine import folder_bytes

__all__ = [
    "Action",
    "AppSample",
    "BudgetEvaluator",
    "Decision",
    "Metric",
    "Monitor",
    "ProcessTreeSampler",
    "RuntimeCounters",
    "TreeSample",
    "format_bytes",
    "record_decision",
]

Action = Literal["warn", "throttle", "terminate", "recover"]
Metric = Literal[
    "memory", "cpu", "bridge_calls", "net_requests", "storage_writes", "audit_events",
    "engine_storage", "hang"
]
Clock = Callable[[], float]

_LEVELS: tuple[Action, ...] = ("warn", "throttle", "terminate")
_RATE_NOUNS = {
    "bridge_calls": "calls to the host",
    "net_requests": "network requests",
    "storage_writes": "storage writes",
    "audit_events": "audit log entries",
}
#: With no report for this many report periods, the runtime saw no change: rates are zero.
_STALE_REPORTS = 2.5


def format_bytes(n: float) -> str:
    """``2254857830`` → ``"2.1 GB"`` (binary multiples, one decimal, as desktop UIs show)."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(value) < 1024 or unit == "GB":
            break
        value /= 1024
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


# --- process trees ---------------------------------------------------------------------


@dataclass(frozen=True)
class TreeSample:
    """One process tree at one moment. ``alive`` is False when the root is gone."""

    pid: int
    alive: bool
    processes: int = 0
    cpu_seconds: float = 0.0
    cpu_percent: float = 0.0
    memory_bytes: int = 0
    #: "pss" when every process's PSS could be read, else "rss" (an over-estimate).
    memory_kind: Literal["pss", "rss"] = "pss"
    threads: int = 0


def _ppid_map() -> dict[int, int]:
    """pid → parent pid for every process, in one pass."""
    if not sys.platform.startswith("linux"):
        return {p.pid: p.info.get("ppid") or 0 for p in psutil.process_iter(["ppid"])}
    # Reading /proc/<pid>/stat directly is ~5x cheaper than psutil.process_iter, which
    # builds a Process object per pid; this scan is the fixed cost of every round.
    out: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue  # exited
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after
        # the last ')'.
        fields = data[data.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            out[int(name)] = int(fields[1])
    return out


class ProcessTreeSampler:
    """Samples process trees by root pid. Not thread-safe; one caller (the monitor)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._procs: dict[int, psutil.Process] = {}
        #: (pid, create_time) → (cpu seconds, clock) at the last sample.
        self._cpu: dict[tuple[int, float], tuple[float, float]] = {}

    def _process(self, pid: int) -> psutil.Process | None:
        proc = self._procs.get(pid)
        try:
            if proc is None or not proc.is_running():  # is_running also checks pid reuse
                proc = psutil.Process(pid)
                self._procs[pid] = proc
        except psutil.Error:
            self._procs.pop(pid, None)
            return None
        return proc

    def sample(self, roots: Mapping[str, int]) -> dict[str, TreeSample]:
        """One sample of each tree rooted at ``roots[key]``."""
        children: dict[int, list[int]] = {}
        for pid, ppid in _ppid_map().items():
            if ppid:
                children.setdefault(ppid, []).append(pid)
        now = self._clock()
        seen: set[tuple[int, float]] = set()
        live_pids: set[int] = set()
        out: dict[str, TreeSample] = {}
        for key, root in roots.items():
            pids, stack = [], [root]
            while stack:
                pid = stack.pop()
                if pid in pids:
                    continue
                pids.append(pid)
                stack.extend(children.get(pid, ()))
            out[key] = self._tree(root, pids, now, seen, live_pids)
        for gone in set(self._cpu) - seen:
            del self._cpu[gone]
        for pid in set(self._procs) - live_pids:
            del self._procs[pid]
        return out

    def _tree(
        self,
        root: int,
        pids: list[int],
        now: float,
        seen: set[tuple[int, float]],
        live_pids: set[int],
    ) -> TreeSample:
        count = threads = memory = 0
        cpu_total = cpu_delta = 0.0
        elapsed = 0.0
        kind: Literal["pss", "rss"] = "pss"
        root_alive = False
        for pid in pids:
            proc = self._process(pid)
            if proc is None:
                continue
            try:
                with proc.oneshot():
                    if proc.status() == psutil.STATUS_ZOMBIE:
                        continue
                    times = proc.cpu_times()
                    cpu = float(times.user + times.system)
                    n_threads = int(proc.num_threads())
                    try:
                        mem = int(proc.memory_full_info().pss)
                    except (psutil.AccessDenied, AttributeError):
                        mem = int(proc.memory_info().rss)
                        kind = "rss"
                    ident = (pid, proc.create_time())
            except psutil.Error:
                continue  # exited between the scan and now
            root_alive = root_alive or pid == root
            live_pids.add(pid)
            seen.add(ident)
            previous = self._cpu.get(ident)
            if previous is not None:
                cpu_delta += max(0.0, cpu - previous[0])
                elapsed = max(elapsed, now - previous[1])
            self._cpu[ident] = (cpu, now)
            count += 1
            threads += n_threads
            memory += mem
            cpu_total += cpu
        if not root_alive:
            return TreeSample(pid=root, alive=False)
        percent = 100.0 * cpu_delta / elapsed if elapsed > 0 else 0.0
        return TreeSample(root, True, count, cpu_total, percent, memory, kind, threads)


# --- runtime counters ------------------------------------------------------------------


#: Counter keys read from one runtime report (a runtime is host code, but bounded anyway).
_MAX_COUNTER_KEYS = 500


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


@dataclass(frozen=True)
class RuntimeCounters:
    """Cumulative counts since the runtime started, as it reports them."""

    bridge_calls: Mapping[str, int] = field(default_factory=dict)
    bridge_denials: Mapping[str, int] = field(default_factory=dict)
    net_requests: int = 0
    net_blocked: int = 0
    storage_writes: int = 0
    #: Other counters the runtime reported (``nav.blocked``, ``popup.blocked``, ...).
    other: Mapping[str, int] = field(default_factory=dict)

    @property
    def total_bridge_calls(self) -> int:
        return sum(self.bridge_calls.values())

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuntimeCounters:
        """From ``to_json``'s shape; anything malformed counts as zero."""

        def per_api(value: Any) -> dict[str, int]:
            if not isinstance(value, Mapping):
                return {}
            return {str(k)[:100]: _count(v) for k, v in list(value.items())[:_MAX_COUNTER_KEYS]}

        return cls(
            per_api(data.get("bridge_calls")),
            per_api(data.get("bridge_denials")),
            _count(data.get("net_requests")),
            _count(data.get("net_blocked")),
            _count(data.get("storage_writes")),
            per_api(data.get("other")),
        )

    @classmethod
    def from_flat(cls, counters: Mapping[str, Any]) -> RuntimeCounters:
        """From the runtime's flat ``control.Metrics.counters`` (action name → count).

        ``bridge.calls.<api>`` and ``bridge.denied.<api>`` fill the per-API maps;
        ``net.allowed`` + ``net.blocked`` are the network requests, ``net.blocked`` the blocks;
        ``storage.writes`` the storage writes. ``*.folded`` keys (subsets of their action,
        folded out of the audit log) are ignored; anything else is kept in ``other``.
        Malformed values count as zero; at most ``_MAX_COUNTER_KEYS`` keys are read.
        """
        calls: dict[str, int] = {}
        denials: dict[str, int] = {}
        other: dict[str, int] = {}
        flat = {str(k)[:100]: _count(v) for k, v in list(counters.items())[:_MAX_COUNTER_KEYS]}
        for key, value in flat.items():
            if key.endswith(".folded"):
                continue
            if key.startswith("bridge.calls."):
                calls[key.removeprefix("bridge.calls.")] = value
            elif key.startswith("bridge.denied."):
                denials[key.removeprefix("bridge.denied.")] = value
            elif key not in ("net.allowed", "net.blocked", "storage.writes"):
                other[key] = value
        return cls(
            calls,
            denials,
            flat.get("net.allowed", 0) + flat.get("net.blocked", 0),
            flat.get("net.blocked", 0),
            flat.get("storage.writes", 0),
            other,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "bridge_calls": dict(self.bridge_calls),
            "bridge_denials": dict(self.bridge_denials),
            "other": dict(self.other),
        }


@dataclass(frozen=True)
class AppSample:
    """What the monitor knows about one running app (``superapp ps``, the dashboard)."""

    app_id: str
    name: str
    at: float
    pid: int
    alive: bool
    processes: int
    cpu_seconds: float
    cpu_percent: float
    memory_bytes: int
    memory_kind: Literal["pss", "rss"]
    threads: int
    bridge_calls_per_s: float
    net_requests_per_s: float
    storage_writes_per_s: float
    seconds_since_heartbeat: float
    counters: RuntimeCounters = field(default_factory=RuntimeCounters)
    #: Audit events the app caused per second since the previous sample (``count_audit``).
    audit_events_per_s: float = 0.0
    #: Bytes of the app's engine profile on disk (0 when the monitor was given no folder).
    engine_bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"counters": self.counters.to_json()}


# --- budgets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One step the supervisor must take, with the sentence to show the user."""

    app_id: str
    name: str
    action: Action
    metric: Metric
    value: float
    limit: float
    #: Seconds the app has been over the limit when the step was taken.
    over_for_s: float
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def record_decision(audit: AuditLog, decision: Decision) -> dict[str, Any]:
    """Audit ``decision`` as ``monitor.<action>`` with the metric, value and limit."""
    return audit.record(
        f"monitor.{decision.action}",
        app_id=decision.app_id,
        outcome="success" if decision.action == "recover" else "failure",
        reason=decision.message,
        metric=decision.metric,
        value=decision.value,
        limit=decision.limit,
        over_for_s=round(decision.over_for_s, 3),
    )


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

    def evaluate(self, sample: AppSample) -> list[Decision]:
        """Decisions for this sample, most severe last; empty when nothing changed."""
        if sample.app_id in self._terminated or not sample.alive:
            return []
        now = self._clock()
        p = self.policy
        decisions: list[Decision] = []
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
    ) -> Decision | None:
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
    ) -> Decision:
        message = _message(sample.name, action, metric, value, limit, over)
        return Decision(sample.app_id, sample.name, action, metric, value, limit, over, message)


# --- the monitor -----------------------------------------------------------------------


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
            self.evaluator.forget(app_id)

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

    def tick(self) -> list[Decision]:
        """Sample everything and return the decisions the supervisor must act on."""
        decisions: list[Decision] = []
        for sample in self.sample().values():
            decisions.extend(self.evaluator.evaluate(sample))
        return decisions

    def run(self, stop: threading.Event, on_decision: Callable[[Decision], None]) -> None:
        """Tick every ``sample_interval_s`` until ``stop`` is set (run it on a thread)."""
        while not stop.wait(self.policy.sample_interval_s):
            for decision in self.tick():
                on_decision(decision)

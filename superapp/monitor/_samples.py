"""What the monitor knows about one app: its runtime's counters, a sample, a decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from superapp.audit import AuditLog
from superapp.monitor._types import Action, Metric

__all__ = ["AppSample", "BudgetDecision", "RuntimeCounters", "record_decision"]


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
class BudgetDecision:
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


def record_decision(audit: AuditLog, decision: BudgetDecision) -> dict[str, Any]:
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

"""Names shared by the monitor's modules: actions, metrics, the clock type, ``format_bytes``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

__all__ = ["Action", "Clock", "Metric", "format_bytes"]

Action = Literal["warn", "throttle", "terminate", "recover"]
Metric = Literal[
    "memory",
    "cpu",
    "bridge_calls",
    "net_requests",
    "storage_writes",
    "audit_events",
    "engine_storage",
    "hang",
]
Clock = Callable[[], float]

_LEVELS: tuple[Action, ...] = ("warn", "throttle", "terminate")
_RATE_NOUNS = {
    "bridge_calls": "calls to the host",
    "net_requests": "network requests",
    "storage_writes": "storage writes",
    "audit_events": "audit log entries",
}


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

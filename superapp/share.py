"""The share inbox: a re-export of ``superapp.state.inbox`` (the procedure is described there)."""

from __future__ import annotations

from superapp.state.inbox import (
    DEFAULT_LIMITS,
    InboxFullError,
    Message,
    ShareLimits,
    deliver,
    pending,
    take,
)

__all__ = [
    "DEFAULT_LIMITS",
    "InboxFullError",
    "Message",
    "ShareLimits",
    "deliver",
    "pending",
    "take",
]

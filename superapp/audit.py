"""The host's audit log: append-only JSON Lines, one object per event (DESIGN §2, §6.8).

Every denial, violation and termination is recorded here with the app id, the api or url,
and the reason. Field names follow the Elastic Common Schema (ECS) so that log shippers can
take the file as it is:

    @timestamp      RFC 3339 UTC time of the event
    event.action    what happened, dotted: "bridge.denied", "net.blocked", "app.terminated"
    event.outcome   "success" | "failure" | "unknown"
    event.reason    a one-line human reason
    superapp.app_id the mini-app concerned (absent for host-wide events)
    superapp.*      further fields: api, url, capability, rule, ...

This module's ``record`` signature is the contract every other module uses.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

__all__ = ["AuditLog", "Outcome"]

Outcome = Literal["success", "failure", "unknown"]


class AuditLog:
    """Appends events to ``path``; safe to use from several processes at once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(
        self,
        action: str,
        *,
        app_id: str | None = None,
        outcome: Outcome = "unknown",
        reason: str = "",
        **fields: Any,
    ) -> dict[str, Any]:
        """Append one event and return it as written."""
        event: dict[str, Any] = {
            "@timestamp": datetime.now(UTC).isoformat(timespec="microseconds"),
            "event": {"action": action, "outcome": outcome, "reason": reason},
            "superapp": {"app_id": app_id, **fields} if app_id else dict(fields),
        }
        line = json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
        return event

    def events(self) -> Iterator[Mapping[str, Any]]:
        """Every event in order (tests and ``superapp audit``)."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)

"""Small protocols (``typing.Protocol``) for services several layers use but should not build.

``AuditSink`` is what storage, net and the bridge need of the audit log: one ``record``.
``superapp.audit.AuditLog`` satisfies it; the host passes its one log down, and a module that
takes an ``AuditSink`` never has to import (or construct) the audit package itself.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

__all__ = ["AuditSink", "Outcome"]

#: The ``event.outcome`` of an audit entry (the same literal as ``superapp.audit``'s).
Outcome = Literal["success", "failure", "unknown"]


class AuditSink(Protocol):
    def record(
        self,
        action: str,
        *,
        app_id: str | None = None,
        outcome: Outcome = "unknown",
        reason: str = "",
        **fields: Any,
    ) -> object:
        """Append one audit event (``action`` a dotted name such as ``files.path_refused``)."""
        ...

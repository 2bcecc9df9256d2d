"""The repository's roles, their metadata lifetimes and the small helpers every writer of
metadata shares (``_repo``, ``_publishers``, ``_publish``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from tuf.api.metadata import Delegations, Snapshot, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer

from superapp.core.errors import FleetError

__all__ = [
    "DEFAULT_EXPIRY",
    "FLEET_ROLE",
    "RESERVED",
    "SERIALIZER",
    "TOP_ROLES",
    "Expiry",
    "fresh",
    "need",
    "now",
]

_T = TypeVar("_T", Targets, Snapshot, Timestamp)
TOP_ROLES = ("root", "targets", "snapshot", "timestamp")
FLEET_ROLE = "fleet"
RESERVED = {*TOP_ROLES, FLEET_ROLE}
SERIALIZER = JSONSerializer(compact=True)


@dataclass(frozen=True)
class Expiry:
    """How long each role's metadata stays valid after it is signed (documented defaults).

    ``timestamp`` and ``fleet`` are short on purpose: a host that cannot get a fresh one within
    that time knows it is being frozen (the kill switch's freeze defence); re-sign them daily
    with ``superapp repo refresh``.
    """

    root: timedelta = timedelta(days=365)
    targets: timedelta = timedelta(days=90)
    publisher: timedelta = timedelta(days=90)
    snapshot: timedelta = timedelta(days=7)
    timestamp: timedelta = timedelta(days=1)
    fleet: timedelta = timedelta(days=1)

    def of(self, role: str) -> timedelta:
        value = getattr(self, role, None) if role in RESERVED else self.publisher
        if not isinstance(value, timedelta):  # pragma: no cover - roles are fixed above
            raise RuntimeError(role)
        return value


DEFAULT_EXPIRY = Expiry()


def fresh(signed: _T) -> _T:
    # New metadata starts at version 0 here because every commit bumps before signing.
    signed.version = 0
    return signed


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def need(delegations: Delegations | None) -> None:
    if delegations is None or delegations.roles is None:
        raise FleetError("the targets role has no delegations (not made by superapp repo)", "repo")

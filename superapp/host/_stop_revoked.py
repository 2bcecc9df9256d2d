"""The one stop-and-audit loop of the kill switch, shared by its two sources: the TUF fleet's
``fleet`` role (``_fleet``) and the deprecated revocation feed (``_revocation``). Each source
passes only its lookup: why an app is revoked now, or None."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple, Protocol

from superapp.audit import AuditLog

__all__ = ["Revoked", "stop_revoked_apps"]


class Revoked(NamedTuple):
    #: The sentence for the user and the audit log ("Notes was switched off by ...").
    reason: str
    #: What matched, for the audit entry: ``fleet``, or the feed's revocation kind.
    kind: str


class _App(Protocol):
    @property
    def app_id(self) -> str: ...
    @property
    def dev_src(self) -> Path | None: ...


def stop_revoked_apps(
    audit: AuditLog,
    apps: Iterable[_App],
    lookup: Callable[[str], Revoked | None],
    stop: Callable[[str, str], None],
) -> list[str]:
    """Stop every running installed app ``lookup`` finds revoked; returns their ids.

    Each one is audited (``app.revoked``) before its stop starts, on a thread of its own so
    one slow stop does not delay the next (a revoked app must go as soon as the list says so).
    """
    stopped = []
    for app in apps:
        if app.dev_src is not None:
            continue  # side-loaded folders are not published apps: nothing to revoke
        hit = lookup(app.app_id)
        if hit is None:
            continue
        audit.record(
            "app.revoked", app_id=app.app_id, outcome="failure", reason=hit.reason, kind=hit.kind
        )
        threading.Thread(target=stop, args=(app.app_id, hit.reason), daemon=True).start()
        stopped.append(app.app_id)
    return stopped

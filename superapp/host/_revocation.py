"""The kill switch on the host side: refuse to launch a revoked app, and stop revoked apps
that are running when a fresh revocation list arrives (DESIGN §8)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from superapp.audit import AuditLog
from superapp.core.errors import AppStateError, SuperappError
from superapp.core.paths import Paths
from superapp.host._app import AppRef
from superapp.host._fleet_fresh import FleetFreshness
from superapp.host._stop_revoked import Revoked, stop_revoked_apps
from superapp.policy import HostPolicy

__all__ = ["RevokedError", "check_launch", "start_refresher", "stop_revoked"]


class RevokedError(AppStateError):
    """A launch refused by the kill switch; ``hit`` says which revocation matched."""

    def __init__(self, message: str, hit: str) -> None:
        super().__init__(message)
        self.hit = hit


def check_launch(
    paths: Paths,
    policy: HostPolicy,
    audit: AuditLog,
    app_id: str,
    freshness: FleetFreshness | None = None,
) -> None:
    """Refuse to launch an installed app the platform has revoked.

    Uses the last verified revocation list on disk (``superapp revocations refresh`` and the
    host's refresher keep it current); with ``on_expired = "closed"`` and no current list,
    every app is refused. An app from the ``[fleet]`` repository is checked on fresh state
    (``_fleet_fresh``: this host's poll, younger than ``interval_s``, waited for if needed).

    Raises:
        RevokedError: the app is revoked; the refusal is audited.
    """
    from superapp.host._fleet_fresh import launch_hit
    from superapp.revocation import RevocationChecker
    from superapp.state import registry

    fleet = launch_hit(paths, policy, audit, app_id, freshness or FleetFreshness())
    if fleet is not None:
        audit.record(
            "app.launch_refused", app_id=app_id, outcome="failure", reason=fleet,
            rule="revoked", kind="fleet",
        )  # fmt: skip
        raise RevokedError(f"{app_id} was switched off by the platform: {fleet}", fleet)
    if policy.revocation.source is None:
        return None
    app = registry.get_app(paths, app_id)
    checker = RevocationChecker(paths, policy, audit=audit)
    hit = checker.is_revoked(app_id, app.version_code, app.key_id, app.digest)
    if hit is None:
        return None
    audit.record(
        "app.launch_refused", app_id=app_id, outcome="failure", reason=hit.describe(),
        rule="revoked", kind=hit.kind,
    )  # fmt: skip
    raise RevokedError(
        f"{app.name} was switched off by the platform: {hit.describe()}", hit.describe()
    )


def start_refresher(
    paths: Paths,
    policy: HostPolicy,
    audit: AuditLog,
    stop_event: threading.Event,
    running: Callable[[], Sequence[AppRef]],
    stop: Callable[[str, str], None],
    freshness: FleetFreshness | None = None,
) -> bool:
    """Fetch the revocation list now and every ``interval_s``; stop revoked running apps.

    Returns False when the policy names no source (the kill switch is off).
    """
    from superapp.host._fleet import start_fleet_poller
    from superapp.revocation import RevocationChecker

    fleet = start_fleet_poller(
        paths, policy, audit, stop_event, running, stop, freshness or FleetFreshness()
    )
    if policy.revocation.source is None:
        return fleet
    checker = RevocationChecker(paths, policy, audit=audit)

    def on_result(result: Any) -> None:
        if result.status == "updated" or result.stale:
            stop_revoked(paths, audit, checker, running(), stop)

    threading.Thread(
        target=checker.run, args=(stop_event, on_result), name="revocations", daemon=True
    ).start()
    return True


def stop_revoked(
    paths: Paths,
    audit: AuditLog,
    checker: Any,
    apps: Sequence[AppRef],
    stop: Callable[[str, str], None],
) -> list[str]:
    """Stop every running app the checker finds revoked; returns their ids."""
    from superapp.state import registry

    def lookup(app_id: str) -> Revoked | None:
        try:
            installed = registry.get_app(paths, app_id)
        except SuperappError:
            return None
        hit = checker.is_revoked(app_id, installed.version_code, installed.key_id, installed.digest)
        if hit is None:
            return None
        return Revoked(
            f"{installed.name} was switched off by the platform: {hit.describe()}", hit.kind
        )

    return stop_revoked_apps(audit, apps, lookup, stop)

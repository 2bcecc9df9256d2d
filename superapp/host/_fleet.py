"""The host as a TUF client: the kill switch from the repository at launch and while running,
and background polling with jitter that installs updates (``superapp.fleet``).

Guarantees kept from the old feed (``_revocation``), now on the repository's ``fleet`` role:
a revoked app never launches (a launch of a repository app is decided on a poll verified
within ``interval_s``, waited for if needed: ``_fleet_fresh``);
a running revoked app is stopped as soon as the poll that brings the revocation verifies (the
stop is started right after the fetch, on its own thread); freeze and rollback of the list are
refused by TUF (expired or older metadata never replaces what is held) and, with
``[fleet] on_expired = "closed"``, a host that cannot get fresh metadata refuses every app
installed from the repository.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from superapp.audit import AuditLog
from superapp.core.errors import FleetError, SuperappError
from superapp.core.paths import Paths
from superapp.host._app import AppRef
from superapp.host._fleet_fresh import FleetFreshness
from superapp.host._stop_revoked import Revoked, stop_revoked_apps
from superapp.policy import HostPolicy

_log = logging.getLogger("superapp.fleet")

__all__ = ["fleet_hit", "offer_pending", "start_fleet_poller", "stop_revoked_fleet"]


def fleet_hit(paths: Paths, policy: HostPolicy, audit: AuditLog, app_id: str) -> str | None:
    """Why the repository's kill switch refuses ``app_id`` now, or None."""
    from superapp.fleet import FleetClient, revoked_hit
    from superapp.state import registry

    if policy.fleet.repository is None:
        return None
    try:
        app = registry.get_app(paths, app_id)
    except SuperappError:
        return None
    state = FleetClient(paths, policy.fleet, audit).load_state()
    hit = revoked_hit(state, app)
    if hit is not None:
        return hit
    stale = state is None or state.stale(datetime.now(UTC))
    from_repo = state is not None and app_id in state.index.apps
    if stale and policy.fleet.on_expired == "closed" and (from_repo or state is None):
        return "every app (no current verified repository metadata; the policy is fail-closed)"
    return None


def stop_revoked_fleet(
    paths: Paths,
    policy: HostPolicy,
    audit: AuditLog,
    apps: Sequence[AppRef],
    stop: Callable[[str, str], None],
) -> list[str]:
    """Stop every running installed app the held list revokes; returns their ids."""

    def lookup(app_id: str) -> Revoked | None:
        hit = fleet_hit(paths, policy, audit, app_id)
        if hit is None:
            return None
        return Revoked(f"{app_id} was switched off by the platform: {hit}", "fleet")

    return stop_revoked_apps(audit, apps, lookup, stop)


def start_fleet_poller(
    paths: Paths,
    policy: HostPolicy,
    audit: AuditLog,
    stop_event: threading.Event,
    running: Callable[[], Sequence[AppRef]],
    stop: Callable[[str, str], None],
    freshness: FleetFreshness,
) -> bool:
    """Poll now and every ``interval_s`` ± ``jitter``; stop revoked apps, install updates.
    Each poll is recorded in ``freshness`` (launches wait for the first one, ``_fleet_fresh``).

    Returns False when the policy names no repository.
    """
    if policy.fleet.repository is None:
        return False
    from superapp.fleet import Store

    def loop() -> None:
        rng = random.SystemRandom()
        while True:
            try:
                store = Store(paths, policy, audit)
                with freshness.poll(store.client) as session:
                    stop_revoked_fleet(paths, policy, audit, running(), stop)
                    if policy.fleet.auto_update:
                        # Updates asking new capabilities come back "pending": nothing runs
                        # before the user accepts the diff (offered at the next launch).
                        store.update_all(None, session)
            except FleetError:
                # Refused or unreachable: audited by the client; what is held stays enforced,
                # and a list gone stale is enforced by policy (on_expired).
                stop_revoked_fleet(paths, policy, audit, running(), stop)
            except Exception:  # the poller must outlive any one bad round
                _log.exception("fleet poll failed")
            f = policy.fleet
            wait = f.interval_s * rng.uniform(1 - f.jitter, 1 + f.jitter)
            if stop_event.wait(wait):
                return

    threading.Thread(target=loop, name="fleet-poller", daemon=True).start()
    return True


def offer_pending(
    paths: Paths, audit: AuditLog, consent: Callable[[Any], object], app_id: str
) -> bool:
    """Before a launch: if an update of ``app_id`` waits for consent, ask the user (the host's
    own prompt, one question per new capability, quoting the new manifest's reason); install
    it when every answer allows. Returns True when the update was installed.
    """
    if not (paths.data / "fleet" / "pending").is_dir():  # ``superapp.fleet._pending._path``
        # No update has ever waited: skip importing the fleet client (TUF, urllib3), ~0.07 s of
        # CPU on every launch's path (issue 16, cold launch).
        return False
    from superapp.core.consent import ConsentAnswer, as_answer
    from superapp.fleet._pending import load_pending
    from superapp.fleet._store import apply_pending
    from superapp.host._prompt import build_prompt

    try:
        pending = load_pending(paths, app_id)
    except FleetError:
        return False
    if pending is None:
        return False
    to = pending.bundle.manifest.version.name
    for capability, reason in pending.added:
        prompt = build_prompt(paths, app_id, capability, reason)
        prompt = replace(prompt, update=f"{pending.from_version} → {to}")
        if as_answer(consent(prompt)) is ConsentAnswer.DENY:
            audit.record(
                "fleet.update_declined", app_id=app_id, outcome="failure",
                reason=f"the user did not allow {capability} for version {to}",
                capability=capability,
            )  # fmt: skip
            return False
    try:
        apply_pending(paths, audit, app_id)
    except SuperappError as err:
        audit.record("fleet.update_failed", app_id=app_id, outcome="failure", reason=str(err))
        return False
    return True

"""Fresh revocation state before an app from the repository launches.

"A revoked app never launches" needs more than the list held on disk: a host started just
after a revocation (or one whose poller has not run for a while) holds a list from before it.
So a launch of an app that came from the repository first makes the held state fresh by the
policy's rule:

- fresh: this host verified a poll less than ``[fleet] interval_s`` ago (in this process: a
  list verified by an earlier run is not fresh, so the first launch after start waits for the
  poll that the host starts with);
- not fresh: the launch joins the poll in flight (the host's start-up poll) or starts one, and
  waits for it at most ``fetch_timeout_s``;
- no fresh answer in that time (offline, refused, frozen): ``[fleet] on_expired`` decides —
  ``open`` launches with a loud audit entry (``fleet.launch_unverified``), ``closed`` refuses.

After a poll failed, launches do not wait again for ``retry_after_s`` (an offline host does not
make every launch wait); the poller keeps trying on its own schedule.

One poll at a time per host (the poller's and the launches'): ngclient keeps its metadata in
one folder, and a launch that waited for the poller's poll takes that poll's answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from superapp.audit import AuditLog
from superapp.core.errors import FleetError, SuperappError
from superapp.core.paths import Paths
from superapp.policy import FleetPolicy, HostPolicy

if TYPE_CHECKING:
    from superapp.fleet import FleetClient, FleetSession

_log = logging.getLogger("superapp.fleet")

__all__ = ["FleetFreshness", "FreshnessRule", "launch_hit"]


@dataclass(frozen=True)
class FreshnessRule:
    #: A verified poll younger than this (seconds) is fresh: ``[fleet] interval_s``.
    max_age_s: float
    #: How long a launch waits for a poll: ``[fleet] fetch_timeout_s``.
    wait_s: float
    #: After a failed poll, launches take the offline rule at once for this long.
    retry_after_s: float = 30.0

    @classmethod
    def of(cls, policy: FleetPolicy) -> FreshnessRule:
        return cls(max_age_s=policy.interval_s, wait_s=float(policy.fetch_timeout_s))


class FleetFreshness:
    """When this host last verified the repository; one poll at a time. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._poll_lock = threading.Lock()
        self._cond = threading.Condition()
        self._verified_at: float | None = None
        self._failed_at: float | None = None
        self._attempts = 0

    def fresh(self, rule: FreshnessRule) -> bool:
        with self._cond:
            return self._fresh(rule)

    def _fresh(self, rule: FreshnessRule) -> bool:
        at = self._verified_at
        return at is not None and self._clock() - at < rule.max_age_s

    def _record(self, ok: bool) -> None:
        with self._cond:
            self._attempts += 1
            if ok:
                self._verified_at, self._failed_at = self._clock(), None
            else:
                self._failed_at = self._clock()
            self._cond.notify_all()

    def _poll_locked(self, client: FleetClient) -> FleetSession:
        try:
            session = client.session()
        except BaseException:
            self._record(ok=False)
            raise
        self._record(ok=True)
        return session

    def poll(self, client: FleetClient) -> FleetSession:
        """One poll (the background poller's), recorded for launches.

        Raises:
            FleetError: refused or unreachable (audited by the client).
        """
        with self._poll_lock:
            return self._poll_locked(client)

    def ensure(self, rule: FreshnessRule, client: Callable[[], FleetClient]) -> bool:
        """Before a launch: make the held state fresh if it is not. True when it is fresh."""
        with self._cond:
            if self._fresh(rule):
                return True
            failed = self._failed_at
            if failed is not None and self._clock() - failed < rule.retry_after_s:
                return False
            seen = self._attempts
        threading.Thread(
            target=self._refresh, args=(client, seen), name="fleet-launch-poll", daemon=True
        ).start()
        with self._cond:
            # Any poll ending after ``seen`` answers: ours, or the one in flight when we came.
            self._cond.wait_for(lambda: self._attempts > seen, timeout=rule.wait_s)
            return self._fresh(rule)

    def _refresh(self, client: Callable[[], FleetClient], seen: int) -> None:
        with self._poll_lock:
            if self._attempts != seen:
                return  # a poll ended while this one waited for the lock: it answered
            try:
                self._poll_locked(client()).close()
            except FleetError:
                pass  # audited by the client; the launch applies on_expired
            except Exception:  # a launch must get an answer whatever went wrong
                _log.exception("fleet poll before a launch failed")


def launch_hit(
    paths: Paths, policy: HostPolicy, audit: AuditLog, app_id: str, freshness: FleetFreshness
) -> str | None:
    """Why the repository's kill switch refuses to launch ``app_id`` now, or None; for an app
    from the repository, decided on fresh state (see the module docstring)."""
    fleet = policy.fleet
    if fleet.repository is None:
        return None
    # Only now: the fleet client (TUF, urllib3) is ~0.07 s of CPU on every launch's path, and
    # a host without a repository needs none of it (issue 16, cold launch).
    from superapp.fleet import FleetClient
    from superapp.host._fleet import fleet_hit
    from superapp.state import registry

    try:
        registry.get_app(paths, app_id)
    except SuperappError:
        return None
    held = FleetClient.held_state(paths, audit)
    if held is not None and app_id not in held.index.apps:
        # Not from the repository: the held list still applies (a publisher key or a bundle
        # digest may match it), without waiting for the network.
        return fleet_hit(paths, policy, audit, app_id)
    rule = FreshnessRule.of(fleet)
    fresh = freshness.ensure(rule, lambda: FleetClient(paths, fleet, audit))
    hit = fleet_hit(paths, policy, audit, app_id)  # on the state that poll wrote, if any
    if hit is not None or fresh:
        return hit
    why = (
        f"no verified repository metadata younger than {rule.max_age_s:g} s "
        f"(the repository did not answer within {rule.wait_s:g} s, or was refused)"
    )
    if fleet.on_expired == "closed":
        return f"its revocation state cannot be checked: {why}; the policy is fail-closed"
    audit.record(
        "fleet.launch_unverified", app_id=app_id, outcome="failure",
        reason=f"launched without a fresh revocation check: {why}; the policy is fail-open",
        rule="stale", repository=fleet.repository,
    )  # fmt: skip
    _log.warning("%s launched without a fresh revocation check: %s", app_id, why)
    return None

"""What operators change in the ``fleet`` role: rollouts (only up, pause, revert) and the
revocation list. Each is one signed commit (fleet, then snapshot, then timestamp), so hosts
see it on their next poll."""

from __future__ import annotations

from collections.abc import Callable

from superapp.fleet import _rollout
from superapp.fleet._model import FleetIndex, Revocation, Revocations
from superapp.fleet._repo import Repository

__all__ = ["add_revocation", "pause_rollout", "revert_rollout", "set_rollout"]


def _fleet_change(repo: Repository, change: Callable[[FleetIndex], FleetIndex]) -> FleetIndex:
    index, revs = repo.fleet_state()
    new = change(index)
    repo.save_fleet(new, revs)
    return new


def set_rollout(repo: Repository, app_id: str, version_code: int, percent: int) -> FleetIndex:
    """Raise a rollout (only up). Raises: FleetError: see ``_rollout.set_percent``."""
    return _fleet_change(repo, lambda i: _rollout.set_percent(i, app_id, version_code, percent))


def pause_rollout(repo: Repository, app_id: str) -> FleetIndex:
    return _fleet_change(repo, lambda i: _rollout.pause(i, app_id))


def revert_rollout(repo: Repository, app_id: str) -> FleetIndex:
    return _fleet_change(repo, lambda i: _rollout.revert(i, app_id))


def add_revocation(repo: Repository, entry: Revocation) -> Revocations:
    """Append ``entry`` to the kill switch list (hosts stop the app at their next poll)."""
    index, revs = repo.fleet_state()
    if entry in revs.revocations:
        return revs
    new = Revocations(revocations=(*revs.revocations, entry))
    repo.save_fleet(index, new)
    return new

"""Phased rollout: the operator's rules for changing a rollout, and each host's own decision.

A host is in a rollout of ``percent`` % when the stable hash of its install id, the app id and
the version falls below ``percent``/100. The install id is 16 random bytes made once and kept
in ``<data>/fleet/install-id`` (owner-only); it is never sent anywhere, so the repository
cannot target or count machines: it only publishes a percentage. Because the percentage only
grows (``set_percent`` refuses less) a host that took a version never has to be taken off it
by a smaller number: pausing stops new hosts, reverting sends everyone back to stable.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from superapp.core.errors import FleetError
from superapp.fleet._model import AppChannel, FleetIndex, Release, Rollout

__all__ = [
    "bucket",
    "in_rollout",
    "load_install_id",
    "pause",
    "revert",
    "set_percent",
    "start_rollout",
    "wanted_version",
]

_SCALE = 10_000  # basis points: 1 % is 100 buckets, so 0.5 % steps stay possible later


def bucket(install_id: str, app_id: str, version_code: int) -> int:
    """A stable number in [0, 10 000) for this machine and this release."""
    digest = hashlib.sha256(f"{install_id}\x00{app_id}\x00{version_code}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % _SCALE


def in_rollout(install_id: str, app_id: str, rollout: Rollout) -> bool:
    return bucket(install_id, app_id, rollout.version_code) < rollout.percent * (_SCALE // 100)


def wanted_version(
    channel: AppChannel, install_id: str, app_id: str, installed: int | None
) -> int | None:
    """The version code this host should run (None: nothing available to it).

    - no rollout, or a reverted one: the stable version;
    - paused: hosts already on the rollout's version stay there, others get stable;
    - active: the rollout's version for hosts in its percentage, stable for the rest.
    """
    rollout = channel.rollout
    if rollout is None or rollout.state == "reverted":
        return channel.stable
    if rollout.state == "paused":
        return rollout.version_code if installed == rollout.version_code else channel.stable
    if installed == rollout.version_code or in_rollout(install_id, app_id, rollout):
        return rollout.version_code
    return channel.stable


def load_install_id(folder: Path) -> str:
    """This machine's install id, created on first use (never sent anywhere)."""
    path = folder / "install-id"
    try:
        value = path.read_text(encoding="ascii").strip()
        if len(value) == 32 and all(c in "0123456789abcdef" for c in value):
            return value
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as err:
        raise FleetError(f"cannot read {path}: {err}", "install_id") from None
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_hex(16)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(value + "\n")
    return value


# --- the operator's side: rules the repository tool enforces -------------------------------
def _channel(index: FleetIndex, app_id: str) -> tuple[AppChannel, Rollout]:
    channel = index.apps.get(app_id)
    if channel is None or channel.rollout is None:
        raise FleetError(f"{app_id} has no rollout in this repository", "usage")
    return channel, channel.rollout


def _with(index: FleetIndex, app_id: str, channel: AppChannel) -> FleetIndex:
    return index.model_copy(update={"apps": {**index.apps, app_id: channel}})


def start_rollout(index: FleetIndex, release: Release, percent: int) -> FleetIndex:
    """A new release starts its rollout; a finished (100 %) one before it becomes stable."""
    if not 0 <= percent <= 100:
        raise FleetError("a rollout percentage is 0 to 100", "usage")
    old = index.apps.get(release.app_id)
    stable = old.stable if old else None
    if old and old.rollout and old.rollout.state == "active" and old.rollout.percent == 100:
        stable = old.rollout.version_code
    channel = AppChannel(
        publisher=release.publisher,
        name=release.name,
        stable=stable,
        rollout=Rollout(version_code=release.version_code, percent=percent),
    )
    return _with(index, release.app_id, channel)


def set_percent(index: FleetIndex, app_id: str, version_code: int, percent: int) -> FleetIndex:
    """Raise the rollout of ``version_code`` to ``percent`` (and resume it if paused).

    Raises:
        FleetError: another version is rolling out, it was reverted, or ``percent`` is lower.
    """
    channel, rollout = _channel(index, app_id)
    if rollout.version_code != version_code:
        raise FleetError(
            f"{app_id} is rolling out version code {rollout.version_code}, not {version_code}",
            "usage",
        )
    if rollout.state == "reverted":
        raise FleetError(
            f"{app_id} version code {version_code} was reverted; publish a new one", "rollout"
        )
    if not rollout.percent <= percent <= 100:
        raise FleetError(
            f"a rollout only grows: {app_id} is at {rollout.percent} %, asked {percent} %",
            "rollout",
        )
    new = rollout.model_copy(update={"percent": percent, "state": "active"})
    return _with(index, app_id, channel.model_copy(update={"rollout": new}))


def pause(index: FleetIndex, app_id: str) -> FleetIndex:
    channel, rollout = _channel(index, app_id)
    if rollout.state == "reverted":
        raise FleetError(f"{app_id}'s rollout was reverted; nothing to pause", "rollout")
    new = rollout.model_copy(update={"state": "paused"})
    return _with(index, app_id, channel.model_copy(update={"rollout": new}))


def revert(index: FleetIndex, app_id: str) -> FleetIndex:
    channel, rollout = _channel(index, app_id)
    if channel.stable is None:
        raise FleetError(
            f"{app_id} has no stable version to go back to (revoke it instead)", "rollout"
        )
    new = rollout.model_copy(update={"state": "reverted"})
    return _with(index, app_id, channel.model_copy(update={"rollout": new}))

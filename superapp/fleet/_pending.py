"""Updates waiting for the user's consent (new capabilities), kept verified on disk.

A poll that finds an update declaring capabilities the installed version does not, downloads
and verifies it (TUF and the bundle signature) and keeps it as
``<data>/fleet/pending/<app_id>.sapp``; nothing of it runs. When the user next launches the
app, the host asks (its own consent prompt, one question per new capability, quoting the new
manifest's signed reason); on "allow" the bundle is verified again and installed (the old one
kept for rollback); on "deny" the installed version runs and the update keeps waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from superapp.bundles import TrustStore, VerifiedBundle, verify_bundle
from superapp.core.errors import FleetError, NotInstalledError, SuperappError
from superapp.core.files import atomic_write
from superapp.core.paths import Paths
from superapp.fleet._client import fleet_dir
from superapp.state import registry

__all__ = ["PendingUpdate", "discard_pending", "keep_pending", "load_pending"]


@dataclass(frozen=True)
class PendingUpdate:
    app_id: str
    bundle: VerifiedBundle
    #: The bundle's bytes, exactly as verified (installed as they are).
    data: bytes
    from_version: str
    #: ``(capability, the new manifest's reason)`` for each capability the update adds.
    added: tuple[tuple[str, str], ...]


def _path(paths: Paths, app_id: str) -> Path:
    paths.app_dir(app_id)  # validates the id (it names a file)
    return fleet_dir(paths) / "pending" / f"{app_id}.sapp"


def keep_pending(paths: Paths, app_id: str, data: bytes) -> None:
    path = _path(paths, app_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, data, mode=0o600)


def discard_pending(paths: Paths, app_id: str) -> None:
    _path(paths, app_id).unlink(missing_ok=True)


def load_pending(paths: Paths, app_id: str) -> PendingUpdate | None:
    """The waiting update of ``app_id``, verified again now; None if there is none (or it is
    no longer newer than what is installed, or no longer verifies: then it is discarded).
    """
    path = _path(paths, app_id)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise FleetError(
            f"cannot read the waiting update of {app_id}: {err.strerror}", "store"
        ) from None
    try:
        have = registry.get_app(paths, app_id)
        bundle = verify_bundle(data, TrustStore(paths))
    except (NotInstalledError, SuperappError):
        discard_pending(paths, app_id)
        return None
    m = bundle.manifest
    if m.app_id != app_id or m.version.code <= have.version_code:
        discard_pending(paths, app_id)
        return None
    reasons = {p.name: p.reason or "" for p in m.req_permissions}
    added = tuple(
        (c, reasons.get(c, ""))
        for c in sorted(m.declared_capabilities - have.declared_capabilities)
    )
    return PendingUpdate(app_id, bundle, data, have.version_name, added)

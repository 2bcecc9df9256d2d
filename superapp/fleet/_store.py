"""The store: install, update and roll back mini-apps from the repository, on this host.

An install or update, in this order (each step refuses with an audited ``FleetError`` and
then nothing is installed or changed):

1. poll (``FleetClient.session``: TUF's whole client workflow);
2. the version this host wants (``wanted_version``: stable, or the rollout's version when this
   machine's install id falls in the percentage);
3. the kill switch: a revoked app, version, publisher key or bundle digest is never fetched;
4. the release's target info through its publisher's terminating delegation, and the bundle
   downloaded against the length and hash that role signed;
5. the bundle signature against this host's trust store (independent of TUF), and the bundle
   must be what the release says: same app id, version code, bundle key and capabilities;
6. consent: an update declaring capabilities the installed version does not waits (``pending``)
   until the user accepts the diff; nothing of it runs before;
7. the installed bundle is kept as ``fleet-previous.sapp`` in the app's folder, then the new one
   is installed; ``rollback`` reinstalls the kept one (its data is untouched either way).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from superapp.audit import AuditLog
from superapp.bundles import BUNDLE_FILE, TrustStore, install_bundle, verify_bundle
from superapp.core.errors import FleetError, NotInstalledError, SuperappError
from superapp.core.files import atomic_write
from superapp.core.paths import Paths
from superapp.fleet._client import FleetClient, FleetSession, FleetState, fleet_dir
from superapp.fleet._pending import discard_pending, keep_pending, load_pending
from superapp.fleet._rollout import load_install_id, wanted_version
from superapp.policy import HostPolicy
from superapp.state import registry
from superapp.state.registry import InstalledApp

__all__ = ["PREVIOUS_FILE", "CapabilityDiff", "Outcome", "Store", "revoked_hit"]

PREVIOUS_FILE = "fleet-previous.sapp"

#: Asked before an update that declares new capabilities runs: True installs it.
ConsentToUpdate = Callable[["CapabilityDiff"], bool]


@dataclass(frozen=True)
class CapabilityDiff:
    app_id: str
    name: str
    from_version: str
    to_version: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    app_id: str
    status: Literal[
        "installed",
        "updated",
        "rolled_back",
        "unchanged",
        "pending",
        "revoked",
        "unavailable",
        "failed",
    ]
    message: str
    version_code: int | None = None
    diff: CapabilityDiff | None = None


def revoked_hit(state: FleetState | None, app: InstalledApp) -> str | None:
    """Why the held revocation list switches ``app`` off, or None."""
    if state is None:
        return None
    for entry in state.revocations:
        if entry.matches(app.app_id, app.version_code, app.key_id, app.digest):
            return entry.describe()
    return None


def _installed(paths: Paths, app_id: str) -> InstalledApp | None:
    try:
        return registry.get_app(paths, app_id)
    except NotInstalledError:
        return None


class Store:
    def __init__(
        self, paths: Paths, policy: HostPolicy, audit: AuditLog, **client_kw: object
    ) -> None:
        self.paths = paths
        self.audit = audit
        self.client = FleetClient(paths, policy.fleet, audit, **client_kw)  # type: ignore[arg-type]
        self.install_id = load_install_id(fleet_dir(paths))

    def catalog(self, session: FleetSession) -> list[tuple[str, str, int | None, int | None]]:
        """``(app_id, name, installed code, code this host would get)`` for every app."""
        rows = []
        for app_id, channel in sorted(session.state.index.apps.items()):
            have = _installed(self.paths, app_id)
            code = have.version_code if have else None
            rows.append(
                (app_id, channel.name, code, wanted_version(channel, self.install_id, app_id, code))
            )
        return rows

    def install(self, app_id: str, consent: ConsentToUpdate | None = None) -> Outcome:
        with self.client.session() as session:
            return self.sync(session, app_id, consent, allow_new=True)

    def update_all(
        self, consent: ConsentToUpdate | None = None, session: FleetSession | None = None
    ) -> list[Outcome]:
        """Bring every installed app that the repository knows to the version it wants."""
        if session is None:
            with self.client.session() as own:
                return self.update_all(consent, own)
        out = []
        for app in registry.list_apps(self.paths):
            if app.app_id in session.state.index.apps:
                try:
                    out.append(self.sync(session, app.app_id, consent))
                except SuperappError as err:  # refused and audited where it was refused
                    out.append(Outcome(app.app_id, "failed", str(err)))
        return out

    def sync(
        self,
        session: FleetSession,
        app_id: str,
        consent: ConsentToUpdate | None,
        *,
        allow_new: bool = False,
    ) -> Outcome:
        channel = session.state.index.apps.get(app_id)
        if channel is None:
            raise FleetError(f"{app_id} is not in the repository", "not_found")
        have = _installed(self.paths, app_id)
        if have is None and not allow_new:
            return Outcome(app_id, "unavailable", f"{app_id} is not installed")
        code = wanted_version(channel, self.install_id, app_id, have.version_code if have else None)
        if code is None:
            return Outcome(app_id, "unavailable", f"{app_id} is not yet released to this machine")
        if have is not None and have.version_code == code:
            return Outcome(app_id, "unchanged", f"{app_id} is at version code {code}", code)
        if have is not None and code < have.version_code and self._kept_code(app_id) == code:
            return self.rollback(app_id, reason="the repository reverted the rollout")
        info, release = session.release(app_id, code)
        for entry in session.state.revocations:
            if entry.matches(app_id, code, release.bundle_key, info.hashes.get("sha256")):
                self.audit.record(
                    "fleet.install_refused", app_id=app_id, outcome="failure",
                    reason=f"revoked: {entry.describe()}", rule="revoked", version_code=code,
                )  # fmt: skip
                return Outcome(
                    app_id,
                    "revoked",
                    f"{app_id} version code {code} is revoked: {entry.describe()}",
                )
        data = session.download(info, app_id)
        try:
            bundle = verify_bundle(data, TrustStore(self.paths))
        except SuperappError as err:
            raise self.client.refuse(
                f"{app_id} {code}: the bundle signature check failed: {err}", "bundle", app_id
            ) from None
        m = bundle.manifest
        if (m.app_id, m.version.code, bundle.key_id, tuple(sorted(m.declared_capabilities))) != (
            app_id,
            code,
            release.bundle_key,
            release.capabilities,
        ):
            raise self.client.refuse(
                f"{app_id} {code}: the bundle is not the release its publisher signed",
                "bundle",
                app_id,
            )
        diff = None
        if have is not None:
            added = tuple(sorted(m.declared_capabilities - have.declared_capabilities))
            removed = tuple(sorted(have.declared_capabilities - m.declared_capabilities))
            diff = CapabilityDiff(app_id, m.name, have.version_name, m.version.name, added, removed)
            if added and not (consent is not None and consent(diff)):
                keep_pending(self.paths, app_id, data)
                self.audit.record(
                    "fleet.update_pending", app_id=app_id, outcome="unknown",
                    reason=f"version {m.version.name} asks for: {', '.join(added)}",
                    version_code=code, added=list(added),
                )  # fmt: skip
                return Outcome(
                    app_id,
                    "pending",
                    f"{m.name} {m.version.name} waits for your consent to: {', '.join(added)}",
                    code,
                    diff,
                )
            keep_previous(self.paths, app_id)
        discard_pending(self.paths, app_id)
        result = install_bundle(
            self.paths, data, allow_downgrade=have is not None and code < have.version_code
        )
        status: Literal["installed", "updated"] = "installed" if have is None else "updated"
        self.audit.record(
            f"fleet.{status}", app_id=app_id, outcome="success",
            reason=f"{result.name} {result.version_name} (code {code}) from the repository",
            version_code=code, previous_version_code=have.version_code if have else None,
            consented=list(diff.added) if diff else [],
        )  # fmt: skip
        return Outcome(app_id, status, f"{result.name} {result.version_name} {status}", code, diff)

    def apply_pending(self, app_id: str) -> Outcome:
        """Install the update waiting for consent (the user said yes), verified again.

        Raises:
            FleetError: nothing waits, or the held list revokes it.
        """
        return apply_pending(self.paths, self.audit, app_id)

    # --- keeping the previous version ------------------------------------------------------
    def _kept_code(self, app_id: str) -> int | None:
        kept = self.paths.app_dir(app_id) / PREVIOUS_FILE
        try:
            return verify_bundle(kept.read_bytes(), TrustStore(self.paths)).manifest.version.code
        except (OSError, SuperappError):
            return None

    def rollback(self, app_id: str, reason: str = "the user asked") -> Outcome:
        """Reinstall the kept previous version (verified again); the app's data stays.

        Raises:
            FleetError: nothing kept for this app, or it no longer verifies.
        """
        have = _installed(self.paths, app_id)
        kept = self.paths.app_dir(app_id) / PREVIOUS_FILE
        if have is None or not kept.exists():
            raise FleetError(f"no previous version of {app_id} is kept", "rollback")
        state = self.client.load_state()
        try:
            data = kept.read_bytes()
            bundle = verify_bundle(data, TrustStore(self.paths))
        except (OSError, SuperappError) as err:
            raise self.client.refuse(
                f"the kept version of {app_id} does not verify: {err}", "bundle", app_id
            ) from None
        if state is not None:
            for entry in state.revocations:
                if entry.matches(
                    app_id, bundle.manifest.version.code, bundle.key_id, bundle.digest
                ):
                    raise self.client.refuse(
                        f"the kept version of {app_id} is revoked: {entry.describe()}",
                        "revoked",
                        app_id,
                    )
        current = (self.paths.app_bundle(app_id) / BUNDLE_FILE).read_bytes()
        result = install_bundle(self.paths, data, allow_downgrade=True)
        # The version rolled back from becomes the kept one, so the rollback is undoable too.
        atomic_write(kept, current, mode=0o400)
        os.chmod(kept, 0o400)
        self.audit.record(
            "fleet.rolled_back", app_id=app_id, outcome="success",
            reason=f"back to {result.version_name} (code {result.version_code}): {reason}",
            version_code=result.version_code, previous_version_code=have.version_code,
        )  # fmt: skip
        return Outcome(
            app_id,
            "rolled_back",
            f"{result.name} is back on {result.version_name}",
            result.version_code,
        )


def keep_previous(paths: Paths, app_id: str) -> None:
    """Copy the installed bundle aside, so a rollback is one step and needs no network."""
    current = paths.app_bundle(app_id) / BUNDLE_FILE
    kept = paths.app_dir(app_id) / PREVIOUS_FILE
    try:
        atomic_write(kept, current.read_bytes(), mode=0o400)
    except OSError as err:
        raise FleetError(
            f"cannot keep the previous version of {app_id}: {err.strerror}", "store"
        ) from None


def apply_pending(paths: Paths, audit: AuditLog, app_id: str) -> Outcome:
    """Install ``app_id``'s waiting update after the user accepted it (no network needed).

    Raises:
        FleetError: nothing waits, or the held revocation list switches it off.
    """
    pending = load_pending(paths, app_id)
    if pending is None:
        raise FleetError(f"no update of {app_id} is waiting", "not_found")
    b = pending.bundle
    state = FleetClient.held_state(paths, audit)
    if state is not None:
        for entry in state.revocations:
            if entry.matches(app_id, b.manifest.version.code, b.key_id, b.digest):
                discard_pending(paths, app_id)
                raise FleetError(f"the waiting update is revoked: {entry.describe()}", "revoked")
    keep_previous(paths, app_id)
    result = install_bundle(paths, pending.data)
    discard_pending(paths, app_id)
    added = [c for c, _ in pending.added]
    audit.record(
        "fleet.updated", app_id=app_id, outcome="success",
        reason=f"{result.name} {result.version_name} after the user allowed: {', '.join(added)}",
        version_code=result.version_code, consented=added,
    )  # fmt: skip
    return Outcome(
        app_id, "updated", f"{result.name} {result.version_name} updated", result.version_code
    )

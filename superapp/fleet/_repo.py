"""The repository side: TUF metadata over static files, written by ``superapp repo``.

Layout of the published folder (serve it as it is from any static host or CDN)::

    metadata/1.root.json, 2.root.json …     every root version (clients walk rotations)
    metadata/timestamp.json                  the only file fetched unversioned
    metadata/N.snapshot.json, N.targets.json, N.fleet.json, N.<publisher>.json
    metadata/<role>.json                     the newest copy, for this tool's own reading
    targets/<app_id>/<sha256>.<code>.sapp    bundles (consistent snapshots: hash-prefixed)
    targets/_fleet/<sha256>.index.json …     the fleet role's targets (also in its metadata)

Roles: ``root`` (offline), ``timestamp`` and ``snapshot`` (online, short-lived), ``targets``
(delegates, never lists bundles itself), ``fleet`` (the operator's short-lived role: the index
of stable versions and rollouts, and the revocation list) and one role per publisher,
delegated the app ids it owns and signed by the publisher's own key. Delegations are
terminating, so a publisher can never answer for a path delegated to someone else.

Every change bumps the changed role, then snapshot, then timestamp, in that order, so a client
never sees a timestamp naming a snapshot that is not there yet (files are written before the
timestamp that names them).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from securesystemslib.signer import Signer, SSlibKey
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from superapp.bundles import TrustStore, load_private_key, verify_bundle
from superapp.core.canon import canonical_json
from superapp.core.errors import FleetError, SuperappError
from superapp.core.files import atomic_write
from superapp.core.paths import Paths
from superapp.fleet._keys import generate_key, signer_from_file
from superapp.fleet._model import (
    INDEX_PATH,
    REVOCATIONS_PATH,
    FleetIndex,
    Release,
    Revocations,
    release_path,
)

__all__ = [
    "DEFAULT_EXPIRY",
    "TOP_ROLES",
    "Expiry",
    "Repository",
    "init_repository",
]

_T = TypeVar("_T", Targets, Snapshot, Timestamp)
TOP_ROLES = ("root", "targets", "snapshot", "timestamp")
FLEET_ROLE = "fleet"
_RESERVED = {*TOP_ROLES, FLEET_ROLE}
_PUBLISHER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_SERIALIZER = JSONSerializer(compact=True)


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
        value = getattr(self, role, None) if role in _RESERVED else self.publisher
        if not isinstance(value, timedelta):  # pragma: no cover - roles are fixed above
            raise RuntimeError(role)
        return value


DEFAULT_EXPIRY = Expiry()


def _fresh(signed: _T) -> _T:
    # New metadata starts at version 0 here because every commit bumps before signing.
    signed.version = 0
    return signed


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def init_repository(
    repo_dir: Path, keys_dir: Path, *, expiry: Expiry = DEFAULT_EXPIRY
) -> Repository:
    """Create a new repository: role keys in ``keys_dir`` (existing ones are reused), root v1,
    empty targets, fleet, snapshot and timestamp.

    Raises:
        FleetError: ``repo_dir`` already holds a repository, or a key cannot be written.
    """
    meta = repo_dir / "metadata"
    if (meta / "1.root.json").exists():
        raise FleetError(f"{repo_dir} already holds a repository", "init")
    keys: dict[str, SSlibKey] = {}
    for role in (*TOP_ROLES, FLEET_ROLE):
        path = keys_dir / f"{role}.pem"
        keys[role] = signer_from_file(path).public_key if path.exists() else generate_key(path)
    (repo_dir / "targets").mkdir(parents=True, exist_ok=True)
    meta.mkdir(parents=True, exist_ok=True)
    now = _now()
    root = Root(expires=now + expiry.root, consistent_snapshot=True)
    for role in TOP_ROLES:
        root.add_key(keys[role], role)
    repo = Repository(repo_dir, keys_dir, expiry=expiry)
    repo._sign_and_save(Metadata(root), "root", [repo._signer("root")])
    targets = _fresh(Targets(expires=now))
    fleet_role = DelegatedRole(FLEET_ROLE, [keys[FLEET_ROLE].keyid], 1, True, paths=["_fleet/*"])
    targets.delegations = Delegations(
        keys={keys[FLEET_ROLE].keyid: keys[FLEET_ROLE]}, roles={FLEET_ROLE: fleet_role}
    )
    fleet = _fresh(Targets(expires=now))
    repo._set_fleet_targets(fleet, FleetIndex(), Revocations())
    repo._commit({"targets": Metadata(targets), FLEET_ROLE: Metadata(fleet)}, new_snapshot=True)
    return repo


class Repository:
    """One repository folder and the folder of its role keys (``<role>.pem``)."""

    def __init__(self, repo_dir: Path, keys_dir: Path, *, expiry: Expiry = DEFAULT_EXPIRY) -> None:
        self.dir = repo_dir
        self.meta = repo_dir / "metadata"
        self.targets_dir = repo_dir / "targets"
        self.keys_dir = keys_dir
        self.expiry = expiry

    # --- reading and writing metadata -----------------------------------------------------
    def load(self, role: str) -> Metadata:  # type: ignore[type-arg]
        """The newest metadata of ``role``.

        Raises:
            FleetError: no repository here, or the file is unreadable.
        """
        path = self.meta / f"{role}.json"
        try:
            return Metadata.from_bytes(path.read_bytes())
        except FileNotFoundError:
            what = "repository" if role == "root" else f"role {role!r}"
            raise FleetError(f"no {what} in {self.dir} (superapp repo init)", "repo") from None
        except (OSError, ValueError) as err:
            raise FleetError(f"cannot read {path}: {err}", "repo") from None

    def _signer(self, role: str) -> Signer:
        return signer_from_file(self.keys_dir / f"{role}.pem")

    def _sign_and_save(self, md: Metadata, role: str, signers: Iterable[Signer]) -> bytes:  # type: ignore[type-arg]
        md.signatures.clear()
        for signer in signers:
            md.sign(signer, append=True)
        data = md.to_bytes(_SERIALIZER)
        if role != "timestamp":
            atomic_write(self.meta / f"{md.signed.version}.{role}.json", data, mode=0o644)
        atomic_write(self.meta / f"{role}.json", data, mode=0o644)
        return data

    def _commit(
        self,
        changed: dict[str, Metadata],  # type: ignore[type-arg]
        *,
        signers: dict[str, Signer] | None = None,
        unsigned: Iterable[str] = (),
        new_snapshot: bool = False,
    ) -> None:
        """Bump and sign each changed targets role, then snapshot, then timestamp."""
        now = _now()
        snapshot = (
            Metadata(_fresh(Snapshot(expires=now))) if new_snapshot else self.load("snapshot")
        )
        blank = set(unsigned)
        for role, md in changed.items():
            md.signed.version += 1
            md.signed.expires = now + self.expiry.of(role)
            signer = [] if role in blank else [(signers or {}).get(role) or self._signer(role)]
            data = self._sign_and_save(md, role, signer)
            snapshot.signed.meta[f"{role}.json"] = MetaFile(
                version=md.signed.version,
                length=len(data),
                hashes={"sha256": hashlib.sha256(data).hexdigest()},
            )
        self._bump_snapshot_and_timestamp(snapshot, now)

    def _bump_snapshot_and_timestamp(self, snapshot: Metadata, now: datetime) -> None:  # type: ignore[type-arg]
        snapshot.signed.version += 1
        snapshot.signed.expires = now + self.expiry.snapshot
        data = self._sign_and_save(snapshot, "snapshot", [self._signer("snapshot")])
        try:
            timestamp = self.load("timestamp")
        except FleetError:
            timestamp = Metadata(_fresh(Timestamp(expires=now)))
        timestamp.signed.version += 1
        timestamp.signed.expires = now + self.expiry.timestamp
        timestamp.signed.snapshot_meta = MetaFile(
            version=snapshot.signed.version,
            length=len(data),
            hashes={"sha256": hashlib.sha256(data).hexdigest()},
        )
        self._sign_and_save(timestamp, "timestamp", [self._signer("timestamp")])

    def refresh(self) -> None:
        """Re-sign ``fleet``, ``snapshot`` and ``timestamp`` with fresh expiry (run daily)."""
        self._commit({FLEET_ROLE: self.load(FLEET_ROLE)})

    # --- the fleet role's content ----------------------------------------------------------
    def _write_target(self, path: str, data: bytes) -> TargetFile:
        target = TargetFile.from_data(path, data, ["sha256"])
        folder, _, base = path.rpartition("/")
        out = self.targets_dir / folder / f"{target.hashes['sha256']}.{base}"
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, data, mode=0o644)
        return target

    def _set_fleet_targets(self, fleet: Targets, index: FleetIndex, revs: Revocations) -> None:
        for path, model in ((INDEX_PATH, index), (REVOCATIONS_PATH, revs)):
            custom = model.model_dump(mode="json", exclude_defaults=False)
            target = self._write_target(path, canonical_json(custom))
            target.unrecognized_fields["custom"] = custom
            fleet.targets[path] = target

    def fleet_state(self) -> tuple[FleetIndex, Revocations]:
        fleet = self.load(FLEET_ROLE).signed
        index = FleetIndex.model_validate(fleet.targets[INDEX_PATH].custom)
        revs = Revocations.model_validate(fleet.targets[REVOCATIONS_PATH].custom)
        return index, revs

    def save_fleet(self, index: FleetIndex, revs: Revocations) -> None:
        md = self.load(FLEET_ROLE)
        self._set_fleet_targets(md.signed, index, revs)
        self._commit({FLEET_ROLE: md})

    # --- publishers ------------------------------------------------------------------------
    def publishers(self) -> dict[str, DelegatedRole]:
        roles = self.load("targets").signed.delegations
        _need(roles)
        return {name: r for name, r in roles.roles.items() if name != FLEET_ROLE}

    def add_publisher(self, name: str, key: SSlibKey, apps: list[str]) -> None:
        """Delegate ``apps`` (app ids or patterns like ``com.example.*``) to ``name``'s key.

        Raises:
            FleetError: a bad or taken name, no apps, or an app pattern another publisher owns.
        """
        if not _PUBLISHER_RE.fullmatch(name) or name in _RESERVED:
            raise FleetError(
                f"publisher name {name!r} must be 1-63 of a-z 0-9 - (not a role name)", "usage"
            )
        if not apps:
            raise FleetError("a publisher needs at least one app id (--app)", "usage")
        existing = self.publishers()
        if name in existing:
            raise FleetError(f"publisher {name!r} already exists (rotate-publisher)", "usage")
        for other, role in existing.items():
            for pattern in role.paths or ():
                owned = pattern.removesuffix("/*")
                for app in apps:
                    if fnmatch.fnmatchcase(app, owned) or fnmatch.fnmatchcase(owned, app):
                        raise FleetError(f"{app} overlaps {owned} of publisher {other!r}", "usage")
        md = self.load("targets")
        delegations = md.signed.delegations
        _need(delegations)
        delegations.keys[key.keyid] = key
        delegations.roles[name] = DelegatedRole(
            name, [key.keyid], 1, True, paths=[f"{app}/*" for app in apps]
        )
        # The publisher's own role is first written (and signed by its key) at its first publish.
        self._commit({"targets": md})

    def rotate_publisher(self, name: str, new_key_file: Path) -> None:
        """Replace ``name``'s key; its role is re-signed with the new key at once."""
        signer = signer_from_file(new_key_file)
        new_key = signer.public_key
        md = self.load("targets")
        role = self._publisher_role(md, name)
        delegations = md.signed.delegations
        _need(delegations)
        for old in role.keyids:
            delegations.keys.pop(old, None)
        delegations.keys[new_key.keyid] = new_key
        role.keyids = [new_key.keyid]
        changed = {"targets": md}
        if (self.meta / f"{name}.json").exists():
            changed[name] = self.load(name)
        self._commit(changed, signers={name: signer})

    def revoke_publisher(self, name: str) -> None:
        """Remove ``name``'s delegation: nothing its key signs is trusted from the next poll."""
        md = self.load("targets")
        role = self._publisher_role(md, name)
        delegations = md.signed.delegations
        _need(delegations)
        for keyid in role.keyids:
            delegations.keys.pop(keyid, None)
        del delegations.roles[name]
        # TUF forbids a snapshot that drops a role hosts have seen ("missing info"): the role
        # stays listed, emptied and signed by nobody. No delegation points at it, so no host
        # loads it; a publisher re-added under this name starts from it, above its version.
        changed = {"targets": md}
        if (self.meta / f"{name}.json").exists():
            old = self.load(name)
            old.signed.targets.clear()
            changed[name] = old
        self._commit(changed, unsigned=[name])

    def _publisher_role(self, md: Metadata, name: str) -> DelegatedRole:  # type: ignore[type-arg]
        roles = md.signed.delegations.roles if md.signed.delegations else None
        if not roles or name not in roles or name == FLEET_ROLE:
            raise FleetError(f"no publisher {name!r} in this repository", "usage")
        role: DelegatedRole = roles[name]
        return role

    # --- publishing ------------------------------------------------------------------------
    def publish(
        self, bundle: bytes, publisher: str, key_file: Path, *, rollout: int = 0
    ) -> Release:
        """Add a bundle to ``publisher``'s role and start its rollout at ``rollout`` %.

        The bundle must verify with the publisher's own key (the bundle signature is the
        second, independent check hosts make).

        Raises:
            FleetError: the bundle does not verify, is not the publisher's, or is not newer.
        """
        signer = signer_from_file(key_file)
        md = self.load("targets")
        role = self._publisher_role(md, publisher)
        public = load_private_key(key_file).public_key()
        if signer.public_key.keyid not in role.keyids:
            raise FleetError(f"{key_file} is not publisher {publisher!r}'s current key", "key")
        with tempfile.TemporaryDirectory(prefix="superapp-publish-") as tmp:
            paths = Paths(Path(tmp), Path(tmp), Path(tmp), Path(tmp))
            TrustStore(paths).add(public, publisher)
            try:
                verified = verify_bundle(bundle, TrustStore(paths))
            except SuperappError as err:
                raise FleetError(
                    f"the bundle does not verify with {publisher}'s key: {err}", "bundle"
                ) from None
        manifest = verified.manifest
        app_id, code = manifest.app_id, manifest.version.code
        path = release_path(app_id, code)
        if not role.is_delegated_path(path):
            raise FleetError(f"{app_id} is not delegated to publisher {publisher!r}", "delegation")
        index, revs = self.fleet_state()
        channel = index.apps.get(app_id)
        try:
            pmd = self.load(publisher)
        except FleetError:
            pmd = Metadata(_fresh(Targets(expires=_now())))
        if path in pmd.signed.targets:
            raise FleetError(f"{app_id} version code {code} is already published", "usage")
        latest = max([c for c in _codes(pmd.signed.targets, app_id)], default=-1)
        if code <= latest:
            raise FleetError(
                f"{app_id} version code {code} is not above the published {latest}", "usage"
            )
        if channel is not None and channel.rollout is not None:
            _check_rollout_finished(channel.rollout, app_id)
        release = Release(
            app_id=app_id,
            name=manifest.name,
            version_code=code,
            version_name=manifest.version.name,
            capabilities=tuple(sorted(manifest.declared_capabilities)),
            bundle_key=verified.key_id,
            publisher=publisher,
        )
        target = self._write_target(path, bundle)
        target.unrecognized_fields["custom"] = release.model_dump(mode="json")
        pmd.signed.targets[path] = target
        from superapp.fleet._rollout import start_rollout

        index = start_rollout(index, release, rollout)
        fleet = self.load(FLEET_ROLE)
        self._set_fleet_targets(fleet.signed, index, revs)
        self._commit({publisher: pmd, FLEET_ROLE: fleet}, signers={publisher: signer})
        return release


def _need(delegations: Delegations | None) -> None:
    if delegations is None or delegations.roles is None:
        raise FleetError("the targets role has no delegations (not made by superapp repo)", "repo")


def _codes(targets: dict[str, TargetFile], app_id: str) -> list[int]:
    out = []
    for path in targets:
        folder, _, base = path.rpartition("/")
        if folder == app_id and base.endswith(".sapp") and base[:-5].isdigit():
            out.append(int(base[:-5]))
    return out


def _check_rollout_finished(rollout: object, app_id: str) -> None:
    from superapp.fleet._model import Rollout

    if not isinstance(rollout, Rollout):
        raise TypeError(rollout)
    if rollout.state == "reverted" or (rollout.state == "active" and rollout.percent == 100):
        return
    raise FleetError(
        f"{app_id} version code {rollout.version_code} is at {rollout.percent} % "
        f"({rollout.state}): take it to 100 % or revert it before publishing another",
        "rollout",
    )

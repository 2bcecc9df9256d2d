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

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

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

from superapp.core.canon import canonical_json
from superapp.core.errors import FleetError
from superapp.core.files import atomic_write
from superapp.fleet import _publish, _publishers
from superapp.fleet._keys import signer_from_file
from superapp.fleet._model import (
    INDEX_PATH,
    REVOCATIONS_PATH,
    FleetIndex,
    Release,
    Revocations,
)
from superapp.fleet._roles import (
    DEFAULT_EXPIRY,
    FLEET_ROLE,
    SERIALIZER,
    TOP_ROLES,
    Expiry,
    fresh,
)
from superapp.fleet._roles import now as _now
from superapp.fleet._roots import find_signers, init_keys

__all__ = [
    "DEFAULT_EXPIRY",
    "TOP_ROLES",
    "Expiry",
    "Repository",
    "init_repository",
]

# Kept under its old name: tests read metadata with the repository's own serializer.
_SERIALIZER = SERIALIZER


def init_repository(
    repo_dir: Path,
    keys_dir: Path,
    *,
    expiry: Expiry = DEFAULT_EXPIRY,
    thresholds: Mapping[str, int] | None = None,
) -> Repository:
    """Create a new repository: role keys in ``keys_dir`` (existing ones are reused), root v1,
    empty targets, fleet, snapshot and timestamp. ``thresholds``: role → how many of its keys
    must sign (default 1 each; ``_roots``); that many keys are made per role.

    Raises:
        FleetError: ``repo_dir`` already holds a repository, or a key cannot be written.
    """
    meta = repo_dir / "metadata"
    if (meta / "1.root.json").exists():
        raise FleetError(f"{repo_dir} already holds a repository", "init")
    thresholds = dict(thresholds or {})
    keys: dict[str, list[SSlibKey]] = init_keys(keys_dir, thresholds)
    (repo_dir / "targets").mkdir(parents=True, exist_ok=True)
    meta.mkdir(parents=True, exist_ok=True)
    now = _now()
    root = Root(expires=now + expiry.root, consistent_snapshot=True)
    for role in TOP_ROLES:
        for key in keys[role]:
            root.add_key(key, role)
        root.roles[role].threshold = thresholds.get(role, 1)
    repo = Repository(repo_dir, keys_dir, expiry=expiry)
    repo._sign_and_save(Metadata(root), "root", repo._signers("root", root))
    targets = fresh(Targets(expires=now))
    fleet_keys = keys[FLEET_ROLE]
    fleet_role = DelegatedRole(
        FLEET_ROLE, [k.keyid for k in fleet_keys], thresholds.get(FLEET_ROLE, 1), True,
        paths=["_fleet/*"],
    )  # fmt: skip
    targets.delegations = Delegations(
        keys={k.keyid: k for k in fleet_keys}, roles={FLEET_ROLE: fleet_role}
    )
    fleet = fresh(Targets(expires=now))
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

    def _signers(
        self, role: str, root: Root | None = None, targets: Targets | None = None
    ) -> list[Signer]:
        """Every key of ``role`` in the keys folder, at least its threshold of them
        (``_roots.find_signers``); a publisher's role: its one key file.

        Raises:
            FleetError: fewer than the threshold of the role's keys are there.
        """
        if role in TOP_ROLES:
            spec = (root or self.load("root").signed).roles[role]
        elif role == FLEET_ROLE:
            delegations = (targets or self.load("targets").signed).delegations
            roles = delegations.roles if delegations is not None else None
            if not roles or FLEET_ROLE not in roles:
                raise FleetError("the targets role delegates no fleet role", "repo")
            spec = roles[FLEET_ROLE]
        else:
            return [self._signer(role)]
        return list(find_signers(self.keys_dir, role, spec.keyids, spec.threshold))

    def save_root(self, md: Metadata[Root]) -> None:
        """Write a new root version, already signed (``_roots.rotate_root``)."""
        self._sign_and_save(md, "root", [], keep_signatures=True)

    def _sign_and_save(
        self,
        md: Metadata,  # type: ignore[type-arg]
        role: str,
        signers: Iterable[Signer],
        *,
        keep_signatures: bool = False,
    ) -> bytes:
        if not keep_signatures:
            md.signatures.clear()
        for signer in signers:
            md.sign(signer, append=True)
        data = md.to_bytes(SERIALIZER)
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
        snapshot = Metadata(fresh(Snapshot(expires=now))) if new_snapshot else self.load("snapshot")
        blank = set(unsigned)
        # Every key is found before anything is written: a role short of its threshold of
        # keys fails the command, not half of it.
        keys: dict[str, list[Signer]] = {}
        for role in (*changed, "snapshot", "timestamp"):
            if role in blank:
                continue  # written unsigned (a revoked publisher's emptied role)
            given = (signers or {}).get(role)
            new_targets = changed["targets"].signed if "targets" in changed else None
            keys[role] = [given] if given else self._signers(role, targets=new_targets)
        for role, md in changed.items():
            md.signed.version += 1
            md.signed.expires = now + self.expiry.of(role)
            data = self._sign_and_save(md, role, keys.get(role, []))
            snapshot.signed.meta[f"{role}.json"] = MetaFile(
                version=md.signed.version,
                length=len(data),
                hashes={"sha256": hashlib.sha256(data).hexdigest()},
            )
        self._bump_snapshot_and_timestamp(snapshot, now, keys)

    def _bump_snapshot_and_timestamp(
        self,
        snapshot: Metadata,  # type: ignore[type-arg]
        now: datetime,
        keys: dict[str, list[Signer]],
    ) -> None:
        snapshot.signed.version += 1
        snapshot.signed.expires = now + self.expiry.snapshot
        data = self._sign_and_save(snapshot, "snapshot", keys["snapshot"])
        try:
            timestamp = self.load("timestamp")
        except FleetError:
            timestamp = Metadata(fresh(Timestamp(expires=now)))
        timestamp.signed.version += 1
        timestamp.signed.expires = now + self.expiry.timestamp
        timestamp.signed.snapshot_meta = MetaFile(
            version=snapshot.signed.version,
            length=len(data),
            hashes={"sha256": hashlib.sha256(data).hexdigest()},
        )
        self._sign_and_save(timestamp, "timestamp", keys["timestamp"])

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
        return _publishers.publishers(self)

    def add_publisher(self, name: str, key: SSlibKey, apps: list[str]) -> None:
        """Delegate ``apps`` (app ids or patterns like ``com.example.*``) to ``name``'s key.

        Raises:
            FleetError: a bad or taken name, no apps, or an app pattern another publisher owns.
        """
        _publishers.add_publisher(self, name, key, apps)

    def rotate_publisher(self, name: str, new_key_file: Path) -> None:
        """Replace ``name``'s key; its role is re-signed with the new key at once."""
        _publishers.rotate_publisher(self, name, new_key_file)

    def revoke_publisher(self, name: str) -> None:
        """Remove ``name``'s delegation: nothing its key signs is trusted from the next poll."""
        _publishers.revoke_publisher(self, name)

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
        return _publish.publish(self, bundle, publisher, key_file, rollout=rollout)

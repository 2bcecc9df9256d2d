"""Publishing a bundle into a repository (``Repository.publish`` calls here): checked against
the publisher's own key and delegation, newer than what it published, then a rollout starts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tuf.api.metadata import Metadata, TargetFile, Targets

from superapp.bundles import TrustStore, load_private_key, verify_bundle
from superapp.core.errors import FleetError, SuperappError
from superapp.core.paths import Paths
from superapp.fleet._keys import signer_from_file
from superapp.fleet._model import Release, release_path
from superapp.fleet._publishers import publisher_role
from superapp.fleet._roles import FLEET_ROLE, fresh, now

if TYPE_CHECKING:
    from superapp.fleet._repo import Repository

__all__ = ["publish"]


def publish(
    repo: Repository, bundle: bytes, publisher: str, key_file: Path, *, rollout: int = 0
) -> Release:
    """Add a bundle to ``publisher``'s role and start its rollout at ``rollout`` %.

    The bundle must verify with the publisher's own key (the bundle signature is the
    second, independent check hosts make).

    Raises:
        FleetError: the bundle does not verify, is not the publisher's, or is not newer.
    """
    signer = signer_from_file(key_file)
    md = repo.load("targets")
    role = publisher_role(md, publisher)
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
    index, revs = repo.fleet_state()
    channel = index.apps.get(app_id)
    try:
        pmd = repo.load(publisher)
    except FleetError:
        pmd = Metadata(fresh(Targets(expires=now())))
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
    target = repo._write_target(path, bundle)
    target.unrecognized_fields["custom"] = release.model_dump(mode="json")
    pmd.signed.targets[path] = target
    from superapp.fleet._rollout import start_rollout

    index = start_rollout(index, release, rollout)
    fleet = repo.load(FLEET_ROLE)
    repo._set_fleet_targets(fleet.signed, index, revs)
    repo._commit({publisher: pmd, FLEET_ROLE: fleet}, signers={publisher: signer})
    return release


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

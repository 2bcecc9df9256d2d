"""Publishers of a repository: each a delegated role of ``targets`` owning some app ids,
signed by the publisher's own key (``Repository.add_publisher`` and the rest call here)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import TYPE_CHECKING

from securesystemslib.signer import SSlibKey
from tuf.api.metadata import DelegatedRole, Metadata

from superapp.core.errors import FleetError
from superapp.fleet._keys import signer_from_file
from superapp.fleet._roles import FLEET_ROLE, RESERVED, need

if TYPE_CHECKING:
    from superapp.fleet._repo import Repository

__all__ = ["add_publisher", "publisher_role", "publishers", "revoke_publisher", "rotate_publisher"]

_PUBLISHER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def publishers(repo: Repository) -> dict[str, DelegatedRole]:
    roles = repo.load("targets").signed.delegations
    need(roles)
    return {name: r for name, r in roles.roles.items() if name != FLEET_ROLE}


def add_publisher(repo: Repository, name: str, key: SSlibKey, apps: list[str]) -> None:
    """Delegate ``apps`` (app ids or patterns like ``com.example.*``) to ``name``'s key.

    Raises:
        FleetError: a bad or taken name, no apps, or an app pattern another publisher owns.
    """
    if not _PUBLISHER_RE.fullmatch(name) or name in RESERVED:
        raise FleetError(
            f"publisher name {name!r} must be 1-63 of a-z 0-9 - (not a role name)", "usage"
        )
    if not apps:
        raise FleetError("a publisher needs at least one app id (--app)", "usage")
    existing = publishers(repo)
    if name in existing:
        raise FleetError(f"publisher {name!r} already exists (rotate-publisher)", "usage")
    for other, role in existing.items():
        for pattern in role.paths or ():
            owned = pattern.removesuffix("/*")
            for app in apps:
                if fnmatch.fnmatchcase(app, owned) or fnmatch.fnmatchcase(owned, app):
                    raise FleetError(f"{app} overlaps {owned} of publisher {other!r}", "usage")
    md = repo.load("targets")
    delegations = md.signed.delegations
    need(delegations)
    delegations.keys[key.keyid] = key
    delegations.roles[name] = DelegatedRole(
        name, [key.keyid], 1, True, paths=[f"{app}/*" for app in apps]
    )
    # The publisher's own role is first written (and signed by its key) at its first publish.
    repo._commit({"targets": md})


def rotate_publisher(repo: Repository, name: str, new_key_file: Path) -> None:
    """Replace ``name``'s key; its role is re-signed with the new key at once."""
    signer = signer_from_file(new_key_file)
    new_key = signer.public_key
    md = repo.load("targets")
    role = publisher_role(md, name)
    delegations = md.signed.delegations
    need(delegations)
    for old in role.keyids:
        delegations.keys.pop(old, None)
    delegations.keys[new_key.keyid] = new_key
    role.keyids = [new_key.keyid]
    changed = {"targets": md}
    if (repo.meta / f"{name}.json").exists():
        changed[name] = repo.load(name)
    repo._commit(changed, signers={name: signer})


def revoke_publisher(repo: Repository, name: str) -> None:
    """Remove ``name``'s delegation: nothing its key signs is trusted from the next poll."""
    md = repo.load("targets")
    role = publisher_role(md, name)
    delegations = md.signed.delegations
    need(delegations)
    for keyid in role.keyids:
        delegations.keys.pop(keyid, None)
    del delegations.roles[name]
    # TUF forbids a snapshot that drops a role hosts have seen ("missing info"): the role
    # stays listed, emptied and signed by nobody. No delegation points at it, so no host
    # loads it; a publisher re-added under this name starts from it, above its version.
    changed = {"targets": md}
    if (repo.meta / f"{name}.json").exists():
        old = repo.load(name)
        old.signed.targets.clear()
        changed[name] = old
    repo._commit(changed, unsigned=[name])


def publisher_role(md: Metadata, name: str) -> DelegatedRole:  # type: ignore[type-arg]
    roles = md.signed.delegations.roles if md.signed.delegations else None
    if not roles or name not in roles or name == FLEET_ROLE:
        raise FleetError(f"no publisher {name!r} in this repository", "usage")
    role: DelegatedRole = roles[name]
    return role

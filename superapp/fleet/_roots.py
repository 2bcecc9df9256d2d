"""Role thresholds and root key rotation (``superapp repo init --threshold``, ``rotate-root``).

A role with threshold *t* needs *t* of its keys on every version. Its key files are
``<role>.pem``, ``<role>-2.pem`` … in the keys folder (any name ``<role>*.pem``): the repository
tool signs with every one of them the role lists, and refuses to write a version it cannot sign
to the threshold (a host would refuse it anyway).

A root rotation writes root N+1 naming the new root keys and threshold, signed by a threshold of
the OLD keys (so hosts trusting root N accept it) and a threshold of the NEW ones (so it vouches
for itself). Hosts walk ``1.root.json``, ``2.root.json`` … one version at a time (TUF's root
chain), so a host offline across several rotations still follows them; a root signed below the
old threshold is refused, and the old keys alone cannot sign the next one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from securesystemslib.signer import CryptoSigner, SSlibKey
from tuf.api.metadata import Metadata, Root

from superapp.core.errors import FleetError
from superapp.fleet._keys import generate_key, signer_from_file

if TYPE_CHECKING:
    from superapp.fleet._repo import Repository

__all__ = [
    "MAX_THRESHOLD",
    "THRESHOLD_ROLES",
    "find_signers",
    "init_keys",
    "parse_thresholds",
    "rotate_root",
]

#: Roles whose threshold ``init`` sets (the top-level roles and the operator's fleet role).
THRESHOLD_ROLES = ("root", "targets", "snapshot", "timestamp", "fleet")
#: More keys than this per role is a typing error, not a key ceremony.
MAX_THRESHOLD = 10


def parse_thresholds(items: Sequence[str]) -> dict[str, int]:
    """``["root=2", "targets=2"]`` → ``{"root": 2, "targets": 2}``.

    Raises:
        FleetError: not ROLE=N, an unknown role, or N outside 1..MAX_THRESHOLD.
    """
    out: dict[str, int] = {}
    for item in items:
        role, sep, value = item.partition("=")
        if not sep or role not in THRESHOLD_ROLES or not value.isdigit():
            raise FleetError(
                f"--threshold takes ROLE=N with ROLE one of {', '.join(THRESHOLD_ROLES)}: {item!r}",
                "usage",
            )
        if not 1 <= int(value) <= MAX_THRESHOLD:
            raise FleetError(f"a threshold is 1 to {MAX_THRESHOLD}: {item!r}", "usage")
        out[role] = int(value)
    return out


def _key_file(keys_dir: Path, role: str, n: int) -> Path:
    return keys_dir / (f"{role}.pem" if n == 1 else f"{role}-{n}.pem")


def init_keys(keys_dir: Path, thresholds: Mapping[str, int]) -> dict[str, list[SSlibKey]]:
    """The public keys of each role: ``threshold`` key files, existing ones reused."""
    out: dict[str, list[SSlibKey]] = {}
    for role in THRESHOLD_ROLES:
        keys = []
        for n in range(1, thresholds.get(role, 1) + 1):
            path = _key_file(keys_dir, role, n)
            keys.append(signer_from_file(path).public_key if path.exists() else generate_key(path))
        out[role] = keys
    return out


def find_signers(
    keys_dir: Path, role: str, keyids: Sequence[str], threshold: int
) -> list[CryptoSigner]:
    """Signers for every key file in ``keys_dir`` that is one of ``role``'s keys.

    Raises:
        FleetError: fewer than ``threshold`` of them are there.
    """
    found: dict[str, CryptoSigner] = {}
    for path in sorted(keys_dir.glob(f"{role}*.pem")):
        if path.stem != role and not path.stem.startswith(f"{role}-"):
            continue
        signer = signer_from_file(path)
        if signer.public_key.keyid in keyids:
            found.setdefault(signer.public_key.keyid, signer)
    if len(found) < threshold:
        raise FleetError(
            f"role {role!r} needs {threshold} of its keys to sign; {len(found)} found in "
            f"{keys_dir} (files {role}.pem, {role}-2.pem …)",
            "key",
        )
    return list(found.values())


def rotate_root(
    repo: Repository, new_keys: Sequence[Path] = (), threshold: int | None = None
) -> Metadata[Root]:
    """Write root N+1 with new root keys, signed by the old and the new threshold.

    ``new_keys``: private key files of the new root keys (made with ``superapp repo keygen``,
    e.g. on the offline machines that will hold them); none: ``threshold`` new keys are made
    in the keys folder as ``root-v<N+1>-<i>.pem``. ``threshold``: default the number of new
    keys, or the current threshold when keys are made.

    Raises:
        FleetError: the old keys are not there to the old threshold, the threshold does not fit
            the new keys, or a new key is unreadable. Nothing is written then.
    """
    md: Metadata[Root] = repo.load("root")
    root = md.signed
    old_role = root.roles["root"]
    old_signers = find_signers(repo.keys_dir, "root", old_role.keyids, old_role.threshold)
    version = root.version + 1
    want = threshold or (len(new_keys) or old_role.threshold)
    if not 1 <= want <= MAX_THRESHOLD or (new_keys and want > len(new_keys)):
        raise FleetError(
            f"a root threshold of {want} does not fit {len(new_keys) or want} new keys", "usage"
        )
    if new_keys:
        new_signers = [signer_from_file(path) for path in new_keys]
    else:
        new_signers = []
        for i in range(1, want + 1):
            path = repo.keys_dir / f"root-v{version}-{i}.pem"
            generate_key(path)
            new_signers.append(signer_from_file(path))
    previous = copy.deepcopy(root)  # (to_dict shares the key id lists with ``root``)
    for keyid in list(old_role.keyids):
        root.revoke_key(keyid, "root")
    for signer in new_signers:
        root.add_key(signer.public_key, "root")
    root.roles["root"].threshold = want
    root.version = version
    root.expires = datetime.now(UTC).replace(microsecond=0) + repo.expiry.root
    md.signatures.clear()
    for signer in (*old_signers, *new_signers):
        md.sign(signer, append=True)
    # The check hosts make (TUF's root chain), made here first: never publish a root that the
    # fleet would refuse.
    result = root.get_root_verification_result(previous, md.signed_bytes, md.signatures)
    if not result.verified:
        raise FleetError(f"root {version} would not verify: {result}", "signature")
    repo.save_root(md)
    return md

"""The fleet: mini-app distribution, updates, phased rollout and the kill switch on TUF.

python-tuf (the reference implementation of The Update Framework) does the metadata and the
client workflow; this package adds only what TUF leaves to applications:

- ``_repo``: the repository side (``superapp repo``): signing and committing metadata, with
  ``_roles`` (role names, expiry), ``_publishers`` (their delegations) and ``_publish``;
- ``_operate``: rollout changes and revocations in the operator's ``fleet`` role;
- ``_pending``: updates waiting for the user's consent (new capabilities);
- ``_model``: what our custom target fields say (release, fleet index, revocations);
- ``_rollout``: phased rollout rules and each host's decision from its private install id;
- ``_client``: the host's TUF client (one ngclient ``Updater`` per poll), errors → audit;
- ``_store``: install, update with the capability-diff consent, one-step rollback;
- ``_keys``: role keys as Ed25519 PEM files.

Decision record: docs/adr/0012-fleet-on-tuf.md; operators: docs/operators.md.
"""

from superapp.fleet._client import FleetClient, FleetSession, FleetState, fleet_dir
from superapp.fleet._keys import generate_key, public_key_from_file, signer_from_file
from superapp.fleet._model import (
    INDEX_PATH,
    REVOCATIONS_PATH,
    AppChannel,
    FleetIndex,
    Release,
    Revocations,
    Rollout,
    release_path,
)
from superapp.fleet._operate import add_revocation, pause_rollout, revert_rollout, set_rollout
from superapp.fleet._repo import DEFAULT_EXPIRY, Expiry, Repository, init_repository
from superapp.fleet._rollout import bucket, in_rollout, load_install_id, wanted_version
from superapp.fleet._store import PREVIOUS_FILE, CapabilityDiff, Outcome, Store, revoked_hit

__all__ = [
    "DEFAULT_EXPIRY",
    "INDEX_PATH",
    "PREVIOUS_FILE",
    "REVOCATIONS_PATH",
    "AppChannel",
    "CapabilityDiff",
    "Expiry",
    "FleetClient",
    "FleetIndex",
    "FleetSession",
    "FleetState",
    "Outcome",
    "Release",
    "Repository",
    "Revocations",
    "Rollout",
    "Store",
    "add_revocation",
    "bucket",
    "fleet_dir",
    "generate_key",
    "in_rollout",
    "init_repository",
    "load_install_id",
    "pause_rollout",
    "public_key_from_file",
    "release_path",
    "revert_rollout",
    "revoked_hit",
    "set_rollout",
    "signer_from_file",
    "wanted_version",
]

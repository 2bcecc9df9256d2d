"""``superapp repo``: operate a mini-app repository (TUF metadata over static files).

::

    superapp repo init REPO --keys KEYS                 role keys (kept offline: root.pem) + v1
    superapp repo keygen KEY.pem                        a new Ed25519 key (e.g. a publisher's)
    superapp repo add-publisher REPO --keys KEYS NAME --key PUB.pem --app APP_ID [--app ...]
    superapp repo rotate-publisher REPO --keys KEYS NAME --key NEW.pem
    superapp repo revoke-publisher REPO --keys KEYS NAME
    superapp repo publish REPO --keys KEYS BUNDLE.sapp --publisher NAME --key PUB.pem [--rollout N]
    superapp repo rollout REPO --keys KEYS APP_ID VERSION_CODE PERCENT
    superapp repo pause|revert REPO --keys KEYS APP_ID
    superapp repo revoke REPO --keys KEYS (--app ID [--versions 3,4] | --publisher-key HEX
                                          | --digest HEX) [--reason TEXT]
    superapp repo refresh REPO --keys KEYS              re-sign fleet/snapshot/timestamp (daily)
    superapp repo status REPO                           apps, rollouts, revocations, expiry
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pydantic import ValidationError

from superapp.audit import safe_text
from superapp.core.errors import FleetError, UsageError
from superapp.fleet import (
    Repository,
    add_revocation,
    generate_key,
    init_repository,
    pause_rollout,
    public_key_from_file,
    revert_rollout,
    set_rollout,
)
from superapp.fleet._model import Revocation

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    repo = sub.add_parser(
        "repo", help="operate a mini-app repository (TUF): publish, roll out, revoke"
    )
    cmds = repo.add_subparsers(dest="repo_command", metavar="ACTION", required=True)

    def cmd(name: str, help: str, func: object, *, keys: bool = True) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=help)
        if name != "keygen":
            p.add_argument("repo", type=Path, help="the repository folder (what you publish)")
        if keys:
            p.add_argument("--keys", type=Path, required=True, help="folder of the role keys")
        p.set_defaults(func=func)
        return p

    cmd("init", "create a repository and its role keys", _init)
    p = cmd("keygen", "write a new Ed25519 key (a publisher's)", _keygen, keys=False)
    p.add_argument("out", type=Path)
    p = cmd("add-publisher", "delegate app ids to a publisher's key", _add_publisher)
    p.add_argument("name")
    p.add_argument(
        "--key", type=Path, required=True, help="the publisher's public (or private) key"
    )
    p.add_argument(
        "--app", action="append", default=[], help="an app id or pattern (com.example.*)"
    )
    p = cmd("rotate-publisher", "replace a publisher's key", _rotate_publisher)
    p.add_argument("name")
    p.add_argument("--key", type=Path, required=True, help="the publisher's NEW private key")
    p = cmd("revoke-publisher", "remove a publisher's delegation", _revoke_publisher)
    p.add_argument("name")
    p = cmd("publish", "publish a signed .sapp under its publisher's role", _publish)
    p.add_argument("bundle", type=Path)
    p.add_argument("--publisher", required=True)
    p.add_argument("--key", type=Path, required=True, help="the publisher's private key")
    p.add_argument("--rollout", type=int, default=0, help="initial rollout percent (default 0)")
    p = cmd("rollout", "raise a version's rollout percentage (it only grows)", _rollout)
    p.add_argument("app_id")
    p.add_argument("version_code", type=int)
    p.add_argument("percent", type=int)
    p = cmd("pause", "stop a rollout reaching more hosts", _pause)
    p.add_argument("app_id")
    p = cmd("revert", "send every host back to the stable version", _revert)
    p.add_argument("app_id")
    p = cmd(
        "revoke", "switch an app, versions, a publisher key or a bundle off everywhere", _revoke
    )
    p.add_argument("--app")
    p.add_argument("--versions", help="comma-separated version codes (with --app)")
    p.add_argument("--publisher-key", help="hex key id of a bundle signing key")
    p.add_argument("--digest", help="hex SHA-256 of a .sapp file")
    p.add_argument("--reason", default="")
    cmd("refresh", "re-sign the short-lived roles (run daily)", _refresh)
    cmd("status", "what the repository says", _status, keys=False)


def _repo(args: argparse.Namespace) -> Repository:
    return Repository(args.repo, getattr(args, "keys", None) or Path())


def _init(args: argparse.Namespace) -> int:
    init_repository(args.repo, args.keys)
    print(f"repository created in {args.repo}; keys in {args.keys} (keep root.pem offline)")
    print(f"hosts trust {args.repo / 'metadata' / '1.root.json'} ([fleet] root in policy.toml)")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    key = generate_key(args.out)
    print(f"wrote {args.out}; key id {key.keyid}")
    return 0


def _add_publisher(args: argparse.Namespace) -> int:
    _repo(args).add_publisher(args.name, public_key_from_file(args.key), list(args.app))
    print(f"publisher {args.name} may publish {', '.join(args.app)}")
    return 0


def _rotate_publisher(args: argparse.Namespace) -> int:
    _repo(args).rotate_publisher(args.name, args.key)
    print(f"publisher {args.name} now signs with {args.key}")
    return 0


def _revoke_publisher(args: argparse.Namespace) -> int:
    _repo(args).revoke_publisher(args.name)
    print(f"publisher {args.name} removed: nothing its key signs is trusted any more")
    return 0


def _publish(args: argparse.Namespace) -> int:
    try:
        data = args.bundle.read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read {args.bundle}: {err.strerror}") from None
    release = _repo(args).publish(data, args.publisher, args.key, rollout=args.rollout)
    print(
        f"published {release.app_id} {safe_text(release.version_name)} (code "
        f"{release.version_code}) at {args.rollout} %"
    )
    return 0


def _rollout(args: argparse.Namespace) -> int:
    set_rollout(_repo(args), args.app_id, args.version_code, args.percent)
    print(f"{args.app_id} version code {args.version_code} at {args.percent} %")
    return 0


def _pause(args: argparse.Namespace) -> int:
    pause_rollout(_repo(args), args.app_id)
    print(f"{args.app_id}: rollout paused")
    return 0


def _revert(args: argparse.Namespace) -> int:
    revert_rollout(_repo(args), args.app_id)
    print(
        f"{args.app_id}: rollout reverted; hosts go back to the stable version on their next poll"
    )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    fields: dict[str, object] = {"reason": args.reason}
    if args.app and args.versions:
        try:
            codes = [int(v) for v in args.versions.split(",") if v.strip()]
        except ValueError:
            raise UsageError("--versions takes comma-separated version codes") from None
        fields |= {"kind": "app_versions", "app_id": args.app, "version_codes": codes}
    elif args.app:
        fields |= {"kind": "app", "app_id": args.app}
    elif args.publisher_key:
        fields |= {"kind": "publisher_key", "key_id": args.publisher_key.lower()}
    elif args.digest:
        fields |= {"kind": "bundle_digest", "digest": args.digest.lower()}
    else:
        raise UsageError("say what to revoke: --app, --publisher-key or --digest")
    try:
        entry = Revocation.model_validate(fields)
    except ValidationError as err:
        raise UsageError(f"bad revocation: {err.errors()[0]['msg']}") from None
    revs = add_revocation(_repo(args), entry)
    print(f"revoked {entry.describe()} ({len(revs.revocations)} entries)")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    _repo(args).refresh()
    print("fleet, snapshot and timestamp re-signed")
    return 0


def _status(args: argparse.Namespace) -> int:
    repo = _repo(args)
    try:
        index, revs = repo.fleet_state()
    except KeyError:
        raise FleetError(f"{args.repo} has no fleet index", "repo") from None
    out = {
        "publishers": {n: list(r.paths or ()) for n, r in repo.publishers().items()},
        "apps": index.model_dump(mode="json")["apps"],
        "revocations": [r.model_dump(mode="json", exclude_defaults=True) for r in revs.revocations],
        "timestamp_expires": repo.load("timestamp").signed.expires.isoformat(),
        "fleet_expires": repo.load("fleet").signed.expires.isoformat(),
    }
    print(json.dumps(out, indent=2))
    return 0

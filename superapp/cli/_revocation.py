"""The kill switch from the command line.

Platform side (writes the document the platform publishes)::

    superapp revocation keygen --out KEY.pem          new Ed25519 signing key; prints the
                                                      public key for [revocation] platform_keys
    superapp revocation pubkey KEY.pem                print a key's public key and key id
    superapp revocation add DOC --app APP_ID [--versions 3,4] [--reason TEXT]
    superapp revocation add DOC --publisher-key KEY_ID | --digest HEX | --bundle FILE.sapp
    superapp revocation sign DOC --key KEY.pem [--key ...] [--expires-in 7d] [--version N]
                                 [--next-key PUBKEY ... --next-threshold N --next-keyset-version N]
    superapp revocation sign DOC --key KEY2.pem --cosign   add a signature, change nothing else

Host side::

    superapp revocations refresh [--json]   fetch, verify and store the document now
    superapp revocations list [--json]      what the host currently enforces
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from superapp.core.errors import UsageError
from superapp.core.files import atomic_write
from superapp.core.paths import Paths
from superapp.policy import load_policy
from superapp.revocation import (
    DOC_TYPE,
    Keyset,
    Revocation,
    RevocationChecker,
    RevocationError,
    RevocationList,
    encode_document,
    generate_private_key,
    key_id,
    load_private_key,
    public_key_b64,
    save_private_key,
    sign_document,
)

__all__ = ["register"]

_DURATION_RE = re.compile(r"^(\d+)\s*([mhd])$")
_DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plat = sub.add_parser(
        "revocation",
        help="platform tooling: make keys, and write and sign the revocation document",
        description="Write and sign the revocation document the platform publishes.",
    )
    parser_class = type(plat)
    verbs = plat.add_subparsers(
        dest="revocation_command", metavar="VERB", parser_class=parser_class
    )
    plat.set_defaults(func=lambda args: _usage(plat))

    keygen = verbs.add_parser("keygen", help="create a platform signing key")
    keygen.add_argument("--out", required=True, type=Path, metavar="KEY.pem")
    keygen.set_defaults(func=cmd_keygen)

    pubkey = verbs.add_parser("pubkey", help="print a signing key's public key and key id")
    pubkey.add_argument("key", type=Path, metavar="KEY.pem")
    pubkey.set_defaults(func=cmd_pubkey)

    add = verbs.add_parser("add", help="add an entry to a (draft) revocation document")
    add.add_argument("doc", type=Path, metavar="DOC", help="document file (created if missing)")
    what = add.add_mutually_exclusive_group(required=True)
    what.add_argument("--app", metavar="APP_ID", help="revoke this app (all versions)")
    what.add_argument("--publisher-key", metavar="KEY_ID", help="revoke everything by this key")
    what.add_argument("--digest", metavar="HEX", help="revoke the .sapp with this SHA-256")
    what.add_argument("--bundle", type=Path, metavar="FILE.sapp", help="revoke this .sapp file")
    add.add_argument("--versions", metavar="CODES", help="with --app: only these version codes")
    add.add_argument("--reason", default="", help="shown to users whose app is stopped")
    add.set_defaults(func=cmd_add)

    sign = verbs.add_parser("sign", help="set version and expiry, and sign the document")
    sign.add_argument("doc", type=Path, metavar="DOC", help="document file, signed in place")
    sign.add_argument(
        "--key",
        action="append",
        required=True,
        type=Path,
        metavar="KEY.pem",
        help="platform signing key (repeat for several signatures)",
    )
    sign.add_argument("--version", type=int, help="document version (default: previous + 1)")
    sign.add_argument("--expires-in", default="7d", help="validity: 30m, 12h, 7d (default 7d)")
    sign.add_argument("--cosign", action="store_true", help="only add signatures to it as it is")
    sign.add_argument(
        "--next-key",
        action="append",
        default=[],
        metavar="PUBKEY",
        help="rotate hosts to a new key set with this public key (repeat; sign with both sets)",
    )
    sign.add_argument(
        "--next-threshold", type=int, default=1, help="signatures the new key set needs"
    )
    sign.add_argument(
        "--next-keyset-version", type=int, help="version of the new set (default: current + 1)"
    )
    sign.set_defaults(func=cmd_sign)

    host = sub.add_parser(
        "revocations",
        help="the host's revocation list: refresh it now, or list it",
        description="Fetch the platform's revocation document now, or show what is enforced.",
    )
    host_verbs = host.add_subparsers(
        dest="revocations_command", metavar="VERB", parser_class=parser_class
    )
    host.set_defaults(func=lambda args: _usage(host))
    refresh = host_verbs.add_parser("refresh", help="fetch, verify and store the document now")
    refresh.add_argument("--json", action="store_true")
    refresh.set_defaults(func=cmd_refresh)
    listing = host_verbs.add_parser("list", help="show the revocations this host enforces")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)


def _usage(parser: argparse.ArgumentParser) -> int:
    raise UsageError(f"'{parser.prog}' needs a verb (see '{parser.prog} --help')")


# --- platform side ---------------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    key = generate_private_key()
    save_private_key(key, args.out)
    public = public_key_b64(key)
    print(f"private key: {args.out} (keep it offline)")
    print(f"public key:  {public}")
    print(f"key id:      {key_id(public)}")
    print(f'policy.toml: [revocation] platform_keys = ["{public}"]')
    return 0


def cmd_pubkey(args: argparse.Namespace) -> int:
    public = public_key_b64(load_private_key(args.key))
    print(f"public key: {public}")
    print(f"key id:     {key_id(public)}")
    return 0


def _load_draft(path: Path, *, create: bool) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not create:
            raise UsageError(f"{path}: no such document") from None
        return {
            "signed": {"_type": DOC_TYPE, "spec_version": 1, "revocations": []},
            "signatures": [],
        }
    except (OSError, ValueError) as err:
        raise UsageError(f"{path}: not a readable revocation document ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("signed"), dict):
        raise UsageError(f"{path}: not a revocation document (no 'signed' object)")
    return data


def _write(path: Path, envelope: dict[str, Any]) -> None:
    atomic_write(path, encode_document(envelope), mode=0o644)


def cmd_add(args: argparse.Namespace) -> int:
    entry: dict[str, Any]
    if args.versions and not args.app:
        raise UsageError("--versions goes with --app")
    if args.app:
        entry = {"kind": "app", "app_id": args.app}
        if args.versions:
            try:
                codes = sorted({int(v) for v in args.versions.split(",") if v.strip()})
            except ValueError:
                raise UsageError("--versions: comma-separated version codes, e.g. 3,4") from None
            entry = {"kind": "app_versions", "app_id": args.app, "version_codes": codes}
    elif args.publisher_key:
        entry = {"kind": "publisher_key", "key_id": args.publisher_key.lower()}
    elif args.digest:
        entry = {"kind": "bundle_digest", "digest": args.digest.lower()}
    else:
        try:
            digest = hashlib.sha256(args.bundle.read_bytes()).hexdigest()
        except OSError as err:
            raise UsageError(f"cannot read {args.bundle}: {err.strerror}") from None
        entry = {"kind": "bundle_digest", "digest": digest}
    entry["reason"] = args.reason
    try:
        checked = Revocation.model_validate(entry)
    except ValidationError as err:
        first = err.errors()[0]
        raise UsageError(f"bad entry: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    draft = _load_draft(args.doc, create=True)
    entries = draft["signed"].setdefault("revocations", [])
    if any(_same(e, checked) for e in entries):
        print(f"already listed: {checked.describe()}")
        return 0
    entries.append(entry)
    draft["signatures"] = []  # the content changed; old signatures no longer apply
    _write(args.doc, draft)
    print(f"added: {checked.describe()} (now {len(entries)} entries; sign it to publish)")
    return 0


def _same(raw: Any, entry: Revocation) -> bool:
    try:
        other = Revocation.model_validate(raw)
    except ValidationError:
        return False
    return other.model_copy(update={"reason": ""}) == entry.model_copy(update={"reason": ""})


def _duration(text: str) -> timedelta:
    match = _DURATION_RE.match(text.strip())
    if not match:
        raise UsageError(f"--expires-in: {text!r} is not a duration like 30m, 12h or 7d")
    amount, unit = match.groups()
    if int(amount) <= 0:
        raise UsageError("--expires-in must be positive")
    return timedelta(**{_DURATION_UNITS[unit]: int(amount)})


def cmd_sign(args: argparse.Namespace) -> int:
    keys = [load_private_key(k) for k in args.key]
    draft = _load_draft(args.doc, create=False)
    signed = dict(draft["signed"])
    existing: list[dict[str, str]] = []
    if args.cosign:
        existing = [s for s in draft.get("signatures", []) if isinstance(s, dict)]
    else:
        now = datetime.now(UTC).replace(microsecond=0)
        raw_version = signed.get("version")
        previous = raw_version if isinstance(raw_version, int) else 0
        signed["version"] = args.version if args.version is not None else previous + 1
        signed["issued"] = now.isoformat().replace("+00:00", "Z")
        signed["expires"] = (now + _duration(args.expires_in)).isoformat().replace("+00:00", "Z")
        if args.next_key:
            current = signed.get("next_keyset") or {}
            version = args.next_keyset_version or int(current.get("version", 1)) + 1
            try:
                signed["next_keyset"] = Keyset(
                    version=version, threshold=args.next_threshold, keys=tuple(args.next_key)
                ).model_dump(mode="json")
            except ValidationError as err:
                raise UsageError(f"--next-key: {err.errors()[0]['msg']}") from None
    try:
        body = RevocationList.model_validate(signed)
    except ValidationError as err:
        first = err.errors()[0]
        raise UsageError(
            f"{args.doc}: signed.{'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from None
    envelope = sign_document(body.to_wire() if not args.cosign else signed, keys, existing=existing)
    _write(args.doc, envelope)
    ids = ", ".join(key_id(public_key_b64(k))[:16] for k in keys)
    print(
        f"signed revocation list version {body.version} ({len(body.revocations)} entries, "
        f"expires {body.expires.isoformat()}) with key(s) {ids}"
    )
    return 0


# --- host side -------------------------------------------------------------------------


def _checker() -> RevocationChecker:
    paths = Paths.from_env()
    return RevocationChecker(paths, load_policy(paths))


def cmd_refresh(args: argparse.Namespace) -> int:
    result = _checker().refresh()
    if args.json:
        print(json.dumps(result.__dict__))
        return 0 if result.ok and result.status != "disabled" else 1
    if result.status == "disabled":
        raise UsageError("no revocation source is configured ([revocation] source in policy.toml)")
    if not result.ok:
        raise RevocationError(f"revocation refresh failed: {result.message}")
    print(result.message + (" — WARNING: the list is expired" if result.stale else ""))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    status = _checker().status()
    if args.json:
        print(
            json.dumps(
                {
                    "source": status.source,
                    "version": status.version,
                    "expires": status.expires.isoformat() if status.expires else None,
                    "stale": status.stale,
                    "on_expired": status.on_expired,
                    "keyset_version": status.keyset_version,
                    "revocations": [r.model_dump(mode="json") for r in status.revocations],
                }
            )
        )
        return 0
    expires = status.expires.isoformat() if status.expires else "-"
    state = "EXPIRED/MISSING" if status.stale else "current"
    print(
        f"revocation list version {status.version}, expires {expires} ({state}; "
        f"fail-{status.on_expired} on expiry)"
    )
    for entry in status.revocations:
        print(f"  {entry.describe()}")
    return 0

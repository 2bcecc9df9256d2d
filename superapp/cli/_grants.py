"""``superapp grants``, ``superapp revoke-grant`` and ``superapp profile``.

    superapp grants APP_ID [--json]              what the app may use, and why
    superapp revoke-grant APP_ID CAPABILITY      takes effect on the app's next call
    superapp profile [--json]                    the profile apps may read (with consent)
    superapp profile --name N --email E --avatar FILE|none

A running app reads its grants on every call, so a revocation needs no restart; its next use
of the capability asks the user again (or is denied by a non-interactive policy).
"""

from __future__ import annotations

import argparse
import base64
import json
import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from superapp.audit import AuditLog
from superapp.core.capabilities import CAPABILITIES, CONSENT_REQUIRED
from superapp.core.errors import NotInstalledError, SuperappError, UsageError
from superapp.core.paths import Paths, is_valid_app_id
from superapp.state.grants import Grant, GrantStore, is_effective
from superapp.state.profile import MAX_AVATAR_BYTES, Profile, load_profile, save_profile
from superapp.state.registry import get_app

__all__ = ["grant_rows", "register"]


_DEV_HELP = "the developer-mode copy ('superapp dev'), kept apart from the installed app"


def _paths(args: argparse.Namespace) -> Paths:
    paths = Paths.from_env()
    return paths.for_dev() if getattr(args, "dev", False) else paths


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    grants = sub.add_parser(
        "grants",
        help="show which capabilities a mini-app holds",
        description="Show every capability the app declares or was granted, with its state: "
        "granted (usable now), ask (the user is asked on first use) or revoked.",
    )
    grants.add_argument("app_id", metavar="APP_ID")
    grants.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    grants.add_argument("--dev", action="store_true", help=_DEV_HELP)
    grants.set_defaults(func=cmd_grants)

    revoke = sub.add_parser(
        "revoke-grant",
        help="revoke a capability from a mini-app (applies to its next call)",
        description="Revoke CAPABILITY from APP_ID. A running app is affected on its next "
        "call; its next use of the capability asks the user again.",
    )
    revoke.add_argument("app_id", metavar="APP_ID")
    revoke.add_argument("capability", metavar="CAPABILITY", help=", ".join(sorted(CAPABILITIES)))
    revoke.add_argument("--dev", action="store_true", help=_DEV_HELP)
    revoke.set_defaults(func=cmd_revoke)

    profile = sub.add_parser(
        "profile",
        help="show or set the user profile mini-apps may read (with consent)",
        description="With no options, show the profile. Options set fields; an empty value "
        "(or 'none' for --avatar) clears one.",
    )
    profile.add_argument("--name", metavar="NAME", help="display name")
    profile.add_argument("--email", metavar="EMAIL")
    profile.add_argument("--avatar", metavar="FILE", help="a PNG, JPEG or WebP image, or none")
    profile.add_argument("--json", action="store_true")
    profile.set_defaults(func=cmd_profile)


def _check_app_id(app_id: str) -> None:
    if not is_valid_app_id(app_id):
        raise UsageError(f"not a valid app id: {app_id!r} (expected e.g. com.example.notes)")


def _declared(paths: Paths, store: GrantStore, app_id: str) -> frozenset[str] | None:
    """The app's declared capabilities; None for an app with grants but no registry row
    (side-loaded with ``superapp dev``)."""
    try:
        return get_app(paths, app_id).declared_capabilities
    except NotInstalledError:
        if store.known_app(app_id):
            return None
        raise


def grant_rows(declared: frozenset[str] | None, stored: list[Grant]) -> list[dict[str, Any]]:
    """One row per capability: declared ones first-class, stale rows marked inert."""
    by_cap = {g.capability: g for g in stored}
    caps = sorted(set(declared or ()) | set(by_cap))
    rows = []
    for cap in caps:
        grant = by_cap.get(cap)
        state: str
        is_declared = declared is None or cap in declared
        if grant is not None:
            state = grant.state
        elif is_effective(cap, {cap}, None):
            state = "granted"
        else:
            state = "ask"
        if not is_declared:
            state = "inert"  # a stale row for a capability the manifest no longer declares
        rows.append(
            {
                "capability": cap,
                "declared": is_declared,
                "state": state,
                "needs_consent": cap in CONSENT_REQUIRED,
                "source": grant.source if grant else ("manifest" if state == "granted" else None),
                "updated_at": (
                    datetime.fromtimestamp(grant.updated_at, UTC).isoformat(timespec="seconds")
                    if grant
                    else None
                ),
            }
        )
    return rows


def cmd_grants(args: argparse.Namespace) -> int:
    _check_app_id(args.app_id)
    paths = _paths(args)
    with GrantStore(paths.registry_db) as store:
        declared = _declared(paths, store, args.app_id)
        rows = grant_rows(declared, store.list(args.app_id))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"{args.app_id} declares no capabilities")
        return 0
    print(f"{'CAPABILITY':<18} {'STATE':<8} {'SOURCE':<9} {'CONSENT':<8} UPDATED")
    for row in rows:
        print(
            f"{row['capability']:<18} {row['state']:<8} {row['source'] or '-':<9} "
            f"{'yes' if row['needs_consent'] else 'no':<8} {row['updated_at'] or '-'}"
        )
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    _check_app_id(args.app_id)
    if args.capability not in CAPABILITIES:
        raise UsageError(
            f"unknown capability {args.capability!r} (one of: {', '.join(sorted(CAPABILITIES))})"
        )
    paths = _paths(args)
    with GrantStore(paths.registry_db) as store:
        declared = _declared(paths, store, args.app_id)
        if (
            declared is not None
            and args.capability not in declared
            and (store.state(args.app_id, args.capability) is None)
        ):
            raise SuperappError(
                f"{args.app_id} does not declare {args.capability!r}; it can never hold it"
            )
        before = store.state(args.app_id, args.capability)
        store.revoke(args.app_id, args.capability, source="user")
    AuditLog(paths.audit_log).record(
        "grant.revoked",
        app_id=args.app_id,
        outcome="success",
        reason=f"revoked {args.capability} from the command line",
        capability=args.capability,
        previous=before or "never granted",
    )
    print(f"revoked {args.capability} from {args.app_id} (applies to its next call)")
    return 0


def _avatar_url(value: str) -> str | None:
    if value.lower() in ("", "none"):
        return None
    path = Path(value).expanduser()
    kind = mimetypes.guess_type(path.name)[0]
    if kind not in ("image/png", "image/jpeg", "image/webp"):
        raise UsageError(f"--avatar: {path.name} is not a .png, .jpg or .webp file")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UsageError(f"--avatar: cannot read {path}: {err.strerror}") from None
    if len(data) > MAX_AVATAR_BYTES:
        raise UsageError(f"--avatar: {path.name} is larger than {MAX_AVATAR_BYTES} bytes")
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def cmd_profile(args: argparse.Namespace) -> int:
    paths = Paths.from_env()
    profile = load_profile(paths)
    changes: dict[str, str | None] = {}
    if args.name is not None:
        changes["display_name"] = args.name or None
    if args.email is not None:
        changes["email"] = args.email or None
    if args.avatar is not None:
        changes["avatar"] = _avatar_url(args.avatar)
    if changes:
        try:
            profile = Profile.model_validate({**profile.model_dump(), **changes})
        except ValidationError as err:
            first = err.errors(include_url=False, include_input=False)[0]
            field = {"display_name": "--name", "email": "--email", "avatar": "--avatar"}.get(
                str(first["loc"][0]) if first["loc"] else "", "profile"
            )
            raise UsageError(f"{field}: {first['msg'].removeprefix('Value error, ')}") from None
        save_profile(paths, profile)
    if args.json:
        print(json.dumps(profile.model_dump(), indent=2))
    else:
        avatar = "set" if profile.avatar else "-"
        print(f"name:   {profile.display_name or '-'}")
        print(f"email:  {profile.email or '-'}")
        print(f"avatar: {avatar}")
    return 0

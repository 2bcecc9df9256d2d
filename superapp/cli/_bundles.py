"""Commands for bundles and trust: keygen, pack, verify, trust, install, remove, samples.

Human output by default; ``--json`` prints one JSON document on stdout for scripts. Exit code 0
only on success; errors are ``SuperappError`` subclasses mapped to one line by ``superapp.cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from superapp.analysis import ScanReport, scan_files
from superapp.bundles import (
    DEFAULT_LIMITS,
    MANIFEST_NAME,
    SAMPLE_PUBLISHER,
    TrustedKey,
    TrustStore,
    collect_files,
    default_samples_root,
    file_sha256,
    generate_keypair,
    install_bundle,
    install_samples,
    key_id_of,
    load_private_key,
    load_public_key,
    pack_bundle,
    parse_manifest,
    remove_app,
    verify_bundle,
)
from superapp.cli._findings import print_findings
from superapp.core.errors import BundleError, UsageError
from superapp.core.files import atomic_write
from superapp.core.paths import Paths, is_valid_app_id
from superapp.state.registry import InstalledApp, list_apps

__all__ = ["register"]

_Sub = argparse._SubParsersAction


def register(sub: _Sub[argparse.ArgumentParser]) -> None:
    from superapp.cli import _dev  # --allow-local is refused here (dev only)

    p = sub.add_parser("keygen", help="create a publisher key pair (Ed25519) for signing bundles")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the keys")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("pack", help="pack and sign a mini-app folder into a .sapp bundle")
    p.add_argument("src_dir", type=Path, metavar="SRC_DIR")
    p.add_argument("--key", type=Path, required=True, metavar="KEY", help="publisher.key file")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.sapp")
    p.add_argument(
        "--deflate",
        action="store_true",
        help="compress entries (smaller file; stored entries verify faster at every launch)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _dev.refuse_allow_local(p)
    p.set_defaults(func=cmd_pack)

    p = sub.add_parser("verify", help="verify a .sapp bundle against the trust store")
    p.add_argument("file", type=Path, metavar="FILE.sapp")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_verify)

    trust = sub.add_parser("trust", help="manage trusted publisher keys")
    tsub = trust.add_subparsers(dest="trust_command", metavar="ACTION", required=True)
    p = tsub.add_parser("add", help="trust a publisher's public key (PEM or OpenSSH)")
    p.add_argument("pubkey", type=Path, metavar="PUBKEY")
    p.add_argument("--name", help="display name of the publisher (default: the file's name)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_trust_add)
    p = tsub.add_parser("list", help="list trusted publisher keys")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_trust_list)
    p = tsub.add_parser("remove", help="stop trusting a key (apps it signed will not launch)")
    p.add_argument("key_id", metavar="KEY_ID", help="the key id, or its first 8+ hex digits")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_trust_remove)

    p = sub.add_parser("install", help="verify and install (or update) a .sapp bundle")
    p.add_argument("file", type=Path, metavar="FILE.sapp")
    p.add_argument(
        "--allow-downgrade", action="store_true", help="accept a version code that is not newer"
    )
    p.add_argument(
        "--allow-publisher-change",
        action="store_true",
        help="accept an update signed by a different publisher key",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _dev.refuse_allow_local(p)
    p.set_defaults(func=cmd_install)

    p = sub.add_parser("remove", help="uninstall a mini-app and delete all of its data")
    p.add_argument("app_id", metavar="APP_ID")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_remove)

    samples = sub.add_parser("samples", help="the bundled sample mini-apps")
    ssub = samples.add_subparsers(dest="samples_command", metavar="ACTION", required=True)
    p = ssub.add_parser(
        "install", help=f"sign the samples with this machine's {SAMPLE_PUBLISHER!r} key and install"
    )
    p.add_argument("--src", type=Path, metavar="DIR", help="samples folder (default: miniapps/)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_samples_install)


# --- helpers -------------------------------------------------------------------------------


def _paths() -> Paths:
    paths = Paths.from_env()
    paths.ensure()
    return paths


def _emit(args: argparse.Namespace, doc: Any, lines: Sequence[tuple[str, object]]) -> None:
    if args.json:
        json.dump(doc, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    width = max((len(k) for k, _ in lines), default=0)
    for key, value in lines:
        print(f"{key + ':':<{width + 1}} {value}" if key else str(value))


def _read_bundle(path: Path) -> bytes:
    limit = DEFAULT_LIMITS.max_bundle_bytes
    if path.is_dir():
        # The usual slip: the app's folder instead of the bundle packed from it.
        raise UsageError(
            f"{path} is a folder, not a .sapp bundle: pack and sign it first "
            f"('superapp pack {path} --key publisher.key --out app.sapp'), or run it unsigned "
            f"with 'superapp dev {path}'"
        )
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise BundleError(f"{path} is larger than {limit} bytes")
    return data


def _show_scan(report: ScanReport) -> None:
    """The analyser's warnings (and errors) on stderr: docs/rules.md says install shows them."""
    shown = print_findings(report.findings, sys.stderr, severities=("block", "warn"))
    if report.blocking:
        print("superapp: install will refuse this bundle (errors above)", file=sys.stderr)
    elif shown:
        print(
            f"superapp: {shown} warning(s): the code above will not work as written "
            "(docs/rules.md)",
            file=sys.stderr,
        )


def _write_atomic(path: Path, data: bytes) -> None:
    atomic_write(path.resolve(), data, mode=0o644)


def _app_doc(app: InstalledApp) -> dict[str, Any]:
    doc = asdict(app)
    doc["declared_capabilities"] = sorted(app.declared_capabilities)
    doc["icon_path"] = str(app.icon_path) if app.icon_path else None
    return doc


def _app_lines(app: InstalledApp) -> list[tuple[str, object]]:
    return [
        ("app id", app.app_id),
        ("name", app.name),
        ("version", f"{app.version_name} (code {app.version_code})"),
        ("publisher", f"{app.publisher_name} (key {app.key_id[:16]}…)"),
        ("capabilities", ", ".join(sorted(app.declared_capabilities)) or "none"),
        ("digest", app.digest),
    ]


def _key_doc(key: TrustedKey) -> Mapping[str, str]:
    return {"key_id": key.key_id, "name": key.name, "added_at": key.added_at}


# --- commands ------------------------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    private, public, key_id = generate_keypair(args.out)
    _emit(
        args,
        {"key_id": key_id, "private_key": str(private), "public_key": str(public)},
        [
            ("key id", key_id),
            ("private key", f"{private}  (keep it secret; it signs your bundles)"),
            ("public key", f"{public}  (give this to users: superapp trust add {public.name})"),
        ],
    )
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.suffix != ".sapp":
        raise UsageError(f"{out}: the output file must end in .sapp")
    key = load_private_key(args.key)
    files = collect_files(args.src_dir)
    data = pack_bundle(files, key, deflate=args.deflate)
    _show_scan(scan_files(files, parse_manifest(files[MANIFEST_NAME]).superapp.allowed_hosts))
    try:
        _write_atomic(out, data)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None
    key_id = key_id_of(key.public_key())
    _emit(
        args,
        {"file": str(out), "size": len(data), "key_id": key_id, "digest": file_sha256(data)},
        [
            ("packed", out),
            ("size", f"{len(data)} bytes"),
            ("signed by key", key_id),
            ("digest", file_sha256(data)),
        ],
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    paths = _paths()
    data = _read_bundle(args.file)
    bundle = verify_bundle(data, TrustStore(paths))
    m = bundle.manifest
    doc = {
        "valid": True,
        "app_id": m.app_id,
        "name": m.name,
        "version_name": m.version.name,
        "version_code": m.version.code,
        "publisher_name": bundle.publisher,
        "key_id": bundle.key_id,
        "digest": bundle.digest,
        "signed_digest": bundle.signed_digest,
        "size": bundle.size,
        "files": list(bundle.names),
        "declared_capabilities": sorted(m.declared_capabilities),
        "allowed_hosts": list(m.superapp.allowed_hosts),
    }
    _emit(
        args,
        doc,
        [
            ("", f"{args.file}: signature and every file verified"),
            ("app id", m.app_id),
            ("name", m.name),
            ("version", f"{m.version.name} (code {m.version.code})"),
            ("publisher", f"{bundle.publisher} (key {bundle.key_id[:16]}…)"),
            ("capabilities", ", ".join(sorted(m.declared_capabilities)) or "none"),
            ("allowed hosts", ", ".join(m.superapp.allowed_hosts) or "none"),
            ("files", len(bundle.names)),
            ("digest", bundle.digest),
        ],
    )
    return 0


def cmd_trust_add(args: argparse.Namespace) -> int:
    key = TrustStore(_paths()).add(load_public_key(args.pubkey), args.name or args.pubkey.stem)
    _emit(args, _key_doc(key), [("trusted", key.name), ("key id", key.key_id)])
    return 0


def cmd_trust_list(args: argparse.Namespace) -> int:
    keys = TrustStore(_paths()).list()
    if args.json:
        _emit(args, [_key_doc(k) for k in keys], [])
        return 0
    if not keys:
        print("no trusted publisher keys (add one with 'superapp trust add PUBKEY')")
        return 0
    width = max(len(k.name) for k in keys)
    print(f"{'NAME':<{width}}  {'KEY ID':<64}  ADDED")
    for k in keys:
        print(f"{k.name:<{width}}  {k.key_id}  {k.added_at}")
    return 0


def cmd_trust_remove(args: argparse.Namespace) -> int:
    paths = _paths()
    store = TrustStore(paths)
    key = store.remove(store.resolve(args.key_id))
    affected = [a.app_id for a in list_apps(paths) if a.key_id == key.key_id]
    lines: list[tuple[str, object]] = [("no longer trusted", key.name), ("key id", key.key_id)]
    if affected:
        lines.append(("will not launch", ", ".join(affected)))
    _emit(args, {**_key_doc(key), "affected_apps": affected}, lines)
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    paths = _paths()
    before = {a.app_id: a.digest for a in list_apps(paths)}
    notes: dict[str, object] = {}
    app = install_bundle(
        paths,
        _read_bundle(args.file),
        allow_downgrade=args.allow_downgrade,
        allow_publisher_change=args.allow_publisher_change,
        notes=notes,
    )
    report = notes.get("scan_report")
    if isinstance(report, ScanReport):
        _show_scan(report)
    previous = before.get(app.app_id)
    status = (
        "installed" if previous is None else "unchanged" if previous == app.digest else "updated"
    )
    headline = (
        f"{app.name} is already installed" if status == "unchanged" else f"{status} {app.name}"
    )
    _emit(args, {**_app_doc(app), "status": status}, [("", headline), *_app_lines(app)])
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    if not is_valid_app_id(args.app_id):
        raise UsageError(f"{args.app_id!r} is not an app id (like 'com.example.notes')")
    remove_app(_paths(), args.app_id)
    _emit(args, {"removed": args.app_id}, [("removed", f"{args.app_id} and all of its data")])
    return 0


def cmd_samples_install(args: argparse.Namespace) -> int:
    src: Path = args.src if args.src is not None else default_samples_root()
    if not src.is_dir():
        raise UsageError(f"{src} is not a folder of sample mini-apps")
    apps = install_samples(_paths(), src)
    if args.json:
        _emit(args, [_app_doc(a) for a in apps], [])
        return 0
    if not apps:
        print(f"no sample mini-apps (folders with manifest.json) under {src}")
    for app in apps:
        print(f"{app.app_id:<32} {app.version_name:<10} {app.name}")
    return 0

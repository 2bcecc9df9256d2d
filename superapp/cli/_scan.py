"""``superapp scan PATH_OR_BUNDLE``: the install-time analyser, for developers and CI.

Exit codes: 0 no block-level finding, 1 at least one block-level finding or a
``manifest.json`` that does not parse (not UTF-8 JSON with an object at the top), 2 bad input
(missing path, unreadable or unsafe archive, malformed denylist). A manifest that parses but
has other problems is noted on stderr (``superapp validate`` is the full check).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from superapp.analysis import Denylist, ScanReport, read_bundle, scan_path
from superapp.audit import safe_text
from superapp.bundles import MANIFEST_NAME
from superapp.bundles._manifest import check_manifest
from superapp.core.errors import UsageError

__all__ = ["cmd_scan", "format_text", "register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "scan",
        help="statically analyse a mini-app folder or .sapp bundle",
        description=(
            "Analyse a mini-app's code as install does. Exits 1 when a block-level "
            "finding exists (install would refuse the bundle), 0 otherwise. "
            "Rules: docs/rules.md."
        ),
    )
    p.add_argument(
        "path",
        metavar="PATH_OR_BUNDLE",
        type=Path,
        help="folder, .sapp file, or a single .js/.html file",
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="output format (sarif: SARIF 2.1.0 for code scanning and editors)",
    )
    p.add_argument(
        "--denylist",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="extra denylist of SHA-256 digests (repeatable; the packaged list always applies)",
    )
    p.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="HOST",
        help="allowed host (repeatable); default: the manifest's superapp.allowed_hosts",
    )
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the report here instead of standard output",
    )
    p.set_defaults(func=cmd_scan)


def format_text(report: ScanReport) -> str:
    """The human report. File names, messages and snippets come from the scanned bundle, so
    each is made inert (``safe_text``) before a terminal sees it."""
    lines: list[str] = []
    for f in report.findings:
        lines.append(
            f"{safe_text(f.file)}:{f.line}:{f.column}: {f.severity} {f.rule_id} "
            f"[{f.rule_name}] {safe_text(f.message)}"
        )
        if f.snippet:
            lines.append(f"    {safe_text(f.snippet)}")
    c = report.counts()
    lines.append(
        f"{report.files_scanned} files, {report.bytes_scanned} bytes: "
        f"{c['block']} block, {c['warn']} warn, {c['info']} info, "
        f"{len(report.suppressed)} suppressed"
    )
    if report.blocking:
        lines.append("install would refuse this bundle (block-level findings)")
    return "\n".join(lines) + "\n"


def _manifest_unparsable(path: Path) -> bool:
    """Report the ``manifest.json`` of a folder or bundle on stderr (so ``--format json``
    and ``sarif`` on stdout stay what their schemas say); True when it does not parse. No
    manifest is fine: scan also reads plain code folders and single files."""
    if path.is_file() and path.name.lower().endswith((".js", ".mjs", ".cjs", ".html", ".htm")):
        return False
    files, _ = read_bundle(path)
    raw = files.get(MANIFEST_NAME)
    if raw is None:
        return False
    _, problems = check_manifest(raw)
    unparsable = any(not p.field for p in problems)  # JSON-level: nothing else was checked
    for p in problems:
        label = "error" if unparsable else "note"
        print(f"superapp scan: {label}: {MANIFEST_NAME}: {safe_text(p)}", file=sys.stderr)
    if problems:
        print(
            "superapp scan: install would refuse this bundle's manifest "
            "('superapp validate' lists every problem with a fix)",
            file=sys.stderr,
        )
    return unparsable


def cmd_scan(args: argparse.Namespace) -> int:
    denylist = Denylist.default(args.denylist)
    report = scan_path(args.path, allowed_hosts=args.allowed_host, denylist=denylist)
    manifest_broken = _manifest_unparsable(args.path)
    if args.format == "json":
        out = json.dumps(report.to_json(), indent=2) + "\n"
    elif args.format == "sarif":
        out = json.dumps(report.to_sarif(), indent=2) + "\n"
    else:
        out = format_text(report)
    if args.output is not None:
        try:
            args.output.write_text(out, encoding="utf-8")
        except OSError as err:
            raise UsageError(f"cannot write the report to {args.output}: {err.strerror}") from err
    else:
        sys.stdout.write(out)
    return 1 if report.blocking or manifest_broken else 0

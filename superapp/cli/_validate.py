"""``superapp validate DIR``: everything ``pack`` and ``install`` would say about an app folder,
at once, before signing anything.

1. the files ``pack`` would take (``.sappignore`` honoured; a symlink or a bad name stops here);
2. every ``manifest.json`` problem, each with its field and a fix (``bundles._problems``);
3. every file the manifest references (pages, icons) that is missing or not what it claims;
4. the static analyser on the same files, including what the app's CSP will refuse at run
   time (SA7xx: inline scripts and handlers, import maps, eval, library builds needing eval).

Exit codes: 0 ready to pack (warnings may remain), 1 a manifest problem or a block-level
finding (``pack``/``install`` would refuse; with ``--strict``, warnings count too), 2 bad
input (not a folder).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from superapp.analysis import ScanReport, scan_files
from superapp.analysis._scan import manifest_allowed_hosts
from superapp.audit import safe_text
from superapp.bundles import MANIFEST_NAME, collect_files
from superapp.bundles._manifest import check_manifest
from superapp.bundles._problems import ManifestProblem
from superapp.cli._findings import finding_line
from superapp.core.errors import BundleError, UsageError

__all__ = ["ValidationResult", "cmd_validate", "register", "validate_dir"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate",
        help="check an app folder: every manifest problem, the code check, what the CSP refuses",
        description=(
            "Check a mini-app folder before packing: every manifest.json problem with its "
            "field and a fix, referenced files, the static analyser, and code that will not "
            "run under the app's Content-Security-Policy. Exit 0: ready to pack (warnings "
            "may remain); 1: pack or install would refuse it (with --strict, also when "
            "there are warnings); 2: bad input."
        ),
    )
    p.add_argument("src_dir", type=Path, metavar="DIR")
    p.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_validate)


class ValidationResult:
    """What ``validate_dir`` found; ``ok`` when pack and install would accept the folder."""

    def __init__(self, problems: list[ManifestProblem], report: ScanReport | None) -> None:
        self.problems = problems
        self.report = report

    @property
    def ok(self) -> bool:
        return not self.problems and (self.report is None or not self.report.blocking)

    @property
    def warnings(self) -> int:
        return len(self.report.warnings) if self.report is not None else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": [
                {"field": p.field, "message": p.message, "fix": p.fix} for p in self.problems
            ],
            "scan": self.report.to_json() if self.report is not None else None,
        }


def validate_dir(src: Path) -> ValidationResult:
    """Check the folder ``src`` as ``pack`` would see it.

    Raises:
        UsageError: ``src`` is not a folder.
    """
    if not src.is_dir():
        raise UsageError(
            f"{src} is not a folder (validate takes the app's folder; for a .sapp bundle use "
            "'superapp verify' and 'superapp scan')"
        )
    try:
        files = collect_files(src)
    except BundleError as err:
        fix = "remove it or list it in .sappignore (docs/bundles.md)"
        return ValidationResult([ManifestProblem("(folder)", str(err), fix)], None)
    problems: list[ManifestProblem] = []
    raw = files.get(MANIFEST_NAME)
    hosts: tuple[str, ...] = ()
    if raw is None:
        problems.append(
            ManifestProblem(
                "",
                f"no {MANIFEST_NAME} at the top of the folder",
                "create one (superapp new writes a working example; see docs/manifest.md)",
            )
        )
    else:
        manifest, problems = check_manifest(raw)
        if manifest is not None:
            problems = manifest.file_problems(files)
            hosts = tuple(manifest.superapp.allowed_hosts)
        else:
            hosts = manifest_allowed_hosts(files)
    return ValidationResult(problems, scan_files(files, hosts))


def _text(result: ValidationResult, src: Path, strict: bool) -> str:
    lines: list[str] = []
    if result.problems:
        n = len(result.problems)
        lines.append(f"{MANIFEST_NAME}: {n} problem{'s' if n != 1 else ''}")
        for p in result.problems:
            lines.append(f"  {safe_text(p)}")
            lines.append(f"      fix: {safe_text(p.fix)}")
    else:
        lines.append(f"{MANIFEST_NAME}: OK")
    report = result.report
    if report is not None:
        c = report.counts()
        lines.append(f"code: {c['block']} error, {c['warn']} warning, {c['info']} note")
        lines.extend(
            f"  {finding_line(f)}" for f in report.findings if f.severity in ("block", "warn")
        )
    if not result.ok:
        lines.append(f"{safe_text(src)}: not ready: pack and install would refuse it")
    elif strict and result.warnings:
        lines.append(f"{safe_text(src)}: ready to pack, but --strict fails on the warnings")
    else:
        extra = f" ({result.warnings} warning(s) above)" if result.warnings else ""
        lines.append(f"{safe_text(src)}: ready to pack{extra}")
    return "\n".join(lines) + "\n"


def cmd_validate(args: argparse.Namespace) -> int:
    result = validate_dir(args.src_dir)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(_text(result, args.src_dir, args.strict))
    if not result.ok or (args.strict and result.warnings):
        return 1
    return 0

"""``superapp audit``: read and verify the audit log.

    superapp audit [--app APP_ID] [--since WHEN] [--action PREFIX] [--outcome O] [--json]
    superapp audit verify [--expect-head HASH] [--json]

``WHEN`` is an ISO date or time (``2026-11-21``, ``2026-11-21T05:00``, taken as UTC when it
has no offset) or an age: ``30s``, ``10m``, ``2h``, ``7d``.

Output is inert whatever the apps sent (``superapp.audit._text``): one line per event, every
field escaped and quoted where needed, so no field can hold a control sequence, a line break
or a forged separator; ``--json`` is one JSON object per line with those characters escaped.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta

from superapp.audit import AuditLog, inert_json, render_line
from superapp.core.errors import AuditError, UsageError
from superapp.core.paths import Paths

__all__ = ["parse_since", "register"]

_AGE_RE = re.compile(r"^(\d+)\s*([smhd])$")
_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """``--since`` → an aware UTC datetime.

    Raises:
        UsageError: neither an ISO date/time nor an age like ``10m``.
    """
    text = value.strip()
    match = _AGE_RE.match(text)
    if match:
        amount, unit = match.groups()
        return (now or datetime.now(UTC)) - timedelta(**{_AGE_UNITS[unit]: int(amount)})
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--since: {value!r} is not a date, a time or an age (e.g. 2026-11-21, 10m, 2h, 7d)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser(
        "audit",
        help="show the audit log (denials, violations, terminations, revocations)",
        description="Show audit events, oldest first, or verify the log's hash chain.",
    )
    audit.add_argument("--app", metavar="APP_ID", help="only events about this mini-app")
    audit.add_argument("--since", metavar="WHEN", help="only events at or after WHEN (or 10m, 2h)")
    audit.add_argument("--action", metavar="PREFIX", help="only this action or dotted prefix")
    audit.add_argument("--outcome", choices=("success", "failure", "unknown"))
    audit.add_argument("--json", action="store_true", help="one JSON object per line, as stored")
    audit.set_defaults(func=cmd_audit)
    verbs = audit.add_subparsers(dest="audit_command", metavar="verify", parser_class=type(audit))
    verify = verbs.add_parser(
        "verify",
        help="check the hash chain: detects edited, deleted, reordered or cut-off entries",
        description=(
            "Verify the audit log's hash chain across rotated files. Exits 1 and names the "
            "first bad line when the log was tampered with."
        ),
    )
    verify.add_argument(
        "--expect-head",
        metavar="HASH",
        help="also require this head hash (one you saved earlier, off this machine)",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(func=cmd_verify)


def cmd_audit(args: argparse.Namespace) -> int:
    log = AuditLog(Paths.from_env().audit_log)
    since = parse_since(args.since) if args.since else None
    out = sys.stdout
    for ev in log.query(app_id=args.app, since=since, action=args.action, outcome=args.outcome):
        if args.json:
            out.write(inert_json(ev) + "\n")
        else:
            out.write(render_line(ev) + "\n")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    log = AuditLog(Paths.from_env().audit_log)
    report = log.verify(expect_head=args.expect_head)
    if args.json:
        print(json.dumps(report.__dict__ | {"files": list(report.files)}))
        return 0 if report.ok else 1
    if not report.ok:
        raise AuditError(f"audit log failed verification: {report.problem}")
    print(
        f"audit log OK: {report.entries} entries in {len(report.files)} file(s)"
        + (f" and {report.retained} retained security events" if report.retained else "")
        + f"; head {report.head_hash} (sequence {report.head_sequence})"
    )
    return 0

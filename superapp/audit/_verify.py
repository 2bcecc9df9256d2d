"""``AuditLog.verify``: the ordered procedure of the package docstring, steps 1–8.

Kept apart from the writer so each stays readable; the writer's serialisation and hash
functions are the ones checked against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from superapp.audit._log import (
    GENESIS_HASH,
    _Head,
    _serialize,
    _serialize_raw,
    entry_hash,
)
from superapp.audit._retain import link, read_retained
from superapp.core.errors import AuditError

if TYPE_CHECKING:
    from superapp.audit._log import AuditLog

__all__ = ["VerifyReport", "verify_log"]


@dataclass(frozen=True)
class VerifyReport:
    """What ``AuditLog.verify`` found. ``ok`` is False exactly when ``problem`` is set."""

    ok: bool
    entries: int
    files: tuple[str, ...]
    head_sequence: int
    head_hash: str
    #: One line naming the file and line of the first bad entry.
    problem: str = ""
    bad_file: str = ""
    bad_line: int = 0
    #: Entries in ``audit.jsonl.retained`` (security events of deleted files), all checked.
    retained: int = 0


def _writer_form(line: str, obj: dict[str, Any]) -> bool:
    """``line`` is exactly what the writer produces for ``obj`` (today's inert form, or the
    raw UTF-8 form of logs written before it)."""
    return line == _serialize(obj) or line == _serialize_raw(obj)


def verify_log(log: AuditLog, *, expect_head: str | None = None) -> VerifyReport:
    """Check the whole chain (the ordered procedure in the module docstring).

    Never raises for a bad log: the report says what and where.

    Raises:
        AuditError: a log file exists but cannot be read at all.
    """
    files = log.files()
    names = tuple(p.name for p in files)
    head: _Head | None = None
    try:
        raw = log.head_path.read_bytes()
        head = _Head(**json.loads(raw)) if raw.strip() else None
    except FileNotFoundError:
        head = None
    except (ValueError, TypeError):
        return VerifyReport(False, 0, names, 0, "", f"{log.head_path.name}: head record is corrupt")

    def fail(count: int, path: Path | None, line_no: int, what: str) -> VerifyReport:
        where = f"{path.name} line {line_no}: " if path is not None else ""
        return VerifyReport(
            False,
            count,
            names,
            head.sequence if head else 0,
            head.hash if head else "",
            where + what,
            path.name if path is not None else "",
            line_no,
        )

    count = 0
    prev_hash: str | None = None
    prev_seq: int | None = None
    last_path: Path | None = None
    last_line = 0
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise AuditError(f"cannot read audit log {path}: {err.strerror}") from err
        lines = data.split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        for idx, raw_line in enumerate(complete, start=1):
            problem = _check_line(raw_line, prev_hash, prev_seq, head)
            if isinstance(problem, str):
                return fail(count, path, idx, problem)
            prev_seq, prev_hash = problem
            count += 1
            last_path, last_line = path, idx
        if tail:
            return fail(
                count,
                path,
                len(complete) + 1,
                "incomplete last line (no newline): the log was truncated mid-entry",
            )
    if count == 0:
        if head is not None and head.sequence > 0:
            return fail(0, None, 0, f"log is empty but the head records {head.sequence} entries")
        return VerifyReport(True, 0, names, 0, GENESIS_HASH)
    retained = _check_retained(log, head)
    if isinstance(retained, tuple):
        line_no, what = retained
        return fail(count, log.retained_path if line_no else None, line_no, what)
    if head is None:
        return fail(
            count,
            None,
            0,
            f"{log.head_path.name} is missing: entries at the end may have been removed",
        )
    if prev_seq != head.sequence or prev_hash != head.hash:
        return fail(
            count,
            last_path,
            last_line,
            f"log ends at sequence {prev_seq} but the head records sequence "
            f"{head.sequence}: entries after this line were removed",
        )
    if expect_head is not None and head.hash != expect_head.strip().lower():
        return fail(
            count, None, 0, "head hash differs from the expected one: the log was rewritten"
        )
    return VerifyReport(True, count, names, head.sequence, head.hash, retained=retained)


def _check_retained(log: AuditLog, head: _Head | None) -> int | tuple[int, str]:
    """Step 8: the number of retained entries, or ``(line, problem)``."""
    want_count = head.retained_count if head else 0
    want_hash = head.retained_hash if head else GENESIS_HASH
    base = head.base_sequence if head else 1
    count, digest, prev_seq = 0, GENESIS_HASH, 0
    for no, raw, obj in read_retained(log.retained_path):
        meta = obj.get("event") if obj is not None else None
        if obj is None or not isinstance(meta, dict):
            return no, "not a JSON audit entry (edited)"
        seq, h = meta.get("sequence"), meta.get("hash")
        if not isinstance(seq, int) or not isinstance(h, str):
            return no, "entry has malformed chain fields"
        text = raw.decode("utf-8", "replace") + "\n"
        if not _writer_form(text, obj) or entry_hash(obj) != h:
            return no, f"retained entry {seq} was modified (its hash does not match)"
        if seq <= prev_seq or seq >= base:
            return no, f"retained entry {seq} is out of order"
        count, digest, prev_seq = count + 1, link(digest, h), seq
    if count != want_count or digest != want_hash:
        return 0, (
            f"{log.retained_path.name} holds {count} entries that do not match the head's "
            f"{want_count}: retained security events were removed or changed"
        )
    return count


def _check_line(
    raw_line: bytes, prev_hash: str | None, prev_seq: int | None, head: _Head | None
) -> tuple[int, str] | str:
    try:
        text = raw_line.decode("utf-8")
        obj = json.loads(text)
    except ValueError:
        return "not valid JSON (edited or truncated)"
    if not isinstance(obj, dict):
        return "not a JSON object"
    meta = obj.get("event")
    chain = (obj.get("superapp") or {}).get("chain") if isinstance(obj, dict) else None
    if not isinstance(meta, dict) or not isinstance(chain, dict):
        return "entry has no chain fields (written outside the audit log or edited)"
    seq, digest, prev = meta.get("sequence"), meta.get("hash"), chain.get("prev")
    if not isinstance(seq, int) or not isinstance(digest, str) or not isinstance(prev, str):
        return "entry has malformed chain fields"
    if not _writer_form(text + "\n", obj):
        return "entry is not in the form the log writes (edited)"
    if entry_hash(obj) != digest:
        return f"entry {seq} was modified (its hash does not match its content)"
    if prev_seq is None:
        base_seq = head.base_sequence if head else 1
        base_prev = head.base_prev if head else GENESIS_HASH
        if seq != base_seq or prev != base_prev:
            return (
                f"log starts at entry {seq} but should start at entry {base_seq}: "
                "earlier entries were removed or reordered"
            )
    else:
        if seq != prev_seq + 1:
            if seq <= prev_seq:
                return f"entry {seq} follows entry {prev_seq}: entries were reordered"
            return f"entry {seq} follows entry {prev_seq}: entries before it were deleted or moved"
        if prev != prev_hash:
            return f"entry {seq} does not chain to the entry before it (reordered or replaced)"
    return seq, digest

"""The host's audit log: append-only JSON Lines, one object per event (DESIGN §2, §6.8).

Every denial, violation and termination is recorded here with the app id, the api or url,
and the reason. Field names follow the Elastic Common Schema (ECS 8.11) so that log shippers
can take the file as it is:

    @timestamp          RFC 3339 UTC time of the event
    ecs.version         "8.11.0"
    event.action        what happened, dotted: "bridge.denied", "net.blocked", "app.terminated"
    event.outcome       "success" | "failure" | "unknown"
    event.reason        a one-line human reason
    event.sequence      1, 2, 3, ... across rotated files: a gap or a step back is tampering
    event.hash          hex SHA-256 of this entry (see "Chain" below)
    superapp.app_id     the mini-app concerned (absent for host-wide events)
    superapp.chain.prev ``event.hash`` of the entry before (64 zeros for the first entry)
    superapp.*          further fields: api, url, capability, rule, ...

This module's ``record`` signature is the contract every other module uses.

Chain
-----
``event.hash`` is SHA-256 over the entry's canonical JSON (keys sorted, no whitespace,
UTF-8) *without* ``event.hash``; since that includes ``superapp.chain.prev``, every entry
commits to all entries before it. A head file (``audit.jsonl.head``) remembers the last
sequence and hash, so cutting entries off the end is detected too, and where the retained
chain begins (the oldest rotated file may have been deleted). Writers from several
processes serialise on an ``flock`` of the head file.

What this proves: an edit, deletion, insertion, reordering or truncation made by anything
that does not also recompute every later hash *and* the head file. Someone who can rewrite
the whole state folder can forge a consistent log; against that, ship the log (or just the
head hash printed by ``superapp audit verify``) off the machine and pass it back with
``--expect-head``.

Verification (``AuditLog.verify``), in this order, stopping at the first failure:

1. the head file, when the log has entries, exists and parses;
2. files are read oldest first (``audit.jsonl.N`` … ``audit.jsonl.1``, ``audit.jsonl``);
3. each line ends in ``\\n``, is JSON, and is byte-for-byte the form the writer produces;
4. each entry's ``event.hash`` matches its content (catches edits);
5. its ``event.sequence`` is one more than the entry before, and the first retained entry's
   sequence and ``chain.prev`` equal the head's recorded base (catches deletion, reordering,
   insertion, a removed oldest file);
6. its ``superapp.chain.prev`` equals the previous entry's ``event.hash``;
7. the last entry's sequence and hash equal the head's (catches truncation at the end),
   and, if given, the hash the caller expected;
8. the retained security log: each line in writer form with a matching ``event.hash``,
   sequences increasing and below the head's base, and the running hash and count equal to
   the head's ``retained_hash`` and ``retained_count``.

Rotation: when ``audit.jsonl`` would grow past ``AuditLimits.max_bytes`` it becomes
``audit.jsonl.1`` (older files shift up by one) and a new file starts; the chain simply
continues. Files beyond ``AuditLimits.backups`` are deleted, and the head's base moves to the
first entry of the oldest file that is kept. The security events of a deleted file are
carried into ``audit.jsonl.retained`` first (``_retain``), which has its own running hash in
the head and is checked by ``verify`` too (step 8).

Floods: events a running app causes come in through ``record_app``, which passes them
through the per-app flood gate (``_flood``): repeats become one "N more like this" entry.
Host decisions (``record``) are never gated.

Output: every line is ``inert_json`` (``_text``): JSON in which control, format and separator
characters are ``\\u`` escapes, so ``cat audit.jsonl`` cannot drive the reader's terminal.
Logs written before that (raw UTF-8) still verify.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from superapp.audit._flood import FloodGate, FloodLimits, Suppressed, kind_of
from superapp.audit._retain import carry, read_retained
from superapp.audit._text import inert_json
from superapp.core.canon import legacy_json

if TYPE_CHECKING:
    from superapp.audit._verify import VerifyReport

__all__ = [
    "ECS_VERSION",
    "GENESIS_HASH",
    "AuditLimits",
    "AuditLog",
    "Outcome",
    "entry_hash",
]

Outcome = Literal["success", "failure", "unknown"]

ECS_VERSION = "8.11.0"
#: ``superapp.chain.prev`` of the very first entry.
GENESIS_HASH = "0" * 64
#: Keys of ``superapp`` the log owns; a caller's field of that name is stored as ``chain_``.
_RESERVED_FIELDS = frozenset({"chain"})
#: Action prefixes only the host itself writes (never a runtime's report).
_HOST_ONLY_ACTIONS = ("app.", "monitor.", "audit.")
#: The head record is padded to this many bytes.
_HEAD_BYTES = 512


@dataclass(frozen=True)
class AuditLimits:
    """Rotation limits. The host policy's ``[audit]`` section fills these in."""

    #: Rotate when the current file would grow past this many bytes.
    max_bytes: int = 10 * 1024 * 1024
    #: Rotated files kept (``audit.jsonl.1`` … ``audit.jsonl.N``); older ones are deleted.
    backups: int = 10
    #: Cap of ``audit.jsonl.retained`` (security events of deleted files); compacted past it.
    retained_max_bytes: int = 10 * 1024 * 1024
    #: The per-app flood gate of ``record_app``.
    flood: FloodLimits = field(default_factory=FloodLimits)

    def __post_init__(self) -> None:
        if self.max_bytes < 1024:
            raise ValueError("audit max_bytes must be at least 1024")
        if self.backups < 1:
            raise ValueError("audit backups must be at least 1")
        if self.retained_max_bytes < 1024:
            raise ValueError("audit retained_max_bytes must be at least 1024")


@dataclass
class _Head:
    sequence: int = 0
    hash: str = GENESIS_HASH
    #: Size of the current file right after the last write (detects other writers/crashes).
    size: int = 0
    base_sequence: int = 1
    base_prev: str = GENESIS_HASH
    #: Entries in the retained security log and the running hash over them (``_retain``).
    retained_count: int = 0
    retained_hash: str = GENESIS_HASH

    def to_json(self) -> str:
        return json.dumps(self.__dict__, separators=(",", ":"), sort_keys=True)


def _canonical(obj: Any) -> bytes:
    # Pinned to the legacy form, not RFC 8785 (ADR 0009): existing logs are chained over it,
    # and a page's lone surrogate or a NaN must not stop the write.
    return legacy_json(obj)


def _serialize(event: Mapping[str, Any]) -> str:
    """The exact line the writer produces for ``event`` (key order as given)."""
    return inert_json(event) + "\n"


def _serialize_raw(event: Mapping[str, Any]) -> str:
    """The line form of logs written before ``inert_json`` (still accepted by ``verify``)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"


def entry_hash(event: Mapping[str, Any]) -> str:
    """``event.hash`` for ``event``: SHA-256 of its canonical JSON without ``event.hash``."""
    body = dict(event)
    ev = dict(body.get("event") or {})
    ev.pop("hash", None)
    body["event"] = ev
    return hashlib.sha256(_canonical(body)).hexdigest()


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class AuditLog:
    """Appends events to ``path``; safe to use from several processes at once."""

    def __init__(self, path: Path, *, limits: AuditLimits | None = None) -> None:
        self.path = path
        self.limits = limits or AuditLimits()
        self._dir_ready = False
        self._gate = FloodGate(self.limits.flood)

    # --- files ---------------------------------------------------------------------
    @property
    def head_path(self) -> Path:
        return self.path.with_name(self.path.name + ".head")

    @property
    def retained_path(self) -> Path:
        return self.path.with_name(self.path.name + ".retained")

    def _rotated(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}")

    def files(self) -> list[Path]:
        """Existing log files, oldest first."""
        rotated: list[tuple[int, Path]] = []
        prefix = self.path.name + "."
        if self.path.parent.is_dir():
            for child in self.path.parent.iterdir():
                suffix = child.name[len(prefix) :] if child.name.startswith(prefix) else ""
                if suffix.isdigit():
                    rotated.append((int(suffix), child))
        ordered = [p for _, p in sorted(rotated, reverse=True)]
        if self.path.exists():
            ordered.append(self.path)
        return ordered

    # --- writing -------------------------------------------------------------------
    def record_app(
        self,
        action: str,
        *,
        app_id: str,
        outcome: Outcome = "unknown",
        reason: str = "",
        **fields: Any,
    ) -> bool:
        """Append an event a running app caused, through the per-app flood gate (``_flood``).

        Returns True when it was written as its own entry, False when it was only counted
        (it then appears in the app's next ``audit.suppressed`` summary). Actions only the
        host writes (``app.*``, ``monitor.*``, ``audit.*``) are kept under ``runtime.<action>``:
        a runtime cannot pass off a report as a host decision.
        """
        if action.startswith(_HOST_ONLY_ACTIONS):
            action = "runtime." + action
        admitted, ended = self._gate.admit(app_id, kind_of(action, fields))
        if ended is not None:
            self._record_summary(ended)
        if admitted:
            self.record(action, app_id=app_id, outcome=outcome, reason=reason, **fields)
        return admitted

    def flush_app(self, app_id: str) -> None:
        """The app stopped: write its pending "N more like this" summary now."""
        ended = self._gate.close(app_id)
        if ended is not None:
            self._record_summary(ended)

    def _record_summary(self, summary: Suppressed) -> None:
        kinds = ", ".join(f"{n} × {k}" for k, n in sorted(summary.counts.items()))
        self.record(
            "audit.suppressed",
            app_id=summary.app_id,
            outcome="failure",
            reason=f"{summary.total} more like this, not written one by one: {kinds}",
            count=summary.total,
            counts=dict(summary.counts),
            window_s=summary.window_s,
        )

    def record(
        self,
        action: str,
        *,
        app_id: str | None = None,
        outcome: Outcome = "unknown",
        reason: str = "",
        **fields: Any,
    ) -> dict[str, Any]:
        """Append one event and return it as written."""
        for name in _RESERVED_FIELDS.intersection(fields):
            # Never raise here (fields may come from a runtime over the control channel):
            # a caller's field of a reserved name is kept under a suffixed name.
            fields[name + "_"] = fields.pop(name)
        if not self._dir_ready:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._dir_ready = True
        try:
            lock_fd = os.open(self.head_path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:  # the folder was removed since we made it
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock_fd = os.open(self.head_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            head = self._load_head_locked(lock_fd)
            superapp: dict[str, Any] = {"app_id": app_id, **fields} if app_id else dict(fields)
            superapp["chain"] = {"prev": head.hash}
            event: dict[str, Any] = {
                "@timestamp": datetime.now(UTC).isoformat(timespec="microseconds"),
                "ecs": {"version": ECS_VERSION},
                "event": {
                    "action": action,
                    "outcome": outcome,
                    "reason": reason,
                    "sequence": head.sequence + 1,
                },
                "superapp": superapp,
            }
            # Round-trip through JSON once so what we hash is exactly what a reader sees
            # (``default=str`` turns paths, enums, ... into strings).
            event = json.loads(json.dumps(event, ensure_ascii=False, default=str))
            event["event"]["hash"] = entry_hash(event)
            data = _serialize(event).encode("utf-8")  # inert_json escaped any surrogate
            size = head.size
            if size > 0 and size + len(data) > self.limits.max_bytes:
                self._rotate_locked(head)
                size = 0
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            head.sequence += 1
            head.hash = event["event"]["hash"]
            head.size = size
            self._store_head_locked(lock_fd, head)
        finally:
            os.close(lock_fd)
        return event

    def verify(self, *, expect_head: str | None = None) -> VerifyReport:
        """Check the whole chain (the ordered procedure in the module docstring).

        Never raises for a bad log: the report says what and where.

        Raises:
            AuditError: a log file exists but cannot be read at all.
        """
        from superapp.audit._verify import verify_log

        return verify_log(self, expect_head=expect_head)

    def _load_head_locked(self, lock_fd: int) -> _Head:
        raw = os.pread(lock_fd, _HEAD_BYTES, 0)
        head = _Head()
        if raw.strip():
            try:
                head = _Head(**json.loads(raw))
            except (ValueError, TypeError):
                head = _Head()
        try:
            actual = self.path.stat().st_size
        except FileNotFoundError:
            actual = 0
        if actual == head.size:
            return head
        # The file is not the size we left it: a crash between the two writes, a writer
        # without the lock, or tampering. Continue from the log's last entry if it is
        # *ahead* of the head; never go back, so a truncation stays visible to verify().
        tail = self._last_entry()
        if tail is not None:
            ev = tail.get("event") or {}
            seq, digest = ev.get("sequence"), ev.get("hash")
            if isinstance(seq, int) and isinstance(digest, str) and seq > head.sequence:
                head.sequence, head.hash = seq, digest
        head.size = actual
        return head

    def _store_head_locked(self, lock_fd: int, head: _Head) -> None:
        # Fixed width, overwritten in place: no ftruncate, which costs milliseconds on some
        # file systems. Readers strip the padding.
        data = head.to_json().encode().ljust(_HEAD_BYTES)
        os.pwrite(lock_fd, data, 0)

    def _last_entry(self) -> dict[str, Any] | None:
        try:
            with self.path.open("rb") as f:
                end = f.seek(0, os.SEEK_END)
                chunk = 1 << 16
                f.seek(max(0, end - chunk))
                lines = f.read().splitlines()
        except FileNotFoundError:
            return None
        for line in reversed(lines):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
        return None

    def _rotate_locked(self, head: _Head) -> None:
        backups = self.limits.backups
        oldest = self._rotated(backups)
        if oldest.exists():
            head.retained_count, head.retained_hash = carry(
                oldest,
                self.retained_path,
                (head.retained_count, head.retained_hash),
                self.limits.retained_max_bytes,
                _serialize,
            )
            oldest.unlink()
        for n in range(backups - 1, 0, -1):
            src = self._rotated(n)
            if src.exists():
                src.rename(self._rotated(n + 1))
        self.path.rename(self._rotated(1))
        # Anything older than the oldest file now kept is gone on purpose: move the base.
        kept = self.files()
        if kept:
            first = _first_entry(kept[0])
            if first is not None:
                ev = first.get("event") or {}
                chain = (first.get("superapp") or {}).get("chain") or {}
                if isinstance(ev.get("sequence"), int) and isinstance(chain.get("prev"), str):
                    head.base_sequence = ev["sequence"]
                    head.base_prev = chain["prev"]

    # --- reading -------------------------------------------------------------------
    def events(self, *, retained: bool = True) -> Iterator[Mapping[str, Any]]:
        """Every event in order, across rotated files (tests and ``superapp audit``).

        With ``retained`` (the default), the security events kept from deleted files come
        first. Lines that are not JSON objects are skipped here; ``verify`` reports them.
        """
        if retained:
            for _, _, obj in read_retained(self.retained_path):
                if obj is not None:
                    yield obj
        for path in self.files():
            try:
                f = path.open(encoding="utf-8", errors="replace")
            except FileNotFoundError:
                continue  # rotated away while we were reading
            with f:
                for line in f:
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(obj, dict):
                        yield obj

    def query(
        self,
        *,
        app_id: str | None = None,
        since: datetime | None = None,
        action: str | None = None,
        outcome: Outcome | None = None,
    ) -> Iterator[Mapping[str, Any]]:
        """Events matching every given filter, in order.

        ``action`` matches the exact action or a dotted prefix (``"bridge"`` matches
        ``"bridge.denied"``); ``since`` is inclusive.
        """
        for ev in self.events():
            meta = ev.get("event") or {}
            if app_id is not None and (ev.get("superapp") or {}).get("app_id") != app_id:
                continue
            if outcome is not None and meta.get("outcome") != outcome:
                continue
            if action is not None:
                name = str(meta.get("action", ""))
                if name != action and not name.startswith(action + "."):
                    continue
            if since is not None:
                at = _parse_time(ev.get("@timestamp"))
                if at is None or at < since:
                    continue
            yield ev


def _first_entry(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as f:
            line = f.readline()
    except FileNotFoundError:
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None

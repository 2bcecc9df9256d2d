"""The retained security log: denials, violations and terminations outlive rotation.

Rotation deletes the oldest rotated file when there are more than ``backups``. Before it does,
every *security event* in that file (an entry whose ``event.outcome`` is not ``"success"``:
denials, blocks, violations, budget steps, crashes, terminations, flood summaries) is appended,
byte for byte as the writer produced it, to ``audit.jsonl.retained``. So an app that floods the
log can push its own and other apps' routine entries out of the rotated files, but not the
record of what was refused or stopped.

Chain: the head file keeps ``retained_count`` and ``retained_hash``, a running SHA-256 over the
``event.hash`` of every retained entry (``link(prev, hash)``, from 64 zeros). ``verify``
checks each retained entry's own hash, that sequences increase and stay below the main log's
base, and the running hash and count against the head: a retained entry edited, removed or
reordered is found like one in the main log.

Size: the file is capped at ``AuditLimits.retained_max_bytes``. When a carry would pass the cap
it is compacted to three quarters of it, fairly: the app holding the most retained bytes gives
up entries first, and within an app the newest entries of its most repeated kinds go first, so
the first entry of every kind an app ever had is the last thing it loses. A flood can thus only
thin out the flooder's own repeats; it never displaces another app's security events.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from superapp.audit._flood import kind_of
from superapp.core.files import atomic_write

__all__ = ["carry", "is_security_event", "link", "read_retained"]

GENESIS = "0" * 64


def link(prev: str, entry_hash: str) -> str:
    """The retained chain's next value after ``prev`` for an entry with ``entry_hash``."""
    return hashlib.sha256(f"{prev}{entry_hash}".encode("ascii", "replace")).hexdigest()


def is_security_event(ev: Mapping[str, Any]) -> bool:
    """Denials, violations, terminations: every entry whose outcome is not a success."""
    meta = ev.get("event")
    return isinstance(meta, Mapping) and meta.get("outcome") != "success"


def read_retained(path: Path) -> Iterator[tuple[int, bytes, dict[str, Any] | None]]:
    """``(line number, raw line without newline, parsed object or None)`` for each line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for no, raw in enumerate(lines, start=1):
        try:
            obj = json.loads(raw)
        except ValueError:
            obj = None
        yield no, raw, obj if isinstance(obj, dict) else None


def carry(
    dropping: Path,
    retained: Path,
    state: tuple[int, str],
    max_bytes: int,
    serialize: Callable[[Mapping[str, Any]], str],
) -> tuple[int, str]:
    """Append the security events of ``dropping`` (about to be deleted) to ``retained``.

    ``state`` is the head's ``(retained_count, retained_hash)``; the new state is returned.
    Runs under the log's lock.
    """
    count, digest = state
    out: list[bytes] = []
    for _, _, obj in read_retained(dropping):
        if obj is None or not is_security_event(obj):
            continue
        h = (obj.get("event") or {}).get("hash")
        if not isinstance(h, str):
            continue
        out.append(serialize(obj).encode("utf-8", "surrogatepass"))
        count, digest = count + 1, link(digest, h)
    if not out:
        return count, digest
    fd = os.open(retained, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, b"".join(out))
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if size > max_bytes:
        return _compact(retained, max_bytes * 3 // 4, serialize)
    return count, digest


def _compact(
    retained: Path, target: int, serialize: Callable[[Mapping[str, Any]], str]
) -> tuple[int, str]:
    entries = [(obj, len(raw) + 1) for _, raw, obj in read_retained(retained) if obj is not None]
    alive = [True] * len(entries)
    by_app: dict[str, list[int]] = {}
    used: Counter[str] = Counter()
    for i, (obj, size) in enumerate(entries):
        app = str((obj.get("superapp") or {}).get("app_id") or "")
        by_app.setdefault(app, []).append(i)
        used[app] += size
    total = sum(used.values())
    while total > target and used:
        app, have = used.most_common(1)[0]
        runner_up = used.most_common(2)[1][1] if len(used) > 1 else 0
        # Give up at least one entry, and enough to fall to the next app's share or the target.
        need = max(1, min(total - target, have - runner_up))
        freed = _thin(entries, alive, by_app[app], need)
        used[app] -= freed
        total -= freed
        if not any(alive[i] for i in by_app[app]):
            del used[app]
    kept = [entries[i][0] for i in range(len(entries)) if alive[i]]
    atomic_write(retained, "".join(serialize(obj) for obj in kept).encode("utf-8", "surrogatepass"))
    digest = GENESIS
    for obj in kept:
        digest = link(digest, str(obj["event"]["hash"]))
    return len(kept), digest


def _thin(
    entries: list[tuple[dict[str, Any], int]], alive: list[bool], mine: list[int], need: int
) -> int:
    """Drop about ``need`` bytes of one app's entries: newest repeats first, then oldest."""

    def kind(i: int) -> str:
        obj = entries[i][0]
        meta = obj.get("event") or {}
        return kind_of(str(meta.get("action", "")), obj.get("superapp") or {})

    live = [i for i in mine if alive[i]]
    left = Counter(kind(i) for i in live)
    freed = 0
    for i in reversed(live):
        if freed >= need:
            return freed
        k = kind(i)
        if left[k] > 1:
            alive[i] = False
            left[k] -= 1
            freed += entries[i][1]
    for i in live:
        if freed >= need:
            break
        if alive[i]:
            alive[i] = False
            freed += entries[i][1]
    return freed

"""Tampering with the audit log is detected by ``superapp audit verify``.

Each test asserts the non-zero exit, the message naming the first bad line, and that
verifying changed nothing on disk.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from superapp.audit import AuditLimits, AuditLog, entry_hash
from superapp.cli import main
from superapp.core.paths import Paths

APP = "com.example.notes"


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.record("bridge.denied", app_id=APP, outcome="failure", reason=f"denied {i}", api="a.b")


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _edit(path: Path) -> None:
    lines = _lines(path)
    lines[2] = lines[2].replace(b"denied 2", b"allowed 2")
    path.write_bytes(b"".join(lines))


def _delete(path: Path) -> None:
    lines = _lines(path)
    del lines[2]
    path.write_bytes(b"".join(lines))


def _reorder(path: Path) -> None:
    lines = _lines(path)
    lines[2], lines[3] = lines[3], lines[2]
    path.write_bytes(b"".join(lines))


def _truncate_entries(path: Path) -> None:
    path.write_bytes(b"".join(_lines(path)[:3]))


def _truncate_mid_line(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])


def _duplicate(path: Path) -> None:
    lines = _lines(path)
    lines.insert(3, lines[2])
    path.write_bytes(b"".join(lines))


def _insert_unchained(path: Path) -> None:
    lines = _lines(path)
    forged = {"@timestamp": "2026-01-01T00:00:00+00:00", "event": {"action": "app.installed"}}
    lines.insert(2, (json.dumps(forged) + "\n").encode())
    path.write_bytes(b"".join(lines))


def _rechain_from(path: Path) -> None:
    """Edit line 3 and recompute every later hash: only the head still disagrees."""
    events = [json.loads(x) for x in _lines(path)]
    events[2]["event"]["reason"] = "nothing to see"
    for i in range(2, len(events)):
        events[i]["superapp"]["chain"]["prev"] = events[i - 1]["event"]["hash"]
        events[i]["event"].pop("hash")
        events[i]["event"]["hash"] = entry_hash(events[i])
    path.write_text(
        "".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n" for e in events)
    )


TAMPERS: list[tuple[str, Callable[[Path], None], str]] = [
    ("edit", _edit, "audit.jsonl line 3: entry 3 was modified"),
    ("delete", _delete, "audit.jsonl line 3: entry 4 follows entry 2"),
    ("reorder", _reorder, "audit.jsonl line 3: entry 4 follows entry 2"),
    ("truncate", _truncate_entries, "audit.jsonl line 3: log ends at sequence 3"),
    ("truncate_mid_line", _truncate_mid_line, "audit.jsonl line 6: incomplete last line"),
    ("duplicate", _duplicate, "audit.jsonl line 4: entry 3 follows entry 3"),
    ("insert_unchained", _insert_unchained, "audit.jsonl line 3: entry has no chain fields"),
    ("rechain", _rechain_from, "audit.jsonl line 6: log ends at sequence 6 but the head"),
]


@pytest.mark.parametrize(
    ("tamper", "expected"), [(t, e) for _, t, e in TAMPERS], ids=[i for i, _, _ in TAMPERS]
)
def test_tampering_is_detected_by_audit_verify(
    superapp_home: Paths,
    capsys: pytest.CaptureFixture[str],
    tamper: Callable[[Path], None],
    expected: str,
) -> None:
    log = AuditLog(superapp_home.audit_log)
    _fill(log, 6)
    assert main(["audit", "verify"]) == 0
    capsys.readouterr()
    tamper(log.path)
    before = log.path.read_bytes(), log.head_path.read_bytes()
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("superapp: error: audit log failed verification: ")
    assert expected in err
    assert err.count("\n") == 1  # one line
    assert (log.path.read_bytes(), log.head_path.read_bytes()) == before


def test_an_untouched_log_verifies(
    superapp_home: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(AuditLog(superapp_home.audit_log), 4)
    assert main(["audit", "verify"]) == 0
    assert "audit log OK: 4 entries" in capsys.readouterr().out


def test_truncation_stays_visible_after_later_writes(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    _fill(log, 6)
    _truncate_entries(log.path)
    _fill(log, 2)  # the writer must not paper over the cut
    report = log.verify()
    assert not report.ok
    assert report.bad_line == 4 and "entry 7 follows entry 3" in report.problem


def test_deleting_the_head_file_is_detected(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    _fill(log, 3)
    log.head_path.unlink()
    report = log.verify()
    assert not report.ok and "head" in report.problem


def test_edit_in_a_rotated_file_names_that_file(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log, limits=AuditLimits(max_bytes=2048, backups=10))
    _fill(log, 30)
    rotated = log.files()[1]
    lines = _lines(rotated)
    lines[1] = lines[1].replace(b'"failure"', b'"success"')
    rotated.write_bytes(b"".join(lines))
    report = log.verify()
    assert not report.ok
    assert report.bad_file == rotated.name and report.bad_line == 2


def test_rewriting_log_and_head_is_caught_by_an_expected_head(
    superapp_home: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    log = AuditLog(superapp_home.audit_log)
    _fill(log, 5)
    saved_head = log.verify().head_hash
    _rechain_from(log.path)
    last = json.loads(_lines(log.path)[-1])
    head = json.loads(log.head_path.read_text())
    head["hash"] = last["event"]["hash"]
    log.head_path.write_text(json.dumps(head))
    assert log.verify().ok  # a complete forgery is consistent on its own...
    assert (
        main(["audit", "verify", "--expect-head", saved_head]) == 1
    )  # ...but not with the saved head
    assert "head hash differs" in capsys.readouterr().err


def _make_reference_log() -> tuple[bytes, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        log = AuditLog(Path(tmp) / "audit.jsonl")
        _fill(log, 4)
        log.record("net.blocked", app_id=APP, url="https://é.test/ü?x=1", size=1.5, ok=True)
        return log.path.read_bytes(), log.head_path.read_bytes()


_REFERENCE = _make_reference_log()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    position=st.integers(min_value=0, max_value=len(_REFERENCE[0]) - 1),
    flip=st.integers(min_value=1, max_value=255),
)
def test_any_single_byte_change_is_detected(position: int, flip: int) -> None:
    data, head = _REFERENCE
    tampered = bytearray(data)
    tampered[position] ^= flip
    with tempfile.TemporaryDirectory() as tmp:
        log = AuditLog(Path(tmp) / "audit.jsonl")
        log.path.write_bytes(bytes(tampered))
        log.head_path.write_bytes(head)
        assert not log.verify().ok

"""The audit log: the record() contract, the hash chain, rotation, filtering, many writers."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from superapp.audit import ECS_VERSION, GENESIS_HASH, AuditLimits, AuditLog, entry_hash
from superapp.core.paths import Paths

APP = "com.example.notes"


def _fill(log: AuditLog, n: int, app_id: str = APP) -> None:
    for i in range(n):
        log.record(
            "bridge.denied",
            app_id=app_id,
            outcome="failure",
            reason=f"storage not granted ({i})",
            api="storage.get",
        )


def test_record_returns_the_event_as_written_with_ecs_fields(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    event = log.record(
        "net.blocked",
        app_id=APP,
        outcome="failure",
        reason="host not allowed",
        url="https://x.test/",
    )
    (stored,) = list(log.events())
    assert stored == event
    assert event["ecs"] == {"version": ECS_VERSION}
    assert event["event"]["action"] == "net.blocked"
    assert event["event"]["outcome"] == "failure"
    assert event["event"]["reason"] == "host not allowed"
    assert event["event"]["sequence"] == 1
    assert event["superapp"]["app_id"] == APP
    assert event["superapp"]["url"] == "https://x.test/"
    assert event["superapp"]["chain"] == {"prev": GENESIS_HASH}
    assert event["event"]["hash"] == entry_hash(event)
    datetime.fromisoformat(event["@timestamp"])  # RFC 3339


def test_host_wide_event_has_no_app_id(superapp_home: Paths) -> None:
    event = AuditLog(superapp_home.audit_log).record("host.started", outcome="success")
    assert "app_id" not in event["superapp"]


def test_each_entry_chains_to_the_one_before(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    _fill(log, 5)
    events = list(log.events())
    assert [e["event"]["sequence"] for e in events] == [1, 2, 3, 4, 5]
    for before, after in itertools.pairwise(events):
        assert after["superapp"]["chain"]["prev"] == before["event"]["hash"]
    report = log.verify()
    assert report.ok and report.entries == 5 and report.head_hash == events[-1]["event"]["hash"]


def test_non_json_field_values_are_stored_as_text_and_still_verify(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    event = log.record("app.installed", app_id=APP, path=Path("/x/y"), when=datetime(2026, 1, 1))
    assert event["superapp"]["path"] == "/x/y"
    assert log.verify().ok


def test_a_field_named_like_the_chain_cannot_forge_the_link(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    event = log.record("x.y", chain={"prev": "f" * 64})
    assert event["superapp"]["chain"] == {"prev": GENESIS_HASH}
    assert event["superapp"]["chain_"] == {"prev": "f" * 64}
    assert log.verify().ok


def test_rotation_keeps_the_chain_verifiable_across_files(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log, limits=AuditLimits(max_bytes=2048, backups=50))
    _fill(log, 40)
    files = log.files()
    assert len(files) > 3
    assert all(f.stat().st_size <= 2048 for f in files)
    assert files[-1] == superapp_home.audit_log
    events = list(log.events())
    assert [e["event"]["sequence"] for e in events] == list(range(1, 41))
    report = log.verify()
    assert report.ok, report.problem
    assert report.entries == 40 and len(report.files) == len(files)


def test_retention_drops_old_files_and_the_rest_still_verifies(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log, limits=AuditLimits(max_bytes=2048, backups=2))
    _fill(log, 60)
    assert len(log.files()) == 3  # current + 2 backups
    events = list(log.events(retained=False))
    assert events[-1]["event"]["sequence"] == 60
    assert events[0]["event"]["sequence"] > 1
    report = log.verify()
    assert report.ok, report.problem
    # The dropped entries were denials: security events, kept in the retained log.
    assert [e["event"]["sequence"] for e in log.events()] == list(range(1, 61))
    assert report.retained == events[0]["event"]["sequence"] - 1


def test_deleting_the_oldest_kept_file_is_detected(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log, limits=AuditLimits(max_bytes=2048, backups=5))
    _fill(log, 30)
    oldest = log.files()[0]
    oldest.unlink()
    report = log.verify()
    assert not report.ok
    assert "earlier entries were removed" in report.problem


def test_query_filters_by_app_action_outcome_and_time(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    _fill(log, 2)
    _fill(log, 1, app_id="com.example.other")
    log.record("bridge.allowed", app_id=APP, outcome="success", api="app.info")
    log.record("app.terminated", app_id=APP, outcome="failure", reason="memory")
    assert len(list(log.query(app_id=APP))) == 4
    assert len(list(log.query(action="bridge"))) == 4
    assert len(list(log.query(action="bridge.denied"))) == 3
    assert [e["event"]["action"] for e in log.query(action="app")] == ["app.terminated"]
    assert len(list(log.query(app_id=APP, outcome="failure"))) == 3
    future = datetime.now(UTC) + timedelta(minutes=1)
    assert list(log.query(since=future)) == []
    assert len(list(log.query(since=future - timedelta(hours=1)))) == 5


_WRITER = """
import sys
from pathlib import Path
from superapp.audit import AuditLog, AuditLimits
log = AuditLog(Path(sys.argv[1]), limits=AuditLimits(max_bytes=4096, backups=100))
for i in range(int(sys.argv[2])):
    log.record("bridge.call", app_id=sys.argv[3], outcome="success", n=i)
"""


def test_several_processes_writing_at_once_keep_one_valid_chain(superapp_home: Paths) -> None:
    path = superapp_home.audit_log
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), "40", f"com.example.w{i}"])
        for i in range(3)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    log = AuditLog(path, limits=AuditLimits(max_bytes=4096, backups=100))
    events = list(log.events())
    assert [e["event"]["sequence"] for e in events] == list(range(1, 121))
    for i in range(3):
        mine = [
            e["superapp"]["n"] for e in events if e["superapp"]["app_id"] == f"com.example.w{i}"
        ]
        assert mine == list(range(40))
    report = log.verify()
    assert report.ok, report.problem


def test_a_line_written_past_the_log_does_not_break_the_next_record(superapp_home: Paths) -> None:
    # A crash between writing the line and the head: the next writer continues from the line.
    log = AuditLog(superapp_home.audit_log)
    _fill(log, 3)
    head = json.loads(log.head_path.read_text())
    _fill(log, 1)
    log.head_path.write_text(json.dumps(head))  # the head update "was lost"
    _fill(log, 1)
    report = log.verify()
    assert report.ok, report.problem
    assert report.entries == 5


def test_log_file_is_inert_and_logs_written_raw_before_still_verify(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    log.record("net.blocked", app_id=APP, outcome="failure", reason="\u202e\x9b2J\u2028")
    text = superapp_home.audit_log.read_text(encoding="utf-8")
    assert "\\u202e" in text and "\\u009b" in text and "\\u2028" in text
    assert text.isascii()
    assert log.verify().ok
    # A log written by an earlier version (raw UTF-8 for these characters) still verifies.
    (event,) = list(log.events())
    raw = json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"
    superapp_home.audit_log.write_bytes(raw.encode("utf-8"))
    report = log.verify()
    assert report.ok, report.problem


def test_a_lone_surrogate_from_a_page_is_written_escaped(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    log.record("bridge.denied", app_id=APP, outcome="failure", reason="\ud800")
    assert "\\ud800" in superapp_home.audit_log.read_text(encoding="utf-8")
    assert next(iter(log.events()))["event"]["reason"] == "\ud800"
    assert log.verify().ok

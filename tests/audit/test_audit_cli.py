"""``superapp audit``: listing with filters, JSON output, and --since parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from superapp.audit import AuditLog
from superapp.cli import main
from superapp.cli._audit import parse_since
from superapp.core.errors import UsageError
from superapp.core.paths import Paths


@pytest.fixture
def log(superapp_home: Paths) -> AuditLog:
    audit = AuditLog(superapp_home.audit_log)
    audit.record("bridge.denied", app_id="com.example.notes", outcome="failure",
                 reason="storage not granted", api="storage.get")  # fmt: skip
    audit.record("net.blocked", app_id="com.example.chat", outcome="failure",
                 reason="host not allowed", url="https://evil.test/")  # fmt: skip
    audit.record("host.started", outcome="success")
    return audit


def test_audit_lists_events_one_line_each(
    log: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert (
        'com.example.notes  bridge.denied  failure  "storage not granted"  [api=storage.get]'
        in (lines[0])
    )
    assert "chain" not in lines[0]


def test_audit_filters_by_app_and_action(log: AuditLog, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--app", "com.example.chat"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and "net.blocked" in out[0]
    assert main(["audit", "--action", "host", "--outcome", "success"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and "host.started" in out[0]


def test_audit_json_is_the_stored_events(log: AuditLog, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--json", "--since", "1h"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed == list(log.events())


def test_audit_since_in_the_future_shows_nothing(
    log: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert main(["audit", "--since", tomorrow]) == 0
    assert capsys.readouterr().out == ""


def test_bad_since_is_a_one_line_usage_error(
    log: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--since", "last tuesday"]) == 2
    err = capsys.readouterr().err
    assert "--since: 'last tuesday' is not a date" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", datetime(2026, 11, 21, 11, 50, tzinfo=UTC)),
        ("2h", datetime(2026, 11, 21, 10, 0, tzinfo=UTC)),
        ("7d", datetime(2026, 11, 14, 12, 0, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T05:00+01:00", datetime(2026, 11, 20, 4, 0, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, now=datetime(2026, 11, 21, 12, 0, tzinfo=UTC)) == expected


def test_parse_since_refuses_nonsense() -> None:
    with pytest.raises(UsageError):
        parse_since("soon")

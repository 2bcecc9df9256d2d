"""The notes mini-app's storage calls, replayed through the real dispatcher and API table,
keep its notes across a restart of its runtime (the window half is in tests/e2e)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.testing import TestBridge, open_test_bridge
from superapp.core.consent import FixedAnswerBroker

NOTES = "dev.superapp.notes"  # miniapps/notes/manifest.json


def _runtime(home: Path, app_id: str = NOTES) -> TestBridge:
    return open_test_bridge(home, app_id, declared={"storage"}, broker=FixedAnswerBroker.deny())


def _ok(reply: dict[str, Any]) -> Any:
    assert reply["ok"] is True, reply
    return reply["result"]


def test_notes_survive_a_restart_and_stay_with_their_app(tmp_path: Path) -> None:
    note = {"id": "n1", "title": "Shopping", "body": "milk\neggs", "created": 1, "updated": 2}
    first = _runtime(tmp_path)
    _ok(first.call("storage.set", {"key": "note:n1", "value": note}))
    _ok(first.call("storage.set", {"key": "note:n2", "value": {**note, "id": "n2"}}))
    _ok(first.call("storage.remove", {"key": "note:n2"}))
    first.ctx.close()
    first.close()

    second = _runtime(tmp_path)  # the app restarted: new process, new dispatcher, same disk
    assert _ok(second.call("storage.keys", {})) == ["note:n1"]
    assert _ok(second.call("storage.get", {"key": "note:n1"})) == note
    second.ctx.close()
    second.close()

    other = _runtime(tmp_path, "com.example.snoop")
    assert _ok(other.call("storage.keys", {})) == []
    assert _ok(other.call("storage.get", {"key": "note:n1"})) is None
    other.ctx.close()
    other.close()


def test_storage_call_without_the_capability_is_permission_denied(tmp_path: Path) -> None:
    b = open_test_bridge(tmp_path, "com.example.nocap", declared=set())
    reply = b.call("storage.set", {"key": "k", "value": 1})
    assert reply["ok"] is False and reply["error"]["code"] == "PERMISSION_DENIED"
    assert not (b.paths.app_storage("com.example.nocap") / "kv.sqlite3").exists()
    b.ctx.close()
    b.close()

"""``superapp storage``: usage, --clear, master-key rotation, one-line errors."""

from __future__ import annotations

import json

import pytest

from superapp.audit import AuditLog
from superapp.cli import main
from superapp.core.paths import Paths
from superapp.storage import open_store

APP = "com.example.notes"


def _seed(paths: Paths) -> None:
    with open_store(paths, APP) as store:
        store.kv.set("note:1", "milk")
        store.kv.set("note:2", "eggs")
        store.files.write("a.txt", b"abc")
    (paths.app_cache(APP)).mkdir()
    (paths.app_cache(APP) / "thumb.png").write_bytes(b"png")
    # What a persistent engine profile holds (web storage the engine wrote).
    (paths.app_webview(APP) / "IndexedDB").mkdir(parents=True)
    (paths.app_webview(APP) / "IndexedDB" / "000003.log").write_bytes(b"x" * 5000)


def test_usage_as_text_and_json(paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(paths)
    assert main(["storage", APP]) == 0
    text = capsys.readouterr().out.strip()
    assert text.startswith(f"{APP}: 32 B of 10.0 MB used (2 keys, 1 files); engine storage ")
    assert text.endswith(" KB on disk (limit 50.0 MB)")  # 5000 bytes: the disk blocks they take
    assert main(["storage", APP, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["used"] == 32 and doc["keys"] == 2 and doc["files"] == 1
    assert doc["quota"] == 10 * 1024 * 1024
    assert doc["engine_bytes"] >= 5000 and doc["engine_quota"] == 50 * 1024 * 1024


def test_engine_quota_comes_from_the_host_policy(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(paths)
    paths.policy_file.write_text('[monitor.engine_storage]\nlimit = "2 MiB"\n', encoding="utf-8")
    assert main(["storage", APP, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["engine_quota"] == 2 * 1024 * 1024


def test_clear_deletes_values_files_and_cache_but_keeps_working(
    paths: Paths, audit: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(paths)
    assert main(["storage", APP, "--clear"]) == 0
    assert "removed 2 keys and 1 files" in capsys.readouterr().out
    with open_store(paths, APP) as store:
        assert store.kv.keys() == [] and store.files.list() == []
        assert store.usage().used == 0
        store.kv.set("again", 1)
    assert not (paths.app_cache(APP) / "thumb.png").exists()
    assert not paths.app_webview(APP).exists()
    assert [e["event"]["action"] for e in audit.events()][-1] == "storage.cleared"


def test_host_summary_and_rotation_keep_data_readable(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(paths)
    assert main(["storage", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["master_key"]["backend"] == "file"
    assert before["apps"][APP]["keys"] == 2
    assert main(["storage", "--rotate-master-key", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["old_master_ids"] == [before["master_key"]["master_id"]]
    assert report["rewrapped"] == 1
    with open_store(paths, APP) as store:
        assert store.recovered is None and store.kv.get("note:1") == "milk"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["storage", "com.example.absent"], "no installed mini-app"),
        (["storage", "Not An Id"], "not a valid app id"),
        (["storage", "--clear"], "needs an APP_ID"),
        (["storage", APP, "--rotate-master-key"], "apply to the host"),
    ],
    ids=["not-installed", "bad-id", "clear-without-app", "rotate-with-app"],
)
def test_bad_invocations_exit_2_with_one_line(
    paths: Paths, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    _seed(paths)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    with open_store(paths, APP) as store:
        assert len(store.kv.keys()) == 2


def test_host_summary_lists_an_app_with_only_engine_storage(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "com.example.webonly"
    (paths.app_webview(other) / "Local Storage").mkdir(parents=True)
    (paths.app_webview(other) / "Local Storage" / "000003.log").write_bytes(b"v" * 3000)
    assert main(["storage", "--json"]) == 0
    usage = json.loads(capsys.readouterr().out)["apps"][other]
    assert usage["used"] == 0 and usage["engine_bytes"] >= 3000
    assert not paths.app_storage(other).exists()  # reading usage created no store


def test_host_summary_lists_an_app_whose_folders_are_in_a_pooled_slot(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    """A running pooled ``persistent`` app's profile is in its runtime's slot (docs/pool.md):
    the summary still lists it, with the profile's bytes, and makes nothing at home."""
    from superapp.host._slotmove import move_back, move_in

    other = "com.example.pooled"
    (paths.app_webview(other) / "Local Storage").mkdir(parents=True)
    (paths.app_webview(other) / "Local Storage" / "000003.log").write_bytes(b"v" * 3000)
    slot = paths.run / "slots" / "00000000000000aa"
    slot.mkdir(parents=True)
    move_in(paths, other, slot, ("webview",))
    assert main(["storage", "--json"]) == 0
    usage = json.loads(capsys.readouterr().out)["apps"][other]
    assert usage["engine_bytes"] >= 3000
    assert not paths.app_webview(other).exists() and not paths.app_storage(other).exists()
    assert move_back(paths, other, slot, AuditLog(paths.audit_log))

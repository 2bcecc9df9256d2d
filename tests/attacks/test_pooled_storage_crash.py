"""A pooled app's storage lives in its runtime's slot while it runs (issue 16, docs/pool.md):
nothing of it may be lost when the runtime or the host is killed. Real runtimes and windows,
driven over CDP; storage written through ``callNative``; the host is the real supervisor."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from superapp.storage import read_usage
from superapp.testing import call, connect, make_app
from tests.attacks._pool import (
    host_process,
    install,
    kill_host_then_recover,
    loaded,
    pooled_host,
    warm_runtimes,
)
from tests.e2e.harness import REPO, free_port

NOTES = "com.example.pool.notes"


@pytest.fixture
def runtime_env(display: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)


def _notes(tmp_path: Path, paths: Paths) -> None:
    install(paths, make_app(tmp_path, NOTES, permissions=[("storage", "Notes")]))


def _write(playwright: Any, port: int | None, value: str) -> None:
    assert port is not None
    browser, page = connect(playwright, port)
    try:
        assert call(page, "storage.set", {"key": "note", "value": value})["ok"] is True
    finally:
        browser.close()


def _read(playwright: Any, port: int | None) -> Any:
    assert port is not None
    browser, page = connect(playwright, port)
    try:
        return call(page, "storage.get", {"key": "note"})
    finally:
        browser.close()


def test_pooled_storage_is_home_after_exit_and_read_by_a_cold_run(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    _notes(tmp_path, superapp_home)
    with pooled_host(superapp_home) as supervisor:
        [idle] = warm_runtimes(supervisor)
        app = loaded(supervisor.launch(NOTES))
        assert app.pooled and app.pid == idle.pid and app.slot is not None
        _write(playwright, app.cdp_port, "written in a pooled run")
        # While it runs the data is in the slot, and the host's readers follow it there.
        assert (app.slot / "app" / "storage").is_dir()
        assert not superapp_home.app_storage(NOTES).exists()
        assert read_usage(superapp_home, NOTES).keys == 1
        shown = subprocess.run(
            [sys.executable, "-m", "superapp", "storage", NOTES, "--json"],
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        assert json.loads(shown.stdout)["keys"] == 1
        assert not superapp_home.app_storage(NOTES).exists()  # no empty store made at home
        supervisor.stop(NOTES)
        assert superapp_home.app_storage(NOTES).is_dir() and not app.slot.exists()
        assert not list(superapp_home.app_dir(NOTES).glob("*.from-slot-*"))  # no conflict
        cold = loaded(supervisor.launch(NOTES, cdp_port=free_port()))
        assert not cold.pooled
        assert _read(playwright, cold.cdp_port)["result"] == "written in a pooled run"


def test_runtime_killed_mid_run_gives_its_storage_back(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    _notes(tmp_path, superapp_home)
    with pooled_host(superapp_home) as supervisor:
        warm_runtimes(supervisor)
        app = loaded(supervisor.launch(NOTES))
        assert app.pooled
        _write(playwright, app.cdp_port, "before the kill")
        os.kill(app.pid, signal.SIGKILL)
        assert app.exited.wait(30.0)
        assert superapp_home.app_storage(NOTES).is_dir()
        assert app.slot is not None and not app.slot.exists()
        assert read_usage(superapp_home, NOTES).keys == 1
        again = loaded(supervisor.launch(NOTES))
        assert _read(playwright, again.cdp_port)["result"] == "before the kill"


def test_host_killed_mid_run_the_next_host_moves_storage_home(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    _notes(tmp_path, superapp_home)
    with host_process(NOTES, REPO) as (host, info):
        _write(playwright, info["cdp"], "before the host died")
        kill_host_then_recover(
            superapp_home, host, info, superapp_home.app_storage(NOTES), "storage"
        )
        assert read_usage(superapp_home, NOTES).keys == 1

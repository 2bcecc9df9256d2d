"""The shipped pytest plugin's ``miniapp`` fixture, used as a mini-app author would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from superapp.testing import MiniApp, make_app, make_dual_app, wait_until

APP = "com.example.plugintest"
HERE = Path(__file__).parent

SCRIPT = """
document.addEventListener('DOMContentLoaded', async () => {
  const n = await window.callNative('storage.get', {key: 'count'});
  document.getElementById('h').textContent = 'count ' + (n ?? 'none');
});
"""


@pytest.fixture
def app_folder(tmp_path: Path) -> Path:
    return make_app(tmp_path, APP, script=SCRIPT, permissions=[("storage", "Keep a count")])


def test_miniapp_runs_a_folder_with_seeded_storage(app_folder: Path, miniapp_factory: Any) -> None:
    app: MiniApp = miniapp_factory(app_folder, storage={"count": 41})
    app.page.wait_for_function("() => document.getElementById('h').textContent === 'count 41'")
    assert app.call("storage.set", {"key": "count", "value": 42}) == {"ok": True, "result": None}
    assert app.stored("count") == 42
    assert app.mode == "dev" and app.paths.data == app.host_paths.data / "dev"
    assert app.call("ui.toast", {"text": "Saved\u001b[2J"})["ok"] is True
    assert app.wait_for_toast("Saved") == "Saved\u001b[2J"  # shown as plain text, as sent
    launched = app.wait_for_audit("app.launched")
    assert launched["superapp"]["dev_mode"] is True


def test_each_test_gets_a_fresh_home(app_folder: Path, miniapp_factory: Any) -> None:
    first: MiniApp = miniapp_factory(app_folder)
    assert first.call("storage.set", {"key": "count", "value": 1})["ok"] is True
    second: MiniApp = miniapp_factory(app_folder, storage=None)
    assert second.home != first.home
    assert second.stored("count") is None


@pytest.mark.miniapp("../../miniapps/notes")
def test_marker_names_the_app(miniapp: Any, miniapp_handle: MiniApp) -> None:
    assert miniapp_handle.app_id == "dev.superapp.notes"
    assert miniapp is miniapp_handle.page
    assert miniapp.url.startswith("app://dev.superapp.notes/")


def test_notices_are_what_the_host_strip_showed(app_folder: Path, miniapp_factory: Any) -> None:
    app: MiniApp = miniapp_factory(app_folder)
    app.page.evaluate("() => alert('hi')")  # refused: the host tells the user in its strip
    notice = wait_until(lambda: app.notices(), what="a host-strip notice")[0]
    assert "Test plugintest" in notice


def test_miniapp_is_the_view_of_a_dual_mode_app(tmp_path: Path, miniapp_factory: Any) -> None:
    # The hidden logic page is a CDP target of the same window: the fixture must hand the test
    # the view (where the user's buttons are), and the logic page beside it.
    folder = make_dual_app(tmp_path, "com.example.dualplugin")
    app: MiniApp = miniapp_factory(folder)
    assert app.dual is True
    assert "/__superapp/" not in app.page.url and app.page.url.endswith("/index.html")
    assert app.logic is not None and app.logic.url.endswith("/__superapp/logic.html")
    assert app.page.evaluate("[typeof callNative, typeof postToLogic]") == [
        "undefined",
        "function",
    ]
    app.page.evaluate("postToLogic({hi: 1})")
    wait_until(lambda: app.page.evaluate("window.__got.length") == 1, what="the logic's echo")
    assert app.page.evaluate("window.__got[0]") == {"echo": {"hi": 1}}

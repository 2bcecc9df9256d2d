"""The plugin as a mini-app project meets it: a separate pytest run in the project's folder,
the app chosen by the project's conftest, evidence left when a UI test fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from superapp.testing import make_app
from tests.e2e.harness import REPO

CONFTEST = """
from pathlib import Path

import pytest


@pytest.fixture
def miniapp_source() -> Path:
    return Path(__file__).resolve().parent.parent / "app"
"""

TESTS = """
from playwright.sync_api import Page, expect


def test_heading(miniapp: Page) -> None:
    expect(miniapp.locator("#h")).to_have_text("test")


def test_fails_on_purpose(miniapp: Page, miniapp_handle) -> None:
    miniapp_handle.call("ui.toast", {"text": "about to fail"})
    miniapp_handle.wait_for_toast("about to fail")
    assert miniapp.locator("#h").text_content() == "something else"
"""


def test_a_project_picks_its_app_and_a_failure_leaves_a_screenshot_and_the_log(
    tmp_path: Path, display: str
) -> None:
    project = tmp_path / "project"
    make_app(project, "com.example.project").rename(project / "app")
    (project / "tests").mkdir()
    (project / "tests" / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (project / "tests" / "test_ui.py").write_text(TESTS, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "superapp.testing.plugin", "-p", "no:cacheprovider",
         "-q", "tests"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    out = done.stdout
    assert "1 failed, 1 passed" in out, out + done.stderr
    assert "superapp log 0 (com.example.project)" in out
    assert 'superapp-ui: {"surface": "toast", "text": "about to fail"' in out
    shots = list((project / "test-artifacts").glob("test_fails_on_purpose-0-*.png"))
    assert len(shots) == 1 and shots[0].read_bytes().startswith(b"\x89PNG")

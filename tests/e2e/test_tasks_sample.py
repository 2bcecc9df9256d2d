"""The Tasks sample (miniapps/tasks), written for dual mode, installed and signed as users get
it: its view shows what its logic publishes, markup typed as a task stays text, and the list
survives a restart because the logic keeps it in the app's encrypted storage."""

from __future__ import annotations

from typing import Any

from superapp.bundles import install_samples
from superapp.core.paths import Paths
from superapp.testing import dual_pages
from tests.attacks.hostile import wait_until
from tests.e2e.harness import REPO

TASKS = "dev.superapp.tasks"
MARKUP = "<img src=x onerror=alert(1)> buy milk"


def _texts(view: Any) -> list[str]:
    texts: list[str] = view.evaluate(
        "Array.from(document.querySelectorAll('#list li span'), s => s.textContent)"
    )
    return texts


def _open(open_app: Any) -> tuple[Any, Any]:
    host, page = open_app("run", TASKS)
    view, _logic = dual_pages(page)
    wait_until(lambda: view.evaluate("document.body.dataset.ready === '1'"), what="the first list")
    return host, view


def test_tasks_sample_runs_in_dual_mode_and_keeps_its_list(
    superapp_home: Paths, open_app: Any
) -> None:
    installed = {app.app_id for app in install_samples(superapp_home, REPO / "miniapps")}
    assert TASKS in installed
    host, view = _open(open_app)
    assert view.evaluate("[typeof callNative, typeof postToLogic]") == ["undefined", "function"]
    for text in (MARKUP, "call mum"):
        view.fill("#text", text)
        view.click("#add button")
        wait_until(lambda t=text: t in _texts(view), what=f"task {text!r} shown")
    assert _texts(view) == [MARKUP, "call mum"]
    assert view.evaluate("document.querySelectorAll('#list img').length") == 0  # text, not markup
    view.click("#list li:first-child button:first-of-type")  # Done
    wait_until(
        lambda: view.evaluate("document.querySelector('#list li').className === 'done'"),
        what="the first task marked done",
    )
    host.stop()

    _host, view = _open(open_app)  # a new process: the logic reloads the list from storage
    assert _texts(view) == [MARKUP, "call mum"]
    assert view.evaluate("document.querySelector('#list li').className") == "done"
    view.click("#list li:last-child button:last-of-type")  # Remove
    wait_until(lambda: _texts(view) == [MARKUP], what="the second task removed")

"""A dual-mode app (docs/dual.md) in the background (issue 16 with issue 18): suspending it
freezes its hidden logic page with the view, and resuming wakes it with the logic's state —
plain variables in its worker — as it was; a discard ends the whole runtime, and the logic gets
back what it handed over (ADR 0014).

Qt WebEngine refuses to freeze a page while a DevTools client is attached, so each test lets
go of its Playwright connection before suspending and attaches again after resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from superapp.core.paths import Paths
from superapp.testing import dual_pages, make_dual_app, wait_until
from tests.e2e.harness import connect, superapp_cli

APP = "com.example.dualbackground"
#: The logic's state lives only in its worker's memory: a count of the view's "inc" messages.
#: It hands the count over for a discard (ADR 0014) and takes it back once restored.
LOGIC = """
var count = 0;
var ready = callNative("lifecycle.restored", {}).then(function (r) {
  if (r.wasDiscarded && r.state) count = r.state.count;
});
onViewMessage(function (msg) {
  ready.then(function () {
    if (msg && msg.op === "inc") count += 1;
    callNative("lifecycle.saveState", { state: { count: count } }).then(function () {
      postToView({ count: count });
    });
  });
});
"""
#: Counts the logic page's freeze and resume events (the engine's page life cycle).
WATCH_FREEZE = """() => {
  window.__froze = 0; window.__resumed = 0;
  document.addEventListener('freeze', () => { window.__froze += 1; });
  document.addEventListener('resume', () => { window.__resumed += 1; });
}"""


def _last_count(view: Any, message: object) -> Any:
    before = view.evaluate("window.__got.length")
    view.evaluate("m => postToLogic(m)", message)
    wait_until(lambda: view.evaluate("window.__got.length") > before, what="the logic's answer")
    return view.evaluate("window.__got[window.__got.length - 1].count")


def _start(tmp_path: Path, open_app: Any) -> tuple[Any, int]:
    folder = make_dual_app(tmp_path, APP, logic_script=LOGIC)
    host, page = open_app("dev", folder)
    view, logic = dual_pages(page)
    view.wait_for_function("() => typeof window.postToLogic === 'function'")
    for _ in range(3):
        _last_count(view, {"op": "inc"})
    assert _last_count(view, {"op": "get"}) == 3
    logic.evaluate(WATCH_FREEZE)
    page.context.browser.close()
    return host, int(host.args[-1])


def _after_resume(playwright: Any, port: int) -> tuple[Any, Any, Any]:
    browser, page = connect(playwright, port)
    view, logic = dual_pages(page)
    view.wait_for_function("() => typeof window.postToLogic === 'function' && window.__got")
    return browser, view, logic


def test_suspended_dual_app_freezes_its_logic_and_resumes_with_its_state(
    tmp_path: Path, open_app: Any, superapp_home: Paths, host_env: dict[str, str], playwright: Any
) -> None:
    _host, port = _start(tmp_path, open_app)
    assert superapp_cli(host_env, "suspend", APP).endswith("suspended")
    assert superapp_cli(host_env, "resume", APP).endswith("running")
    browser, view, logic = _after_resume(playwright, port)
    try:
        # The logic page was frozen with the view (not left running, not discarded) and woke.
        logic.wait_for_function("() => window.__resumed >= 1")
        assert logic.evaluate("() => [window.__froze >= 1, document.wasDiscarded]") == [
            True, False,
        ]  # fmt: skip
        assert _last_count(view, {"op": "inc"}) == 4  # the worker's variable survived
    finally:
        browser.close()


def test_dual_app_logic_hands_its_state_over_when_discarded(
    tmp_path: Path, open_app: Any, superapp_home: Paths, host_env: dict[str, str], playwright: Any
) -> None:
    # A discard ends the whole runtime, the logic's worker too (ADR 0014): what survives is
    # what the logic handed over (lifecycle.saveState through its door), given back once.
    _host, port = _start(tmp_path, open_app)
    assert superapp_cli(host_env, "suspend", APP, "--discard").endswith("discarded")
    assert superapp_cli(host_env, "resume", APP).endswith("running")
    browser, view, _logic = _after_resume(playwright, port)
    try:
        # A new process: fresh documents, not engine-discarded ones.
        assert view.evaluate("() => document.wasDiscarded") is False
        assert _last_count(view, {"op": "get"}) == 3  # restored from the hand-over
        assert _last_count(view, {"op": "inc"}) == 4
    finally:
        browser.close()

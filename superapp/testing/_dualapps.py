"""Dual-mode test mini-apps (docs/dual.md): a view page and logic scripts, and the two
contexts found in a window driven over CDP.

The logic runs in a dedicated worker; tests reach it through what it sends the view, or by
scripts the test app itself runs there (a worker is not a Playwright page).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from superapp.testing._apps import wait_until, write_test_app

__all__ = ["DUAL_ECHO_LOGIC", "dual_pages", "make_dual_app", "post_to_logic"]

#: A logic script that answers every view message ``{"id", "api", "params"}`` by calling
#: ``callNative`` and posting ``{"id", "ok", "result"|"code"}`` back; other messages are
#: echoed as ``{"echo": message}``.
DUAL_ECHO_LOGIC = """
onViewMessage(function (msg) {
  if (msg && typeof msg === "object" && typeof msg.api === "string") {
    callNative(msg.api, msg.params || {}).then(
      function (r) { postToView({ id: msg.id, ok: true, result: r }); },
      function (e) { postToView({ id: msg.id, ok: false, code: e.code }); });
    return;
  }
  postToView({ echo: msg });
});
"""


def make_dual_app(
    root: Path,
    app_id: str,
    *,
    view_script: str = "",
    logic_script: str = DUAL_ECHO_LOGIC,
    files: Mapping[str, str] | None = None,
    permissions: Sequence[tuple[str, str]] = (),
    allowed_hosts: Sequence[str] = (),
    allow_http_hosts: Sequence[str] = (),
    body: str = "",
) -> Path:
    """A dual-mode folder: index.html (loading view.js) and logic.js as its one logic script."""
    view = (
        "window.__results = {}; window.__got = [];\n"
        "onLogicMessage(function (m) { window.__got.push(m); });\n" + view_script
    )
    return write_test_app(
        root, app_id, head="<script src='view.js' defer></script>",
        scripts={"view.js": view, "logic.js": logic_script}, files=files,
        permissions=permissions, allowed_hosts=allowed_hosts,
        allow_http_hosts=allow_http_hosts, body=body,
        superapp={"mode": "dual", "logic": ["logic.js"]},
    )  # fmt: skip


def dual_pages(page: Any, timeout: float = 30.0) -> tuple[Any, Any]:
    """``(view, logic)``: the Playwright pages of a dual-mode window, whichever ``connect``
    returned (the hidden logic page is a CDP target of its own)."""

    def find() -> tuple[Any, Any] | None:
        pages = page.context.pages
        view = next(
            (p for p in pages if "/__superapp/" not in p.url and p.url != "about:blank"), None
        )
        logic = next((p for p in pages if p.url.endswith("/__superapp/logic.html")), None)
        return (view, logic) if view is not None and logic is not None else None

    found: tuple[Any, Any] = wait_until(find, what="the view and logic pages", timeout=timeout)
    return found


def post_to_logic(view: Any, message: object) -> dict[str, Any]:
    """``postToLogic`` from the view: ``{"ok": True}`` or ``{"ok": False, "code", "name"}``."""
    result: dict[str, Any] = view.evaluate(
        """m => { try { return window.postToLogic(m).then(() => ({ok: true}),
                    e => ({ok: false, code: e.code, name: e.name, message: e.message})); }
                  catch (e) { return {ok: false, code: null, name: e.name, message: e.message}; } }""",
        message,
    )
    return result

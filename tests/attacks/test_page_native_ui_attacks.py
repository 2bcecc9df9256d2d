"""Native UI raised by the page, and top-level navigation to engine-internal pages
(issue 12, classes 5 and 6), in real windows.

A page's ``alert``/``confirm``/``prompt``/``beforeunload`` would otherwise open message boxes
drawn by the host with the page's text (a way to imitate the host's own prompts), and its
file pickers the system's file dialog. Each attack asserts the denial (the call's "no"), the
audit entry, what the user was told in host chrome (the strip's own widget texts, logged by
the runtime with ``SUPERAPP_UI_LOG=1``, and that the strip does not overlap the web view), that
the app is still on its page and that the host still answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from tests.attacks.hostile import audit_events, call, make_app, wait_for_audit, wait_until

APP = "com.attacker.nativeui"
OWN = f"app://{APP}/index.html"
NAME = "Test nativeui"

BODY = "<button id='go'>go</button><input id='file' type='file'>"


def _open(tmp_path: Path, open_app: Any, host_env: dict[str, str], script: str = "") -> Any:
    folder = make_app(tmp_path, APP, script=script, body=BODY)
    return open_app("dev", folder, env=dict(host_env, SUPERAPP_UI_LOG="1"))


def _strip_lines(host: Any) -> list[dict[str, Any]]:
    prefix = "superapp-ui: "
    return [
        json.loads(line[len(prefix) :]) for line in host.stderr_lines if line.startswith(prefix)
    ]


def _wait_strip(host: Any, needle: str) -> dict[str, Any]:
    found: dict[str, Any] = wait_until(
        lambda: next((r for r in _strip_lines(host) if needle in r["text"]), None),
        what=f"a host-strip notice containing {needle!r}",
    )
    return found


def _assert_host_chrome(record: dict[str, Any]) -> None:
    assert record["surface"] == "host-strip"
    assert record["badge"] == f"superapp · {NAME}"
    assert record["visible"] is True
    assert record["overlaps_web_view"] is False


def _still_here(page: Any) -> None:
    assert page.url == OWN
    assert call(page, "app.info")["ok"] is True


DIALOGS = {
    "alert": ("() => { alert('superapp needs your password'); return 'returned'; }", "returned"),
    "confirm": ("() => confirm('Allow always?')", False),
    "prompt": ("() => prompt('Your password for superapp:', 'x')", None),
}


@pytest.mark.parametrize("kind", list(DIALOGS), ids=list(DIALOGS))
def test_page_dialog_is_refused_not_drawn_by_the_host(
    kind: str, tmp_path: Path, open_app: Any, host_env: dict[str, str], superapp_home: Paths
) -> None:
    host, page = _open(tmp_path, open_app, host_env)
    script, expected = DIALOGS[kind]
    # A dialog waiting for a click would block this call: the answer comes back at once.
    assert page.evaluate(script) == expected
    event = wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("kind") == kind,
        action="page.dialog_refused", app_id=APP,
    )  # fmt: skip
    assert event["superapp"]["url"] == OWN
    _assert_host_chrome(_wait_strip(host, f"{NAME} tried to show a dialog ({kind})"))
    _still_here(page)


def test_beforeunload_dialog_is_refused_and_the_page_stays(
    tmp_path: Path, open_app: Any, host_env: dict[str, str], superapp_home: Paths
) -> None:
    script = "window.addEventListener('beforeunload', e => { e.preventDefault(); e.returnValue = 'stay'; });"
    host, page = _open(tmp_path, open_app, host_env, script)
    page.click("#go")  # beforeunload dialogs need a user gesture on the page first
    page.evaluate("() => { window.__marker = 42; location.reload(); }")
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("kind") == "beforeunload",
        action="page.dialog_refused", app_id=APP,
    )  # fmt: skip
    _assert_host_chrome(_wait_strip(host, "tried to show a dialog (beforeunload)"))
    assert page.evaluate("() => window.__marker") == 42  # the reload was cancelled, not done
    _still_here(page)


PICKERS = {
    "input-file": "",
    "show-open-file-picker": (
        "addEventListener('DOMContentLoaded', () => document.getElementById('go').addEventListener('click', () => {"
        " window.showOpenFilePicker().then(h => { window.__picked = h.length; },"
        " e => { window.__picked = e.name; }); }));"
    ),
}


@pytest.mark.parametrize("kind", list(PICKERS), ids=list(PICKERS))
def test_native_file_picker_is_refused(
    kind: str, tmp_path: Path, open_app: Any, host_env: dict[str, str], superapp_home: Paths
) -> None:
    host, page = _open(tmp_path, open_app, host_env, PICKERS[kind])
    page.click("#file" if kind == "input-file" else "#go")
    wait_for_audit(superapp_home, lambda e: True, action="page.file_picker_refused", app_id=APP)
    _assert_host_chrome(_wait_strip(host, f"{NAME} tried to open a file picker"))
    if kind == "input-file":
        assert page.evaluate("() => document.getElementById('file').files.length") == 0
    else:
        page.wait_for_function("() => window.__picked !== undefined")
        assert page.evaluate("() => window.__picked") == "AbortError"
    _still_here(page)


INTERNAL = {
    "chrome": "chrome://gpu",
    "chrome-untrusted": "chrome-untrusted://x/",
    "about-blank": "about:blank",
    "about-blocked": "about:blank#blocked",
    "view-source": f"view-source:{OWN}",
    "devtools": "devtools://devtools/bundled/inspector.html",
    "data": "data:text/html,<h1>not the app</h1>",
    "qrc": "qrc:/qtwebchannel/qwebchannel.js",
}


@pytest.mark.parametrize("how", ["location", "link-click"])
@pytest.mark.parametrize("name", list(INTERNAL), ids=list(INTERNAL))
def test_top_navigation_to_engine_internal_page_is_refused_and_audited(
    name: str, how: str, tmp_path: Path, open_app: Any, host_env: dict[str, str],
    superapp_home: Paths,
) -> None:  # fmt: skip
    _host, page = _open(tmp_path, open_app, host_env)
    target = INTERNAL[name]
    scheme = target.split(":", 1)[0]
    if how == "location":
        page.evaluate("t => { location.href = t; }", target)
    else:
        page.evaluate(
            "t => { const a = document.createElement('a'); a.href = t; a.id = 'x';"
            " a.textContent = 'x'; document.body.append(a); }",
            target,
        )
        # no_wait_after: a refused navigation never "finishes" for Playwright
        page.click("#x", no_wait_after=True)

    def refused() -> list[Any]:
        return [
            e for action in ("nav.blocked", "net.blocked")
            for e in audit_events(superapp_home, action, APP)
            if e["superapp"].get("url", "").startswith(scheme)
            # what the engine committed instead, when it replaced the page itself
            or e["superapp"].get("rule") == "engine-internal"
        ]  # fmt: skip

    assert wait_until(refused, what=f"an audited refusal of {target}")
    wait_until(lambda: page.url == OWN, what="the app back on its page")
    page.wait_for_function("() => document.getElementById('h') !== null")
    _still_here(page)

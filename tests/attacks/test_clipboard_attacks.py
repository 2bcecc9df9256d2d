"""A page replacing the system clipboard on a click, without ``clipboard:write`` (issue 12,
class 6), checked where it matters: in the X11 clipboard as another program reads it.

Another program owns the clipboard with known text; the page copies its own text on a real
click (``execCommand('copy')`` with a ``copy`` handler, or ``navigator.clipboard``). Without
the capability the clipboard must still hold the other program's text afterwards, the attempt
must be audited and told to the user in host chrome, and the app must still be on its page.
With the capability the same click does replace it (so the test can see a copy at all).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from tests.attacks.hostile import call, make_app, wait_for_audit, wait_until
from tests.helpers.clipboard import owned_clipboard, read_clipboard

APP = "com.attacker.clipboard"
OWN = f"app://{APP}/index.html"
BEFORE = "copied by another program"
STOLEN = "replaced-by-the-page"

ATTACKS = {
    "execcommand-copy": (
        "document.addEventListener('copy', e => { e.clipboardData.setData('text/plain', S);"
        " e.preventDefault(); });"
        "addEventListener('DOMContentLoaded', () => document.getElementById('go')"
        ".addEventListener('click', () => { window.__copied = document.execCommand('copy'); }));"
    ),
    "execcommand-selection": (
        "addEventListener('DOMContentLoaded', () => document.getElementById('go')"
        ".addEventListener('click', () => { const t = document.getElementById('t');"
        " t.value = S; t.select(); window.__copied = document.execCommand('copy'); }));"
    ),
    "navigator-clipboard": (
        "addEventListener('DOMContentLoaded', () => document.getElementById('go')"
        ".addEventListener('click', () => { navigator.clipboard.writeText(S).then("
        " () => { window.__copied = true; }, e => { window.__copied = e.name; }); }));"
    ),
}
#: The audit entry each attack leaves: the engine's permission hook refuses the async API
#: before anything is written; the clipboard guard undoes the execCommand paths.
AUDITED = {
    "execcommand-copy": "clipboard.write_refused",
    "execcommand-selection": "clipboard.write_refused",
    "navigator-clipboard": "permission.denied",
}
BODY = "<button id='go'>go</button><textarea id='t'></textarea>"


def _app(tmp_path: Path, attack: str, *, granted: bool) -> Path:
    return make_app(
        tmp_path, APP, body=BODY,
        script=f"const S = {STOLEN!r};\n" + ATTACKS[attack],
        permissions=[("clipboard:write", "copy results")] if granted else [],
    )  # fmt: skip


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_click_driven_copy_cannot_replace_the_clipboard_without_clipboard_write(
    attack: str, tmp_path: Path, open_app: Any, host_env: dict[str, str], superapp_home: Paths
) -> None:
    with owned_clipboard(host_env, BEFORE):
        assert read_clipboard(host_env) == BEFORE
        host, page = open_app(
            "dev", _app(tmp_path, attack, granted=False), env=dict(host_env, SUPERAPP_UI_LOG="1")
        )
        page.click("#go")
        wait_for_audit(superapp_home, lambda e: True, action=AUDITED[attack], app_id=APP)
        assert read_clipboard(host_env) == BEFORE
        if AUDITED[attack] == "clipboard.write_refused":
            wait_until(
                lambda: any("tried to replace what you copied" in ln for ln in host.stderr_lines),
                what="the host-strip notice",
            )
        else:
            page.wait_for_function("() => window.__copied !== undefined")
            assert page.evaluate("() => window.__copied") == "NotAllowedError"
        assert page.url == OWN
        assert call(page, "app.info")["ok"] is True


def test_the_same_copy_goes_through_with_clipboard_write(
    tmp_path: Path, open_app: Any, host_env: dict[str, str]
) -> None:
    with owned_clipboard(host_env, BEFORE):
        _host, page = open_app("dev", _app(tmp_path, "execcommand-copy", granted=True))
        page.click("#go")
        wait_until(lambda: read_clipboard(host_env) == STOLEN, what="the page's copy")

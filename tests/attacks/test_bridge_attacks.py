"""Attacks on the one door, in real windows (issue 4). One hostile page per test; each
asserts the denial, the audit entry, and that the app (and host) keep working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from tests.attacks.hostile import audit_events, call, make_app, raw_call, wait_for_audit

APP = "com.attacker.door"

PYWEBVIEW_NAMES = [
    "pywebviewMoveWindow",
    "pywebviewStateUpdate",
    "pywebviewWindowReady",
    "pywebviewAsyncResponse",
    "_pywebviewAlert",
    "pywebviewLoaded",
    "pywebviewDomEvent",
    "pywebviewGetElement",
]
TRAVERSALS = [
    "__class__",
    "__class__.__init__.__globals__",
    "app.__class__",
    "app.info.__globals__",
    "_js_api.__dict__",
    "window.native.webview",
    "constructor.constructor",
    "app.info\u0000",
    "../app.info",
]


def _alive(page: Any) -> None:
    """The app still answers through the door after the attack."""
    assert call(page, "app.info")["result"]["appId"] == APP


def test_pywebview_bridge_and_qt_channel_are_not_reachable_from_the_page(
    tmp_path: Path, open_app: Any
) -> None:
    _host, page = open_app("dev", make_app(tmp_path, APP))
    exposed = page.evaluate(
        "[typeof window.pywebview, typeof window.qt, typeof window.QWebChannel,"
        " typeof window.external.call, Object.keys(window).filter(k => /pywebview|qt|channel/i.test(k))]"
    )
    assert exposed == ["undefined", "undefined", "undefined", "undefined", []]
    _alive(page)


@pytest.mark.parametrize("name", PYWEBVIEW_NAMES + TRAVERSALS)
def test_pywebview_internal_names_and_attribute_paths_are_unknown_apis(
    name: str, tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    _host, page = open_app("dev", make_app(tmp_path, APP))
    reply = raw_call(page, {"id": 7, "api": name, "params": {}})
    assert reply["ok"] is False and reply["error"]["code"] == "UNKNOWN_API"
    assert "Traceback" not in reply["error"]["message"] and "/" not in reply["error"][
        "message"
    ].replace("../", "")
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("code") == "UNKNOWN_API",
        action="bridge.denied", app_id=APP,
    )  # fmt: skip
    _alive(page)


def test_iframe_of_the_same_app_cannot_call_the_bridge(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    folder = make_app(
        tmp_path, APP,
        files={"frame.html": "<!doctype html><script src='frame.js'></script>",
               "frame.js": "parent.callNative('app.info', {}).then(() => parent.__results.frame = 'called')"},
    )  # fmt: skip
    _host, page = open_app("dev", folder)
    page.evaluate(
        "() => { const f = document.createElement('iframe'); f.src = 'frame.html';"
        " document.body.append(f); }"
    )
    # The frame never becomes a document of the app: it is refused before it can run.
    # Refused by CSP frame-src inside the renderer (the engine reports only the scheme of the
    # blocked URL) or, were CSP bypassed, by the interceptor's own-subframe rule.
    wait_for_audit(
        superapp_home, lambda e: e["superapp"]["rule"] in ("csp-frame-src", "own-subframe"),
        action="net.blocked", app_id=APP,
    )  # fmt: skip
    assert page.evaluate("window.__results.frame") is None
    _alive(page)


def test_allowlisted_cross_origin_iframe_cannot_reach_call_native(
    tmp_path: Path, open_app: Any, net_hosts: Any
) -> None:
    good = net_hosts.good
    good.route("/frame.html", body="<!doctype html><script src='/frame.js'></script>",
               headers={"Content-Type": "text/html"})  # fmt: skip
    good.route(
        "/frame.js",
        body=("let r = {own: typeof window.callNative};"
              "try { parent.callNative('app.info', {}); r.parent = 'reached'; }"
              " catch (e) { r.parent = e.name; }"
              "parent.postMessage(r, '*');"),
        headers={"Content-Type": "text/javascript"},
    )  # fmt: skip
    folder = make_app(
        tmp_path, APP,
        script="window.addEventListener('message', e => { window.__results.frame = e.data; });",
        allowed_hosts=["widgets.test"], allow_http_hosts=["widgets.test"],
    )  # fmt: skip
    _host, page = open_app("dev", folder, env=net_hosts.env)
    page.evaluate(
        "() => { const f = document.createElement('iframe');"
        " f.src = 'http://widgets.test/frame.html'; document.body.append(f); }"
    )
    page.wait_for_function("() => window.__results.frame !== undefined")
    assert page.evaluate("window.__results.frame") == {
        "own": "undefined",
        "parent": "SecurityError",
    }
    assert [h.path for h in good.hits][:2] == ["/frame.html", "/frame.js"]  # it really loaded
    _alive(page)


def test_popups_are_refused_and_audited(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    # Fired by the page itself at load: window.open (own page and a remote one) and a
    # target=_blank link. The engine hands back a handle, but the window is never created:
    # the handle is closed and navigating it goes nowhere.
    script = """window.addEventListener('load', () => {
        window.__w = [window.open('index.html'), window.open('https://example.com/')];
        document.getElementById('a').click();
        window.__done = true; });"""
    body = "<a id='a' href='https://example.com/' target='_blank'>x</a>"
    _host, page = open_app("dev", make_app(tmp_path, APP, script=script, body=body))
    page.wait_for_function(
        "window.__done === true && window.__w.every(w => w === null || w.closed)"
    )
    page.evaluate("window.__w[1] && (window.__w[1].location = 'https://example.org/')")
    # Repeats from one page are folded into one entry within the guard's window (flood control).
    wait_for_audit(superapp_home, lambda e: e["superapp"]["rule"] == "popup",
                   action="nav.popup_blocked", app_id=APP)  # fmt: skip
    assert len(page.context.pages) == 1
    assert page.url == f"app://{APP}/index.html"
    _alive(page)


def test_navigation_away_from_the_app_is_refused_and_the_app_stays(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    _host, page = open_app("dev", make_app(tmp_path, APP))
    page.evaluate("location.href = 'https://example.com/'")
    wait_for_audit(
        superapp_home, lambda e: e["superapp"]["url"].startswith("https://example.com"),
        action="nav.blocked", app_id=APP,
    )  # fmt: skip
    assert page.url == f"app://{APP}/index.html"
    _alive(page)


def test_undeclared_capability_is_permission_denied(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    _host, page = open_app("dev", make_app(tmp_path, APP))
    reply = call(page, "clipboard.writeText", {"text": "x"})
    assert reply == {
        "ok": False,
        "code": "PERMISSION_DENIED",
        "message": reply["message"],
        "isError": True,
    }
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("api") == "clipboard.writeText",
        action="bridge.denied", app_id=APP,
    )  # fmt: skip


def test_consent_denied_is_consent_denied(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    folder = make_app(tmp_path, APP, permissions=[("user:readProfile", "Greet you by name")])
    _host, page = open_app("dev", folder)  # the headless host's consent policy is "deny"
    reply = call(page, "user.profile")
    assert reply["ok"] is False and reply["code"] == "CONSENT_DENIED"
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("code") == "CONSENT_DENIED",
        action="bridge.denied", app_id=APP,
    )  # fmt: skip
    _alive(page)


def _granted(page: Any) -> list[str]:
    reply = call(page, "app.info")
    assert reply["ok"] is True
    granted: list[str] = reply["result"]["granted"]
    return granted


def test_revoked_grant_applies_to_the_very_next_call(
    tmp_path: Path, open_app: Any, host_env: dict[str, str], superapp_home: Paths
) -> None:
    folder = make_app(tmp_path, APP, permissions=[("clipboard:write", "Copy results")])
    _host, page = open_app("dev", folder)
    for n in range(3):  # the host answers from the registry connection it keeps open
        assert call(page, "clipboard.writeText", {"text": f"first {n}"})["ok"] is True
        assert _granted(page) == ["clipboard:write"]
    # The user revokes it from another process, which tells the host nothing.
    subprocess.run(
        [sys.executable, "-m", "superapp", "revoke-grant", "--dev", APP, "clipboard:write"],
        env=host_env, check=True, capture_output=True,
    )  # fmt: skip
    reply = call(page, "clipboard.writeText", {"text": "second"})  # the very next call
    assert reply["ok"] is False and reply["code"] in ("PERMISSION_DENIED", "CONSENT_DENIED")
    assert _granted(page) == []
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("api") == "clipboard.writeText",
        action="bridge.denied", app_id=APP,
    )  # fmt: skip
    _alive(page)


def test_corrupted_registry_never_lets_a_revoked_grant_through(
    tmp_path: Path, open_app: Any, host_env: dict[str, str], superapp_home: Paths
) -> None:
    """The user revoked a consent-free capability; then the registry becomes unreadable.
    The host cannot know the grants any more: it refuses every capability (an empty answer
    would make a declared consent-free capability effective again), and the app runs on."""
    folder = make_app(tmp_path, APP, permissions=[("clipboard:write", "Copy results")])
    _host, page = open_app("dev", folder)
    subprocess.run(
        [sys.executable, "-m", "superapp", "revoke-grant", "--dev", APP, "clipboard:write"],
        env=host_env, check=True, capture_output=True,
    )  # fmt: skip
    registry = superapp_home.for_dev().registry_db
    assert _granted(page) == []
    assert _granted(page) == []  # answered from the kept connection
    size = registry.stat().st_size
    with registry.open("r+b") as f:  # garbage over the file, in place, same size
        f.write(b"\xa5" * size)
    reply = call(page, "clipboard.writeText", {"text": "after the corruption"})
    assert reply["ok"] is False and reply["code"] in ("PERMISSION_DENIED", "CONSENT_DENIED")
    assert _granted(page) == []
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("api") == "clipboard.writeText",
        action="bridge.denied", app_id=APP,
    )  # fmt: skip
    _alive(page)


@pytest.mark.parametrize(
    "script, permission",
    [
        (
            "navigator.mediaDevices.getUserMedia({video: true}).then(() => 'granted', e => 'denied')",
            "MediaVideoCapture",
        ),
        (
            "navigator.mediaDevices.getUserMedia({audio: true}).then(() => 'granted', e => 'denied')",
            "MediaAudioCapture",
        ),
        (
            "new Promise(r => navigator.geolocation.getCurrentPosition(() => r('granted'), () => r('denied')))",
            "Geolocation",
        ),
        (
            "Notification.requestPermission().then(p => p === 'granted' ? 'granted' : 'denied')",
            "Notifications",
        ),
    ],
    ids=["camera", "microphone", "geolocation", "notifications"],
)
def test_web_permissions_are_denied_by_the_engine_without_the_capability(
    script: str, permission: str, tmp_path: Path, open_app: Any, host_env: dict[str, str],
    superapp_home: Paths,
) -> None:  # fmt: skip
    env = dict(host_env, SUPERAPP_TEST_FAKE_MEDIA="1")
    _host, page = open_app("dev", make_app(tmp_path, APP), env=env)
    assert page.evaluate(script) == "denied"
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("permission") == permission,
        action="permission.denied", app_id=APP,
    )  # fmt: skip
    _alive(page)


def test_overriding_or_wrapping_call_native_gains_nothing(tmp_path: Path, open_app: Any) -> None:
    _host, page = open_app("dev", make_app(tmp_path, APP))
    result = page.evaluate(
        """() => { const out = {};
             try { window.callNative = () => Promise.resolve('forged'); } catch (e) { out.assign = e.name; }
             try { Object.defineProperty(window, 'callNative', {value: 1}); } catch (e) { out.define = e.name; }
             try { delete window.callNative; } catch (e) { out.del = e.name; }
             out.still = typeof window.callNative;
             // Forged relay events: a fake "ready" and a fake reply change nothing for the host.
             document.dispatchEvent(new CustomEvent('superapp:ready'));
             document.dispatchEvent(new CustomEvent('superapp:reply', {detail: '{"id":1,"ok":true,"result":"x"}'}));
             return out; }"""
    )
    assert result["still"] == "function"
    assert window_native_unchanged(page)
    reply = call(page, "user.profile")
    assert reply["ok"] is False and reply["code"] == "PERMISSION_DENIED"


def window_native_unchanged(page: Any) -> bool:
    return bool(
        page.evaluate("Object.getOwnPropertyDescriptor(window, 'callNative').writable === false")
    )


def test_call_flood_is_rate_limited_and_other_apps_still_answer(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    _h1, flooder = open_app("dev", make_app(tmp_path, APP))
    _h2, other = open_app("dev", make_app(tmp_path, "com.example.bystander"))
    flooder.evaluate(
        """() => { window.__codes = {}; window.__settled = 0;
             for (let i = 0; i < 10000; i++) {
               callNative('app.info', {}).then(() => 'ok', e => e.code).then(c => {
                 window.__codes[c] = (window.__codes[c] || 0) + 1; window.__settled++; }); } }"""
    )
    # While the flood is in flight, the other app's calls answer.
    for _ in range(5):
        assert call(other, "app.info")["ok"] is True
    flooder.wait_for_function("() => window.__settled === 10000", timeout=120_000)
    codes = flooder.evaluate("window.__codes")
    assert codes.get("RATE_LIMITED", 0) > 0, codes
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("code") == "RATE_LIMITED",
        action="bridge.denied", app_id=APP,
    )  # fmt: skip
    assert not audit_events(superapp_home, "bridge.denied", "com.example.bystander")

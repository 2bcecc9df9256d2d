"""Attacks on dual mode in real windows (issue 18): the view is assumed compromised, and must
not reach native code, the network, or the logic's state; the logic has no DOM, no network of
its own, no windows; messages are checked and refusals audited. Each test ends by showing the
app still works.

"Script injected into the view" is played by the view's own script and by Playwright's
``evaluate`` in the view's main world: arbitrary code there, which is more than an XSS gets
(the view's CSP already refuses inline handlers and inline scripts)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from superapp.testing import dual_pages, make_dual_app, post_to_logic
from tests.attacks.hostile import audit_events, make_app, wait_for_audit, wait_until

APP = "com.attacker.dual"
GOOD = "http://widgets.test"
EVIL = "http://evil.test"

#: Raw text on the view's message event, bypassing the shim; resolves with the host's ack.
RAW_POST = """([text, id]) => new Promise(resolve => {
    const on = ev => { const m = JSON.parse(ev.detail);
      if (m.id === id) { document.removeEventListener('superapp:view-ack', on); resolve(m); } };
    document.addEventListener('superapp:view-ack', on);
    document.dispatchEvent(new CustomEvent('superapp:view-post', {detail: text}));
})"""


def _got(view: Any, key: str) -> Any:
    """The first message the logic sent the view that carries ``key``."""
    found = wait_until(
        lambda: view.evaluate(f"window.__got.find(m => m && {json.dumps(key)} in m) || null"),
        what=f"a logic message with {key}",
    )
    return found[key]


def _ask(view: Any, message: dict[str, Any], key: str) -> Any:
    assert post_to_logic(view, message) == {"ok": True}
    return _got(view, key)


# --- the view has no door --------------------------------------------------------------------

DOORKEEPER_LOGIC = """
var seen = 0;
onViewMessage(function (m) {
  seen++;
  if (m && m.op === "peek") {
    callNative("storage.get", {key: "pwned"}).then(
      function (v) { postToView({peek: {seen: seen, pwned: v}}); },
      function (e) { postToView({peek: {seen: seen, error: e.code}}); });
  }
});
"""


def test_script_injected_into_the_view_cannot_call_native_by_any_route(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    folder = make_dual_app(
        tmp_path, APP, logic_script=DOORKEEPER_LOGIC,
        permissions=[("storage", "test")],
    )  # fmt: skip
    _host, page = open_app("dev", folder)
    view, _logic = dual_pages(page)
    exposed = view.evaluate(
        """[typeof window.callNative, typeof window.superapp, typeof window.qt,
            typeof window.QWebChannel, typeof window.pywebview,
            typeof (window.external && window.external.call),
            Object.getOwnPropertyNames(window).filter(k => /callnative|superapp|^qt|webchannel|pywebview/i.test(k))]"""
    )
    assert exposed == ["undefined"] * 6 + [[]]
    write = {"id": 1, "api": "storage.set", "params": {"key": "pwned", "value": "x"}}
    # The single-page relay's event: nobody listens in a view, so no reply ever comes.
    view.evaluate(
        """text => { window.__replies = 0;
            document.addEventListener('superapp:reply', () => { window.__replies++; });
            document.dispatchEvent(new CustomEvent('superapp:call', {detail: text})); }""",
        json.dumps(write),
    )
    # The logic page's relay events, fired in the view: no relay for them here either.
    view.evaluate(
        """text => { for (const t of ['superapp:logic-post', 'superapp:logic-data'])
            document.dispatchEvent(new CustomEvent(t, {detail: text})); }""",
        json.dumps({"id": 2, "data": write}),
    )
    # A bridge request as the message link's text: not an envelope, refused and audited.
    refused = view.evaluate(RAW_POST, [json.dumps(write), 1])
    assert refused["ok"] is False and refused["error"]["code"] == "INVALID_PARAMS"
    # A bridge request as a message: delivered to the logic as data, never dispatched.
    assert post_to_logic(view, write) == {"ok": True}
    peek = _ask(view, {"op": "peek"}, "peek")
    assert peek == {"seen": 2, "pwned": None}  # the write never happened; both messages data
    assert view.evaluate("window.__replies") == 0
    event = wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("rule") == "INVALID_PARAMS",
        action="dual.message_refused", app_id=APP,
    )  # fmt: skip
    assert event["superapp"]["direction"] == "view->logic"


# --- no network from either context ----------------------------------------------------------

VIEW_NET = """
const U = 'http://widgets.test', E = 'http://evil.test';
fetch(U + '/fetch').catch(() => {});
fetch('https://widgets.test/fetch-tls').catch(() => {});
fetch(E + '/fetch').catch(() => {});
try { const x = new XMLHttpRequest(); x.open('GET', U + '/xhr'); x.send(); } catch (e) {}
try { new WebSocket('ws://widgets.test/ws'); } catch (e) {}
try { new EventSource(U + '/sse'); } catch (e) {}
navigator.sendBeacon(U + '/beacon', 'data');
const i = new Image(); i.src = U + '/img.png'; document.body.append(i);
const f = document.createElement('iframe'); f.src = U + '/frame.html'; document.body.append(f);
try { new Worker('/w.js'); } catch (e) {}
"""

LOGIC_NET = """
var tried = {};
["fetch", "XMLHttpRequest", "WebSocket", "EventSource", "importScripts"].forEach(function (n) {
  tried[n] = typeof self[n];
});
onViewMessage(function (m) {
  if (m && m.op === "net") {
    callNative("net.request", {url: "https://widgets.test/via-door"}).then(
      function () { postToView({net: {tried: tried, door: "ok"}}); },
      function (e) { postToView({net: {tried: tried, door: e.code}}); });
  }
});
"""


def test_script_injected_into_the_view_cannot_fetch_anywhere(
    tmp_path: Path, open_app: Any, net_hosts: Any, superapp_home: Paths
) -> None:
    folder = make_dual_app(
        tmp_path / "dual", APP, view_script=VIEW_NET, logic_script=LOGIC_NET,
        allowed_hosts=["widgets.test"], allow_http_hosts=["widgets.test"],
    )  # fmt: skip
    _host, page = open_app("dev", folder, env=net_hosts.env)
    view, _logic = dual_pages(page)
    # The attempts were made and refused inside the engine (CSP reports reach the audit log).
    for directive in ("connect-src", "img-src", "frame-src", "worker-src"):
        wait_for_audit(
            superapp_home, lambda e, d=directive: e["superapp"].get("rule") == f"csp-{d}",
            action="net.blocked", app_id=APP,
        )  # fmt: skip
    net = _ask(view, {"op": "net"}, "net")
    assert net["tried"] == dict.fromkeys(
        ["fetch", "XMLHttpRequest", "WebSocket", "EventSource", "importScripts"], "undefined"
    )
    assert net["door"] != "ok"  # no net:request grant: the logic's one route is the door
    assert net_hosts.good.contacts == 0 and net_hosts.evil.contacts == 0
    # Control: a single-page app with the same manifest hosts does reach widgets.test, so the
    # listener above would have seen the dual app's requests had any left the engine.
    control = make_app(
        tmp_path / "single", "com.attacker.control", allowed_hosts=["widgets.test"],
        allow_http_hosts=["widgets.test"], script="fetch('http://widgets.test/control');",
    )  # fmt: skip
    open_app("dev", control, env=net_hosts.env)
    wait_until(lambda: net_hosts.good.contacts > 0, what="the control app's request")
    assert net_hosts.evil.contacts == 0
    assert view.evaluate("location.pathname") == "/index.html"


# --- the logic has no DOM and no windows -----------------------------------------------------

LOGIC_PROBE = """
var r = {};
["document", "window", "open", "alert", "fetch", "XMLHttpRequest", "WebSocket", "indexedDB",
 "caches", "BroadcastChannel", "SharedWorker", "Worker", "importScripts", "close"]
  .forEach(function (n) { r[n] = typeof self[n]; });
r.globalScope = Object.prototype.toString.call(self);
r.navStorage = typeof navigator.storage;
r.navLocks = typeof navigator.locks;
var proto = Object.getPrototypeOf(self), recovered = [];
for (; proto; proto = Object.getPrototypeOf(proto)) {
  ["fetch", "indexedDB", "importScripts", "BroadcastChannel"].forEach(function (n) {
    if (Object.prototype.hasOwnProperty.call(proto, n) && proto[n]) recovered.push(n);
  });
}
r.recovered = recovered;
var before = String(location.href);
try { location.href = "http://evil.test/nav"; r.navigate = "no error"; } catch (e) { r.navigate = e.name; }
r.locationUnchanged = String(location.href) === before;
try { self.open("http://evil.test/popup"); r.popup = "opened"; } catch (e) { r.popup = e.name; }
postToView({probe: r});
"""


def test_logic_context_has_no_dom_and_cannot_open_windows_or_navigate(
    tmp_path: Path, open_app: Any, net_hosts: Any, superapp_home: Paths
) -> None:
    folder = make_dual_app(tmp_path, APP, logic_script=LOGIC_PROBE)
    _host, page = open_app("dev", folder, env=net_hosts.env)
    view, logic = dual_pages(page)
    probe = _got(view, "probe")
    for name in ("document", "window", "open", "alert", "fetch", "XMLHttpRequest", "WebSocket",
                 "indexedDB", "caches", "BroadcastChannel", "SharedWorker", "Worker",
                 "importScripts", "close"):  # fmt: skip
        assert probe[name] == "undefined", name
    assert probe["globalScope"] == "[object DedicatedWorkerGlobalScope]"
    assert probe["navStorage"] == probe["navLocks"] == "undefined"  # OPFS and Web Locks
    assert probe["recovered"] == []
    assert probe["locationUnchanged"] is True and probe["popup"] == "TypeError"
    assert logic.url.endswith("/__superapp/logic.html") and view.url.endswith("/index.html")
    assert net_hosts.evil.contacts == 0
    assert post_to_logic(view, {"still": "alive"}) == {"ok": True}


# --- messages: size and shape ----------------------------------------------------------------

COUNTING_LOGIC = """
var seen = [];
onViewMessage(function (m) {
  if (m && m.op === "big") {
    postToView("y".repeat(70000)).then(
      function () { postToView({big: "sent"}); },
      function (e) { postToView({big: e.code}); });
    return;
  }
  if (m && m.op === "count") { postToView({count: seen.length}); return; }
  seen.push(m);
});
"""


def test_oversized_and_non_plain_messages_are_refused_and_audited(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    folder = make_dual_app(tmp_path, APP, logic_script=COUNTING_LOGIC)
    _host, page = open_app("dev", folder)
    view, _logic = dual_pages(page)
    big = post_to_logic(view, "x" * 70_000)
    assert big["ok"] is False and big["code"] == "PAYLOAD_TOO_LARGE"
    # Functions, class instances, symbols and non-finite numbers never leave the view.
    shims = view.evaluate(
        """() => [() => postToLogic({f: function () { return 1; }}), () => postToLogic(new Date()),
                  () => postToLogic({s: Symbol('x')}), () => postToLogic(NaN),
                  () => postToLogic({n: 1n})]
            .map(f => { try { f(); return 'sent'; } catch (e) { return e.name; } })"""
    )
    assert shims == ["TypeError"] * 5
    # The same, bypassing the shim: the host is the wall.
    deep = {"id": 13, "data": json.loads("[" * 40 + "1" + "]" * 40)}
    raw = [
        '{"id": 10, "data": {"a": NaN}}',
        '{"id": 11, "data": 1, "code": "alert(1)"}',
        '{"id": 12, "data": {"a": 1, "a": 2}}',
        json.dumps(deep),
        json.dumps({"id": 14, "data": "x" * 70_000}),
        "function () { return callNative; }",
    ]
    ids = [10, 11, 12, 13, 14, None]  # not JSON: the host cannot read an id, acks with null
    replies = [view.evaluate(RAW_POST, [text, i]) for text, i in zip(raw, ids, strict=True)]
    codes = [reply["error"]["code"] for reply in replies]
    assert codes == ["INVALID_PARAMS"] * 4 + ["PAYLOAD_TOO_LARGE", "INVALID_PARAMS"]
    # Logic to view: the same wall.
    assert _ask(view, {"op": "big"}, "big") == "PAYLOAD_TOO_LARGE"
    # None of the refused messages reached the logic.
    assert _ask(view, {"op": "count"}, "count") == 0

    def refused(code: str, direction: str) -> Any:
        return wait_for_audit(
            superapp_home,
            lambda e: e["superapp"].get("rule") == code and e["superapp"].get("direction") == direction,
            action="dual.message_refused", app_id=APP,
        )  # fmt: skip

    refused("PAYLOAD_TOO_LARGE", "view->logic")
    refused("INVALID_PARAMS", "view->logic")
    refused("PAYLOAD_TOO_LARGE", "logic->view")


# --- the logic's state -----------------------------------------------------------------------

STATE_LOGIC = """
var state = {secret: "s3cr3t-logic-41", count: 0};
self.leak = state;
onViewMessage(function (m) {
  if (m && m.op === "inc") state.count++;
  if (m && m.op === "get") postToView({state: {count: state.count}});
});
"""

VIEW_REACH = """
window.__attempts = {};
try { new BroadcastChannel('logic').postMessage({op: 'inc'}); } catch (e) {}
try { localStorage.setItem('count', '99'); } catch (e) {}
try { indexedDB.open('logic'); } catch (e) {}
try { new SharedWorker('/__superapp/logic-worker.js'); } catch (e) {}
try { new Worker('/__superapp/logic-worker.js'); } catch (e) {}
fetch('/__superapp/logic-worker.js').catch(() => {});
const f = document.createElement('iframe'); f.src = '/__superapp/logic.html'; document.body.append(f);
const w = window.open('/__superapp/logic.html');
window.__attempts.opened = w ? [w.closed, typeof w.onViewMessage, typeof w.callNative] : null;
"""


def test_view_cannot_read_or_change_logic_state_except_by_messages(
    tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    folder = make_dual_app(tmp_path, APP, view_script=VIEW_REACH, logic_script=STATE_LOGIC)
    _host, page = open_app("dev", folder)
    view, logic = dual_pages(page)
    wait_for_audit(superapp_home, lambda e: True, action="nav.popup_blocked", app_id=APP)
    for rule in ("csp-frame-src", "csp-worker-src", "csp-connect-src"):
        wait_for_audit(
            superapp_home, lambda e, r=rule: e["superapp"].get("rule") == r,
            action="net.blocked", app_id=APP,
        )  # fmt: skip
    # The view tries to take its own document to the logic's page: refused and audited.
    view.evaluate("location.href = '/__superapp/logic.html'")
    wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("rule") == "dual-logic",
        action="nav.blocked", app_id=APP,
    )  # fmt: skip
    opened = view.evaluate("window.__attempts.opened")
    assert opened is None or opened[1:] == ["undefined", "undefined"], opened
    assert len(page.context.pages) == 2  # no third document was opened
    assert _ask(view, {"op": "get"}, "state") == {"count": 0}
    assert post_to_logic(view, {"op": "inc"}) == {"ok": True}
    view.evaluate("window.__got.length = 0")
    assert _ask(view, {"op": "get"}, "state") == {"count": 1}  # through a message it accepts
    assert "s3cr3t" not in view.evaluate(
        "document.documentElement.outerHTML + JSON.stringify(window.__got)"
    )
    assert view.url.endswith("/index.html") and logic.url.endswith("/__superapp/logic.html")


# --- lifecycle: a crash of either context ends the app ---------------------------------------


@pytest.mark.parametrize("crashed", ["logic", "view"])
def test_a_context_crash_ends_the_app_with_the_reason(
    crashed: str, tmp_path: Path, open_app: Any, superapp_home: Paths
) -> None:
    folder = make_dual_app(tmp_path, APP)
    host, page = open_app("dev", folder)
    view, logic = dual_pages(page)
    assert post_to_logic(view, {"before": "crash"}) == {"ok": True}
    target = logic if crashed == "logic" else view
    session = target.context.new_cdp_session(target)
    # The target may be gone before it answers: that is the point.
    with contextlib.suppress(Exception):
        session.send("Page.crash")
    assert host.proc.wait(timeout=60) != 0  # both contexts end with the app
    line = wait_until(
        lambda: next((ln for ln in host.stderr_lines if f"{APP} crashed" in ln), None),
        what="the host's crash line",
    )
    assert "the app's logic context crashed" in line or "the app's view context" in line, line
    event = wait_for_audit(superapp_home, lambda e: True, action="dual.context_crashed", app_id=APP)
    assert event["superapp"]["context"] in ("logic", "view")
    crashed = wait_for_audit(superapp_home, lambda e: True, action="app.crashed", app_id=APP)
    assert "context" in crashed["event"]["reason"]
    assert not [
        e for e in audit_events(superapp_home, "app.crashed") if e["superapp"]["app_id"] != APP
    ]

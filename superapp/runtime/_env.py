"""Process environment for the engine, set before Qt is imported.

Qt WebEngine reads its configuration from environment variables once, when the first
profile is created, so everything here must happen before ``import webview``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path

from superapp.net import IPAddress

__all__ = [
    "CHROMIUM_FLAGS",
    "egress_switches",
    "engine_switches",
    "prepare_environment",
    "software_scene_graph",
    "test_dns_map",
    "test_host_map",
    "test_switches",
]

#: Chromium switches for every mini-app engine. They cut the engine's own traffic (component
#: updates, background fetches, DNS prefetch) so the only requests are the page's, and every
#: one of those passes the request interceptor.
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--no-pings",
    "--no-first-run",
    "--disable-features=DnsOverHttps,MediaRouter,OptimizationHints,Translate",
)


#: The engine may open connections only through the app's egress proxy (``superapp.net.
#: _egress``): ``--proxy-server`` sends every HTTP(S)/WebSocket connection there (a CONNECT
#: for TLS and WebSocket), ``<-loopback>`` removes Chromium's implicit bypass for localhost
#: and 127.0.0.1, and the WebRTC policy allows peer-to-peer media only over proxied TCP — no
#: UDP, no direct TCP to candidates a page names — so ICE traffic meets the proxy too.
#: (Verified: without ``--force-webrtc-ip-handling-policy`` a page's STUN binding requests
#: reach a UDP port on 127.0.0.1; the similar ``--webrtc-ip-handling-policy`` has no effect.)
_WEBRTC_POLICY = "disable_non_proxied_udp"


def egress_switches(proxy_port: int) -> list[str]:
    """The switches that force the engine through the egress proxy on ``proxy_port``."""
    if not 0 < proxy_port < 65536:
        raise ValueError("the egress proxy has no port")
    return [
        f"--proxy-server=http://127.0.0.1:{proxy_port}",
        "--proxy-bypass-list=<-loopback>",
        f"--force-webrtc-ip-handling-policy={_WEBRTC_POLICY}",
    ]


_TEST_HOST = re.compile(r"^([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*\.test)=([0-9]{2,5})$")
_TEST_DNS = re.compile(
    r"^([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*\.test)=([0-9a-f.:]{2,45})(?:/([0-9]{2,5}))?$"
)


def test_host_map(env: Mapping[str, str]) -> dict[str, int]:
    """``SUPERAPP_TEST_HOSTS`` (end-to-end tests only): ``name.test=PORT[,…]``.

    The app's egress proxy connects ``name.test`` (only the reserved ``.test`` domain) to
    127.0.0.1:PORT, so tests can allowlist a real host name served by a local recording
    server. Only loopback targets can be produced; malformed items are ignored.
    """
    out: dict[str, int] = {}
    for item in env.get("SUPERAPP_TEST_HOSTS", "").split(","):
        match = _TEST_HOST.match(item.strip())
        if match and 0 < int(match.group(2)) < 65536:
            out[match.group(1)] = int(match.group(2))
    return out


def test_dns_map(env: Mapping[str, str]) -> dict[str, tuple[IPAddress, int | None]]:
    """``SUPERAPP_TEST_DNS`` (end-to-end tests only): ``name.test=ADDRESS[/PORT][,…]``.

    The egress proxy's resolver answers ADDRESS for ``name.test`` as a hostile DNS server
    would; the answer is vetted like any other (a loopback answer is refused: the
    DNS-rebinding shape). PORT, if given, is where the proxy *would* connect were the answer
    accepted, so a test can put a recorder there and count that nothing arrives.
    """
    out: dict[str, tuple[IPAddress, int | None]] = {}
    for item in env.get("SUPERAPP_TEST_DNS", "").split(","):
        match = _TEST_DNS.match(item.strip())
        if match:
            try:
                ip = ipaddress.ip_address(match.group(2))
            except ValueError:
                continue
            port = int(match.group(3)) if match.group(3) else None
            out[match.group(1)] = (ip, port if port is None or 0 < port < 65536 else None)
    return out


def test_switches(env: Mapping[str, str]) -> list[str]:
    """Engine switches for ``SUPERAPP_TEST_HOSTS``: treat ``http://name.test`` as potentially
    trustworthy, so tests need no certificates. Names are resolved by the egress proxy."""
    origins = [f"http://{name}" for name in test_host_map(env)]
    if not origins:
        return []
    return [f"--unsafely-treat-insecure-origin-as-secure={','.join(origins)}"]


def engine_switches(env: Mapping[str, str], *, proxy_port: int) -> list[str]:
    """Every Chromium switch for an app's engine, for QApplication's argv after
    ``--webEngineArgs`` (values may hold spaces there, unlike in QTWEBENGINE_CHROMIUM_FLAGS).
    There is no engine without its egress proxy: ``proxy_port`` is required."""
    switches = [*CHROMIUM_FLAGS, *egress_switches(proxy_port)]
    # Tests need fake camera/microphone devices to prove the permission hook denies them
    # (with no device the engine fails before asking). Only this exact switch is accepted.
    if env.get("SUPERAPP_TEST_FAKE_MEDIA") == "1":
        switches.append("--use-fake-device-for-media-stream")
    return [*switches, *test_switches(env)]


#: Where a machine's GPU render nodes are (``renderD128``…); none means no GPU to draw with.
_DRI = Path("/dev/dri")


def software_scene_graph(dri: Path | None = None) -> bool:
    """Whether the window should composite in software: the machine has no GPU render node.

    Measured (bench/RESULTS.md, "Why a warm window stalled"): with no GPU, Qt Quick's OpenGL
    scene graph runs on Mesa's llvmpipe, which JIT-compiles its shaders with LLVM on the GUI
    thread (Chromium's UI thread too) for every new page view — ~100 ms of each warm launch.
    Qt Quick's ``software`` backend draws without GL, and Qt WebEngine then composites in
    software too (it turns the GPU off itself); WebGL was already off on llvmpipe (GPU
    blocklisted). No sandbox or isolation switch changes. With a GPU nothing is set.
    """
    try:
        return not any((_DRI if dri is None else dri).glob("renderD*"))
    except OSError:  # unreadable: no GPU the engine could open either
        return True


def prepare_environment(webview_dir: Path, *, cdp_port: int | None) -> bool:
    """Configure this process for one app's engine. Returns whether the sandbox is on.

    As root Chromium refuses to start with its sandbox, so it has to be disabled; the
    caller reports that loudly (DESIGN §6.9).
    """
    env = os.environ
    env["QT_API"] = "pyside6"
    # The engine profile, its HTTP cache and anything Qt writes via XDG dirs stay in the
    # app's own folder, so no engine state is shared between apps.
    for sub, var in (("xdg-cache", "XDG_CACHE_HOME"), ("xdg-data", "XDG_DATA_HOME")):
        folder = webview_dir / sub
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        env[var] = str(folder)
    # Engine switches travel in argv (see ``engine_switches``): when this variable is set at
    # all, Qt WebEngine ignores the application's --webEngineArgs.
    env.pop("QTWEBENGINE_CHROMIUM_FLAGS", None)
    # Remote debugging is opt-in per launch and loopback-only; an inherited value is dropped
    # so a parent environment cannot open a CDP port on an app.
    env.pop("QTWEBENGINE_REMOTE_DEBUGGING", None)
    if cdp_port is not None:
        env["QTWEBENGINE_REMOTE_DEBUGGING"] = f"127.0.0.1:{cdp_port}"
    if "QT_QUICK_BACKEND" not in env and software_scene_graph():
        env["QT_QUICK_BACKEND"] = "software"
    sandbox = True
    if os.geteuid() == 0 or env.get("QTWEBENGINE_DISABLE_SANDBOX") == "1":
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
        sandbox = False
    return sandbox

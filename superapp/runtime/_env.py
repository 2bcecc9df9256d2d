"""Process environment for the engine, set before Qt is imported.

Qt WebEngine reads its configuration from environment variables once, when the first
profile is created, so everything here must happen before ``import webview``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "engine_switches", "prepare_environment", "test_switches"]

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


_TEST_HOST = re.compile(r"^([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*\.test)=([0-9]{2,5})$")


def test_switches(env: Mapping[str, str]) -> list[str]:
    """Engine switches for ``SUPERAPP_TEST_HOSTS`` (end-to-end tests only).

    ``name.test=PORT[,…]`` makes the engine resolve ``name.test`` (only the reserved ``.test``
    top-level domain) to 127.0.0.1:PORT and treat ``http://name.test`` as potentially
    trustworthy, so tests can allowlist a real host name served by a local recording server
    without certificates. Only loopback targets can be produced; malformed items are ignored.
    """
    maps, origins = [], []
    for item in env.get("SUPERAPP_TEST_HOSTS", "").split(","):
        match = _TEST_HOST.match(item.strip())
        if match:
            maps.append(f"MAP {match.group(1)} 127.0.0.1:{int(match.group(2))}")
            origins.append(f"http://{match.group(1)}")
    if not maps:
        return []
    return [
        f"--host-resolver-rules={', '.join(maps)}",
        f"--unsafely-treat-insecure-origin-as-secure={','.join(origins)}",
    ]


def engine_switches(env: Mapping[str, str]) -> list[str]:
    """Every Chromium switch for an app's engine, for QApplication's argv after
    ``--webEngineArgs`` (values may hold spaces there, unlike in QTWEBENGINE_CHROMIUM_FLAGS)."""
    switches = list(CHROMIUM_FLAGS)
    # Tests need fake camera/microphone devices to prove the permission hook denies them
    # (with no device the engine fails before asking). Only this exact switch is accepted.
    if env.get("SUPERAPP_TEST_FAKE_MEDIA") == "1":
        switches.append("--use-fake-device-for-media-stream")
    return [*switches, *test_switches(env)]


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
    sandbox = True
    if os.geteuid() == 0 or env.get("QTWEBENGINE_DISABLE_SANDBOX") == "1":
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
        sandbox = False
    return sandbox

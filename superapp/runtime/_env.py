"""Process environment for the engine, set before Qt is imported.

Qt WebEngine reads its configuration from environment variables once, when the first
profile is created, so everything here must happen before ``import webview``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "prepare_environment"]

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
    flags = list(CHROMIUM_FLAGS)
    # Tests need fake camera/microphone devices to prove the permission hook denies them
    # (with no device the engine fails before asking). Only this exact switch is accepted.
    if env.get("SUPERAPP_TEST_FAKE_MEDIA") == "1":
        flags.append("--use-fake-device-for-media-stream")
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(flags)
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

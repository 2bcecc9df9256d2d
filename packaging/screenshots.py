"""Capture the README's screenshots: the launcher and each sample, in real windows under Xvfb.

Usage: python packaging/screenshots.py [OUT_DIR]   (default docs/screenshots)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import xvfb  # noqa: E402
from superapp.testing import HostProcess, connect, free_port  # noqa: E402


def _open(
    playwright: Any, args: list[str], env: dict[str, str], ready: str
) -> tuple[HostProcess, Any, Any]:
    port = free_port()
    host = HostProcess([*args, "--remote-debugging-port", str(port)], env)
    host.wait_for_line(ready)
    browser, page = connect(playwright, port)
    return host, browser, page


def main() -> int:
    from playwright.sync_api import sync_playwright

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, xvfb(), sync_playwright() as pw:
        env = dict(os.environ, SUPERAPP_HOME=home, PYTHONPATH=str(REPO))
        HostProcess(["samples", "install"], env).proc.wait(120)
        hosts = []
        try:
            host, browser, notes = _open(pw, ["run", "dev.superapp.notes"], env, "running$")
            hosts.append(host)
            for title, body in (
                ("Groceries", "eggs, flour, basil"),
                ("Ideas", "a launcher that tells you why an app was stopped"),
            ):
                notes.get_by_test_id("new-note").click()
                notes.get_by_test_id("note-title").fill(title)
                notes.get_by_test_id("note-body").fill(body)
            notes.screenshot(path=str(out / "notes.png"))
            browser.close()

            host, browser, conv = _open(pw, ["run", "dev.superapp.converter"], env, "running$")
            hosts.append(host)
            conv.get_by_test_id("from-value").fill("42")
            conv.screenshot(path=str(out / "converter.png"))
            browser.close()

            host, browser, launcher = _open(pw, ["launcher"], env, "launcher running$")
            hosts.append(host)
            launcher.wait_for_selector('[data-testid="state-dev.superapp.notes"]')
            launcher.screenshot(path=str(out / "launcher.png"))
            browser.close()
        finally:
            for host in hosts:
                host.stop()
    print(f"screenshots written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Page load with 200 sub-resources: superapp (every request through the guard) vs bare pywebview.

Two pages, each loaded by ``superapp dev`` and by a plain pywebview window (no guard):

- **local**: index.html with 200 images from the app's own folder. superapp serves them through
  the app:// scheme handler, the request interceptor asking the allowlist for each request, CSP;
  pywebview from its own HTTP server. The egress proxy sees none of these (no network).
- **remote**: 200 images from an HTTP server on 127.0.0.1 (a recorder). superapp reaches it as
  the allowlisted ``http://bench.test`` (a test host name the egress proxy maps to the server):
  interceptor, then the egress proxy (decision, one request per proxied connection); pywebview
  fetches the same images from the server directly. This is the proxy's cost per page.

Load time is the page's own Navigation Timing: ``loadEventEnd`` relative to the start of
navigation, read over CDP. Alternating runs, median.

Usage: python bench/pageload.py [--runs 7]
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import machine, median, xvfb  # noqa: E402
from superapp.testing import (  # noqa: E402
    HostProcess,
    connect,
    free_port,
    make_app,
)

# A 1x1 PNG; each image gets its own file so nothing is served from memory caches twice.
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
_LOAD_MS = (
    "() => new Promise(r => { const go = () => { const n = performance.getEntriesByType("
    "'navigation')[0]; if (n && n.loadEventEnd > 0) r(n.loadEventEnd); else setTimeout(go, 20); };"
    " go(); })"
)


def _make_page(root: Path) -> Path:
    body = "".join(f"<img src='img/{i}.png' width=8 height=8>" for i in range(200))
    folder = make_app(root, "dev.superapp.pageload", body=body)
    (folder / "img").mkdir()
    for i in range(200):
        (folder / "img" / f"{i}.png").write_bytes(_PNG)
    return folder


def _make_remote_page(root: Path, origin: str, app_id: str) -> Path:
    body = "".join(f"<img src='{origin}/img/{i}.png' width=8 height=8>" for i in range(200))
    host = "bench.test"
    return make_app(root, app_id, body=body, allowed_hosts=[host], allow_http_hosts=[host])


def _superapp(pw: Any, folder: Path, env: dict[str, str]) -> float:
    port = free_port()
    host = HostProcess(
        ["dev", "--no-reload", str(folder), "--remote-debugging-port", str(port)], env
    )
    try:
        host.wait_for_line("running$")
        browser, page = connect(pw, port)
        value = float(page.evaluate(_LOAD_MS))
        browser.close()
        return value
    finally:
        host.stop()


def _bare(pw: Any, folder: Path, env: dict[str, str]) -> float:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "_bare_pywebview.py"), str(folder)],
        env=dict(env, QTWEBENGINE_REMOTE_DEBUGGING=f"127.0.0.1:{port}"),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "loaded" in line:
                break
        browser, page = connect(pw, port)
        value = float(page.evaluate(_LOAD_MS))
        browser.close()
        return value
    finally:
        proc.terminate()
        proc.wait(20)


def main() -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from tests.helpers.recorder import Recorder

    with (
        tempfile.TemporaryDirectory() as home,
        xvfb(),
        sync_playwright() as pw,
        Recorder() as server,
    ):
        env = dict(os.environ, SUPERAPP_HOME=home, PYTHONPATH=str(REPO))
        remote_env = dict(env, SUPERAPP_TEST_HOSTS=f"bench.test={server.port}")
        root = Path(home) / "src"
        folder = _make_page(root)
        ours_remote = _make_remote_page(root / "a", "http://bench.test", "dev.superapp.remote")
        bare_remote = _make_remote_page(root / "b", server.origin, "dev.superapp.bareremote")
        ours, bare, ours_r, bare_r = [], [], [], []
        for _ in range(args.runs):
            ours.append(_superapp(pw, folder, env))
            bare.append(_bare(pw, folder, env))
            ours_r.append(_superapp(pw, ours_remote, remote_env))
            bare_r.append(_bare(pw, bare_remote, env))
        requests = len(server.hits)
    print(f"## Page load, 200 sub-resources ({machine()}, {args.runs} runs each, alternating)\n")
    print("| page | | load (median) | min | max |")
    print("|---|---|---|---|---|")
    rows = (
        ("local", "bare pywebview, no guard", bare),
        ("local", "superapp, guard on", ours),
        ("remote", "bare pywebview, direct", bare_r),
        ("remote", "superapp, guard + egress proxy", ours_r),
    )
    for page, label, values in rows:
        print(
            f"| {page} | {label} | {median(values):.1f} ms | {min(values):.1f} ms "
            f"| {max(values):.1f} ms |"
        )
    print(f"\nlocal superapp / bare: {median(ours) / median(bare):.2f}×")
    print(f"remote superapp / bare: {median(ours_r) / median(bare_r):.2f}×")
    print(f"requests served by the remote server: {requests}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""callNative round trip vs a bare pywebview js_api call, in the same run, real windows.

Latency: p50/p99 of 1,000 sequential calls, timed in the page with performance.now().
Throughput: calls/s with 100 in flight (5,000 calls). superapp calls ``app.info`` through the
whole door (relay, channel, dispatcher: decode, table, validation, grants, rate limit,
handler, encode); the baseline calls a js_api ``echo`` method. The rate bucket of app.info is
raised through the host policy so the cap does not decide the figures.

Usage: python bench/bridge.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import machine, xvfb  # noqa: E402
from superapp.testing import (  # noqa: E402
    HostProcess,
    connect,
    free_port,
    make_app,
)

LATENCY = """async (n) => { const t = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now(); await CALL; t.push(performance.now() - s); }
  t.sort((a, b) => a - b); return [t[Math.floor(n / 2)], t[Math.floor(n * 0.99)]]; }"""
THROUGHPUT = """async ([total, inflight]) => { let issued = 0, done = 0, failed = 0;
  const start = performance.now();
  await new Promise(resolve => { function next() { if (issued >= total) return; issued++;
      CALL.then(() => {}, () => { failed++; })
        .finally(() => { done++; if (done === total) resolve(); else next(); }); }
    for (let i = 0; i < inflight; i++) next(); });
  return [total / ((performance.now() - start) / 1000), failed]; }"""


def _measure(page: Any, call: str) -> tuple[float, float, float, int]:
    page.evaluate(THROUGHPUT.replace("CALL", call), [200, 10])  # warm-up
    p50, p99 = page.evaluate(LATENCY.replace("CALL", call), 1000)
    rate, failed = page.evaluate(THROUGHPUT.replace("CALL", call), [5000, 100])
    return p50, p99, rate, failed


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home, xvfb(), sync_playwright() as pw:
        env = dict(os.environ, SUPERAPP_HOME=home, PYTHONPATH=str(REPO))
        config = Path(home) / "config"
        config.mkdir(parents=True)
        (config / "policy.toml").write_text(
            "[bridge_rates.cheap]\nburst = 100000\nper_second = 100000\n", encoding="utf-8"
        )
        app = make_app(Path(home) / "src", "dev.superapp.benchdoor")
        port = free_port()
        host = HostProcess(
            ["dev", "--no-reload", str(app), "--remote-debugging-port", str(port)], env
        )
        try:
            host.wait_for_line("running$")
            browser, page = connect(pw, port)
            ours = _measure(page, "window.callNative('app.info', {})")
            browser.close()
        finally:
            host.stop()

        port = free_port()
        bare_env = dict(env, QTWEBENGINE_REMOTE_DEBUGGING=f"127.0.0.1:{port}")
        bare = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "_bare_pywebview.py"), str(app), "--echo"],
            env=bare_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            assert bare.stdout is not None
            for line in bare.stdout:
                if "loaded" in line:
                    break
            browser, page = connect(pw, port)
            page.wait_for_function(
                "() => window.pywebview && window.pywebview.api && window.pywebview.api.echo"
            )
            theirs = _measure(page, "window.pywebview.api.echo(1)")
            browser.close()
        finally:
            bare.terminate()
            bare.wait(20)

    print(f"## Bridge round trip ({machine()})\n")
    print("| | p50 latency | p99 latency | calls/s, 100 in flight | failed |")
    print("|---|---|---|---|---|")
    for label, (p50, p99, rate, failed) in (
        ("bare pywebview js_api echo", theirs),
        ("superapp callNative('app.info')", ours),
    ):
        print(f"| {label} | {p50:.3f} ms | {p99:.3f} ms | {rate:,.0f} | {failed} |")
    print(f"\nlatency ratio (p50, superapp / bare): {ours[0] / theirs[0]:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

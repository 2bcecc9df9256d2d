"""callNative round trip vs a bare pywebview js_api call, in the same run, real windows.

Latency: p50/p99 of 1,000 sequential calls, timed in the page with performance.now().
Throughput: calls/s with 100 in flight (5,000 calls). superapp calls ``app.info`` through the
whole door (relay, channel, dispatcher: decode, table, validation, grants, rate limit,
handler, encode); the baseline calls a js_api ``echo`` method. The rate bucket of app.info is
raised through the host policy so the cap does not decide the figures, and so is the monitor's
bridge-calls budget (a dual-mode round trip counts three: two messages and the call).

Dual mode (docs/dual.md): the view posts ``{i}`` to the logic, the logic worker calls
``callNative('app.info')`` and posts ``{i}`` back; timed in the view from ``postToLogic`` to the
matching message, so one round trip is view → runtime → logic → native → logic → runtime → view.

Usage: python bench/bridge.py [--lockdown both|on|off] [--stage all|single] [--tree DIR]

``--stage single`` skips the dual-mode stage (the single-page call and the bare baseline
only). ``--tree DIR`` runs the hosts (and so the runtimes) from another checkout's code, e.g.
``--tree /work/main``, so two trees can be compared alternating in the same minutes with
the same bench.
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
    dual_pages,
    free_port,
    make_app,
    make_dual_app,
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


DUAL_LOGIC = """
function answer(reply) {
  postToView(reply).catch(function (e) {
    // Refused: each side has its own message bucket of the same size, so with the view
    // sending at the limit a reply can meet an empty logic bucket (RATE_LIMITED). The round
    // trip has failed, but the view must hear so or its promise never settles (the bench
    // hung here): say it once the bucket has refilled (500 per second).
    setTimeout(function () { answer({i: reply.i, error: e.code || "REFUSED"}); }, 5);
  });
}
onViewMessage(function (m) {
  callNative("app.info", {}).then(function () { answer({i: m.i}); },
                                  function (e) { answer({i: m.i, error: e.code}); });
});
"""
DUAL_VIEW = """
window.__rt = (function () {
  var n = 0, waiting = new Map();
  onLogicMessage(function (m) {
    var done = waiting.get(m.i);
    if (!done) return;
    waiting.delete(m.i);
    if (m.error) done[1](new Error(m.error)); else done[0](m);
  });
  return function () {
    var i = ++n;
    return new Promise(function (resolve, reject) {
      waiting.set(i, [resolve, reject]);
      postToLogic({i: i}).catch(function (e) { waiting.delete(i); reject(e); });
    });
  };
})();
"""


def _superapp(pw: Any, env: dict[str, str], app: Path, call: str, dual: bool, tree: Path) -> Any:
    port = free_port()
    args = ["dev", "--no-reload", str(app), "--remote-debugging-port", str(port)]
    # From the tree's folder: ``python -m`` puts the working folder first on the path, before
    # PYTHONPATH, so a host started elsewhere would run that folder's code.
    host = HostProcess(args, env, cwd=tree)
    try:
        host.wait_for_line("running$")
        browser, page = connect(pw, port)
        if dual:
            page, _logic = dual_pages(page)
            page.wait_for_function("() => typeof window.__rt === 'function'")
        figures = _measure(page, call)
        browser.close()
        return figures
    finally:
        host.stop()


def main() -> int:
    import argparse

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    # The runtime's OS-level lockdown (superapp.confine) on, off (SUPERAPP_NO_CONFINE=1), or both.
    parser.add_argument("--lockdown", choices=("both", "on", "off"), default="both")
    parser.add_argument("--stage", choices=("all", "single"), default="all")
    parser.add_argument("--tree", type=Path, default=REPO, help="the code the hosts run")
    args = parser.parse_args()
    modes = ("on", "off") if (mode := args.lockdown) == "both" else (mode,)
    args.tree = args.tree.resolve()
    tree = str(args.tree)
    ours: dict[str, tuple[float, float, float, int]] = {}

    with tempfile.TemporaryDirectory() as home, xvfb(), sync_playwright() as pw:
        # The repository first; anything the caller put on the path stays behind it.
        path = os.pathsep.join(p for p in (tree, os.environ.get("PYTHONPATH", "")) if p)
        env = dict(os.environ, SUPERAPP_HOME=home, PYTHONPATH=path)
        config = Path(home) / "config"
        config.mkdir(parents=True)
        (config / "policy.toml").write_text(
            "[bridge_rates.cheap]\nburst = 100000\nper_second = 100000\n"
            "[monitor.bridge_calls]\nlimit = 1000000\n",
            encoding="utf-8",
        )
        app = make_app(Path(home) / "src", "dev.superapp.benchdoor")
        for lockdown in modes:
            run_env = dict(env, SUPERAPP_NO_CONFINE="1") if lockdown == "off" else env
            ours[lockdown] = _superapp(
                pw, run_env, app, "window.callNative('app.info', {})", False, args.tree
            )
        dual = None
        if args.stage == "all":
            dual_app = make_dual_app(
                Path(home) / "src",
                "dev.superapp.benchdual",
                view_script=DUAL_VIEW,
                logic_script=DUAL_LOGIC,
            )
            dual = _superapp(pw, env, dual_app, "window.__rt()", True, args.tree)

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

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"## Bridge round trip ({machine()}; code: {tree}; load average {load})\n")
    print("| | p50 latency | p99 latency | calls/s, 100 in flight | failed |")
    print("|---|---|---|---|---|")
    rows = [("bare pywebview js_api echo", theirs)]
    rows += [(f"superapp callNative('app.info'), lockdown {m}", ours[m]) for m in modes]
    if dual is not None:
        rows += [("superapp dual mode: view → logic → app.info → view", dual)]
    for label, (p50, p99, rate, failed) in rows:
        print(f"| {label} | {p50:.3f} ms | {p99:.3f} ms | {rate:,.0f} | {failed} |")
    for m in modes:
        print(f"\nlatency ratio (p50, superapp lockdown {m} / bare): {ours[m][0] / theirs[0]:.2f}×")
    if dual is not None:
        first = ours[modes[0]]
        print(f"latency ratio (p50, dual round trip / single-page call): {dual[0] / first[0]:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Start-up of a mini-app: cold, warm (from the prewarmed pool), against bare pywebview.

All in one run, under a private Xvfb, on the Unit Converter sample:

* **cold**: ``superapp run`` from process start to its "running" line (host process, a
  generic runtime started at once, ``bind``, the verified bundle through ``app://`` with every
  guard on), alternating with **bare** pywebview loading the same folder; PSS of each tree.
* **warm**: a host with a ``RuntimePool`` of one (in this process): from ``launch()`` to the
  runtime's ``loaded``; the pool refills between launches. Twice: a storage-free app (as
  before, for comparison) and the Unit Converter (``persistent`` engine storage, its profile
  folder moved into the claimed slot, docs/pool.md).
* **breakdown**: where a cold launch's time goes, from the control messages' arrival in the
  host (spawn → ``hello`` → ``warm`` → ``loaded``) and the runtime's own clock.
* **pool idle cost**: PSS of the pool's idle runtime tree.
* **in the running launcher**: ``superapp run`` with the user's launcher already running (its
  pool warm): the launcher's host opens the app (docs/cli.md), from process start to the
  "running" line, alternating with bare pywebview; and how many launches were pooled claims.
  Not a cold start: the cold figure is the first stage. ``--delegated-only`` runs just this
  and the cold stage (for scale).
* **lifecycle**: resume from suspended and from discarded, and PSS per state (running,
  hidden, suspended, discarded; anonymous vs file-backed) of the Unit Converter's tree
  (``bench/lifecycle.py``'s ``measure_states``, ``--lifecycle-runs`` times).

Bytecode: ``PYTHONDONTWRITEBYTECODE`` is unset and one discarded run of each side compiles
first, so both sides run from bytecode as on users' machines.

Usage: python bench/startup.py [--runs 8] [--cold-app converter|notes] [--delegated-only]

``--cold-app notes``: the cold ``superapp run`` side runs the Notes sample, which fits the
generic plan (its storage moved into the slot). Both samples now take the generic path
(spawned ``--pooled``, bound at once): the converter's ``persistent`` engine profile is moved
into the slot too (docs/pool.md).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import machine, median, pct, tree_pss_mb, xvfb  # noqa: E402

APP = "dev.superapp.converter"
#: ``--cold-app``: the sample ``superapp run`` launches on the cold side, and its folder.
COLD_APPS = {"converter": "dev.superapp.converter", "notes": "dev.superapp.notes"}
#: The storage-free app of the first warm stage (kept so figures compare with earlier runs;
#: the converter, whose ``persistent`` profile is moved into the slot, is the second).
WARM_APP = "bench.superapp.plain"


def _install_plain(home: Path) -> None:
    """Sign and install ``WARM_APP``: one page and a script, no storage, no hosts."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from superapp.bundles import TrustStore, install_bundle, pack_dir
    from superapp.core.paths import Paths
    from superapp.testing import make_app

    paths = Paths.from_env()
    folder = make_app(home / "src", WARM_APP, body="<h1>Plain</h1><p>A page and a script.</p>")
    key = Ed25519PrivateKey.generate()
    TrustStore(paths).add(key.public_key(), "Bench")
    install_bundle(paths, pack_dir(folder, key))


def _time_until(cmd: list[str], needle: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from process start to a stdout line containing ``needle``; PSS then (MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if needle in line:
                elapsed = time.perf_counter() - start
                break
        else:
            raise RuntimeError(f"{cmd} exited before {needle!r}")
        pss = tree_pss_mb(proc.pid)
        return elapsed, pss
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _cold_vs_bare(
    runs: int, env: dict[str, str], sample: str = "converter"
) -> dict[str, list[float]]:
    app = COLD_APPS[sample]
    ours = [sys.executable, "-m", "superapp", "run", app]
    bare = [sys.executable, str(REPO / "bench" / "_bare_pywebview.py"),
            str(REPO / "miniapps" / sample)]  # fmt: skip
    _time_until(ours, f"{app} running", env)  # compile, discarded
    _time_until(bare, "loaded", env)
    out: dict[str, list[float]] = {"cold": [], "cold_pss": [], "bare": [], "bare_pss": []}
    for _ in range(runs):
        t, m = _time_until(ours, f"{app} running", env)
        out["cold"].append(t)
        out["cold_pss"].append(m)
        t, m = _time_until(bare, "loaded", env)
        out["bare"].append(t)
        out["bare_pss"].append(m)
    return out


def _launcher_pool_warm(launcher: subprocess.Popen[str]) -> bool:
    """The launcher keeps an idle pooled runtime whose engine is up (it has QtWebEngine
    children) and that serves no app: the state a user's launcher is in between launches."""
    import psutil

    from superapp.core.paths import Paths
    from superapp.host import running_records

    busy = {r.runtime_pid for r in running_records(Paths.from_env())}
    try:
        children = psutil.Process(launcher.pid).children()
    except psutil.NoSuchProcess:
        raise RuntimeError("the launcher exited") from None
    for child in children:
        try:
            if "--pooled" not in child.cmdline() or child.pid in busy:
                continue
            if any("QtWebEngine" in d.name() for d in child.children(recursive=True)):
                return True
        except psutil.NoSuchProcess:
            continue
    return False


def _delegated_vs_bare(runs: int, env: dict[str, str], sample: str) -> dict[str, Any]:
    """``superapp run`` with the user's launcher already running (its pool warm): process start
    to the "running" line, the launcher's host launching the app (docs/cli.md), alternating
    with bare pywebview; and how many of the launches were pooled claims (the audit log)."""
    from superapp.core.paths import Paths
    from superapp.testing import audit_events

    app = COLD_APPS[sample]
    env = {k: v for k, v in env.items() if k != "SUPERAPP_CONSENT"}  # or it runs its own host
    ours = [sys.executable, "-m", "superapp", "run", app]
    bare = [sys.executable, str(REPO / "bench" / "_bare_pywebview.py"),
            str(REPO / "miniapps" / sample)]  # fmt: skip
    launcher = subprocess.Popen(
        [sys.executable, "-m", "superapp", "launcher"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    out: dict[str, Any] = {"delegated": [], "bare": [], "pooled": 0}
    try:
        assert launcher.stdout is not None
        for line in launcher.stdout:
            if "launcher running" in line:
                break
        else:
            raise RuntimeError("the launcher exited before it ran")
        for i in range(runs + 1):
            while not _launcher_pool_warm(launcher):
                time.sleep(0.1)
            time.sleep(1.0)  # let the warm-up's last work settle before timing
            before = len(audit_events(Paths.from_env(), "app.launched", app))
            t, _pss = _time_until(ours, f"{app} running", env)
            launched = audit_events(Paths.from_env(), "app.launched", app)[before:]
            tb, _ = _time_until(bare, "loaded", env)
            if i == 0:  # the first compiles
                continue
            out["delegated"].append(t)
            out["bare"].append(tb)
            out["pooled"] += bool(launched and launched[-1]["superapp"].get("pooled"))
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
        try:
            os.killpg(launcher.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return out


def _in_process(runs: int, *, pooled: bool, app_id: str = WARM_APP) -> dict[str, Any]:
    """Launches from a host in this process: warm (pool of one) or cold, with the arrival
    time of each control message (seconds after ``launch()``)."""
    from superapp.audit import AuditLog
    from superapp.core.paths import Paths
    from superapp.host import Supervisor
    from superapp.host._pool import RuntimePool
    from superapp.policy import PoolPolicy
    from superapp.protocol import Hello, Loaded, Warm

    paths = Paths.from_env()
    audit = AuditLog(paths.audit_log)
    pool = RuntimePool(paths, audit, PoolPolicy(size=1)) if pooled else None
    sup = Supervisor(paths, audit, pool=pool)
    marks: dict[str, float] = {}
    t0 = [0.0]
    real = sup.broker.handle

    def handle(app: Any, msg: Any) -> None:
        now = time.perf_counter() - t0[0]
        if isinstance(msg, Hello | Warm | Loaded):
            marks.setdefault(msg.type, now)
            if isinstance(msg, Warm | Loaded):
                marks[msg.type + "_runtime_clock"] = msg.elapsed_ms / 1000.0
        real(app, msg)

    sup.broker.handle = handle  # type: ignore[method-assign]
    out: dict[str, Any] = {"launch": [], "marks": [], "idle_mb": []}
    if pool is not None:
        pool.start()
    try:
        for i in range(runs + 1):
            if pool is not None:
                while not [rt for rt in pool.idle() if rt.warm.is_set()]:
                    time.sleep(0.05)
                time.sleep(1.0)  # let the warm-up's last work settle before timing
                out["idle_mb"].append(pool.idle_mb())
            marks.clear()
            t0[0] = time.perf_counter()
            app = sup.launch(app_id)
            if not app.loaded.wait(60):
                raise RuntimeError(f"no loaded: {app.detail}")
            took = time.perf_counter() - t0[0]
            if i > 0:  # the first compiles
                out["launch"].append(took)
                out["marks"].append(dict(marks))
            sup.stop(app_id)
    finally:
        sup.shutdown()
    return out


def _lifecycle(runs: int) -> list[str]:
    """Resume from suspended and from discarded, PSS per state (issue 16): bench/lifecycle.py's
    measurement, run here so that one run shows them with the start-up figures."""
    from bench.lifecycle import measure_states, state_rows

    rows = state_rows(measure_states(runs))
    # Again with the launcher's pool: resuming a discarded app then claims a warm runtime (the
    # converter fits the pool now that its engine profile moves into a slot).
    pooled = state_rows(measure_states(runs, pool=True))
    # The pooled host's resume-from-discarded row, after the cold one (rows found by label).
    at = next(i for i, r in enumerate(rows) if r.startswith("| resume from discarded")) + 1
    warm = next(r for r in pooled if r.startswith("| resume from discarded"))
    return [*rows[:at], warm, *rows[at:]]


def _mark(rows: list[dict[str, float]], key: str) -> str:
    values = [r[key] for r in rows if key in r]
    return f"{median(values):.3f} s" if values else "—"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--cold-app", choices=sorted(COLD_APPS), default="converter")
    parser.add_argument("--lifecycle-runs", type=int, default=3)
    parser.add_argument(
        "--delegated-only", action="store_true",
        help="only the stage 'superapp run with the launcher running' against bare pywebview",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, xvfb():
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["SUPERAPP_HOME"] = home
        # No GPU: the runtime composites in software (``software_scene_graph``); bare
        # pywebview gets the same backend, so the comparison stays fair.
        from superapp.runtime._env import software_scene_graph

        if software_scene_graph():
            os.environ.setdefault("QT_QUICK_BACKEND", "software")
        env = dict(os.environ, PYTHONPATH=str(REPO))
        os.environ["PYTHONPATH"] = str(REPO)
        subprocess.run(
            [sys.executable, "-m", "superapp", "samples", "install"], env=env, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _install_plain(Path(home))
        load = os.getloadavg()[0]
        if args.delegated_only:  # with the cold stage, for scale (no launcher runs then)
            cold_only = _cold_vs_bare(args.runs, env, args.cold_app)
            _print_delegated(_delegated_vs_bare(args.runs, env, args.cold_app), args, load)
            v = cold_only["cold"]
            print(f"\nsame run, superapp run on its own host (cold, no launcher running): "
                  f"median {median(v):.3f} s (min {min(v):.3f} s, max {max(v):.3f} s), bare "
                  f"{median(cold_only['bare']):.3f} s in its alternation")  # fmt: skip
            return 0
        cb = _cold_vs_bare(args.runs, env, args.cold_app)
        warm = _in_process(args.runs, pooled=True)
        warm_conv = _in_process(args.runs, pooled=True, app_id=APP)
        cold = _in_process(args.runs, pooled=False)
        life = _lifecycle(args.lifecycle_runs) if args.lifecycle_runs > 0 else []
        delegated = _delegated_vs_bare(args.runs, env, args.cold_app)
    print(
        f"## Startup ({machine()}, load average {load:.1f} at start, {args.runs} runs each, "
        f"QT_QUICK_BACKEND={os.environ.get('QT_QUICK_BACKEND', '')!r} on both sides)\n"
    )
    print("| | start → loaded (median) | min | max | PSS of process tree (median) |")
    print("|---|---|---|---|---|")
    cold_label = f"superapp run (cold, {args.cold_app})"
    for label, key in (("bare pywebview", "bare"), (cold_label, "cold")):
        v = cb[key]
        print(f"| {label} | {median(v):.3f} s | {min(v):.3f} s | {max(v):.3f} s "
              f"| {median(cb[key + '_pss']):.0f} MB |")  # fmt: skip
    w = warm["launch"]
    print(f"| warm launch, storage-free app, from the pool | {median(w):.3f} s "
          f"| {min(w):.3f} s | {max(w):.3f} s | |")  # fmt: skip
    wc = warm_conv["launch"]
    print(f"| warm launch, Unit Converter (persistent engine storage), from the pool "
          f"| {median(wc):.3f} s | {min(wc):.3f} s | {max(wc):.3f} s | |")  # fmt: skip
    c = cold["launch"]
    print(f"| cold launch, storage-free app, in a running host | {median(c):.3f} s "
          f"| {min(c):.3f} s | {max(c):.3f} s | |")  # fmt: skip
    print(f"\ncold / bare: {median(cb['cold']) / median(cb['bare']):.2f}× time, "
          f"{median(cb['cold_pss']) / median(cb['bare_pss']):.2f}× memory; "
          f"warm p50 {median(w):.3f} s, p90 {pct(w, 0.9):.3f} s; "
          f"warm converter p50 {median(wc):.3f} s, p90 {pct(wc, 0.9):.3f} s")  # fmt: skip
    print(f"\npool idle cost (one warm runtime, tree PSS): {median(warm['idle_mb']):.0f} MB")
    print(
        "\nCold launch of a storage-free app in a running host, seconds after launch() (median):\n"
    )
    print(
        "| hello (interpreter + imports) | warm (engine up, blank page) | loaded "
        "| runtime clock at warm | at loaded |"
    )
    print("|---|---|---|---|---|")
    m = cold["marks"]
    print(
        f"| {_mark(m, 'hello')} | {_mark(m, 'warm')} | {_mark(m, 'loaded')} "
        f"| {_mark(m, 'warm_runtime_clock')} | {_mark(m, 'loaded_runtime_clock')} |"
    )
    _print_delegated(delegated, args, None)
    if life:
        print(f"\nLifecycle, Unit Converter ({args.lifecycle_runs} runs; goal: suspended ≤ 40 % "
              "of running):\n\n| measure | result |\n|---|---|")  # fmt: skip
        print("\n".join(life))
    return 0


def _print_delegated(d: dict[str, Any], args: argparse.Namespace, load: float | None) -> None:
    if load is not None:
        print(f"## Startup, superapp run with the launcher running ({machine()}, load average "
              f"{load:.1f} at start, {args.runs} runs each)\n")  # fmt: skip
    else:
        print("\nsuperapp run with the launcher already running (its pool warm):\n")
    print("| | start → loaded/running (median) | min | max |")
    print("|---|---|---|---|")
    for label, key in (("bare pywebview", "bare"),
                       (f"superapp run, opened in the running launcher ({args.cold_app})",
                        "delegated")):  # fmt: skip
        v = d[key]
        print(f"| {label} | {median(v):.3f} s | {min(v):.3f} s | {max(v):.3f} s |")
    ratio = median(d["delegated"]) / median(d["bare"])
    print(f"\nin the launcher / bare: {ratio:.2f}× time; {d['pooled']} of "
          f"{len(d['delegated'])} launches claimed a prewarmed runtime")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

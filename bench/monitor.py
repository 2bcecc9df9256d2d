"""Host CPU cost of the monitor: sampling 1, 5 and 20 process trees at the default interval.

Stand-ins, not real runtimes: each "app" is a Python process (holding 20 MiB) with three
``sleep`` children — the shape of a runtime tree (python + QtWebEngineProcess children).
Real WebEngine processes have more memory mappings, so reading their PSS costs somewhat more.

For each tree count the monitor ticks (sample every tree + evaluate budgets) once per
``sample_interval_s`` (the policy default) for ``--seconds``, and reports the host process's
CPU time spent per tick and as a share of one core. The "per-app scan" column times the naive
alternative (``psutil.Process(root).children(recursive=True)`` per app, i.e. one /proc scan
per app instead of one per round) on the same trees, to show why the monitor shares one scan.

    .venv/bin/python bench/monitor.py [--seconds 10]

Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import psutil

from superapp.monitor import Monitor
from superapp.policy import HostPolicy

_STANDIN = """
import subprocess, sys
kids = [subprocess.Popen(["sleep", "3600"]) for _ in range(3)]
data = b"x" * (20 * 1024 * 1024)
print("ready", flush=True)
sys.stdin.read()
for k in kids:
    k.kill()
    k.wait()
"""


def spawn(n: int) -> list[subprocess.Popen[str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _STANDIN],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return procs


def stop(procs: list[subprocess.Popen[str]]) -> None:
    for p in procs:
        assert p.stdin is not None and p.stdout is not None
        p.stdin.close()
        p.wait(timeout=30)
        p.stdout.close()


def naive_tick(roots: list[int]) -> None:
    for root in roots:
        parent = psutil.Process(root)
        for proc in [parent, *parent.children(recursive=True)]:
            with proc.oneshot():
                proc.cpu_times()
                proc.num_threads()
                proc.memory_full_info()


def measure(n: int, seconds: float) -> dict[str, float]:
    procs = spawn(n)
    try:
        policy = HostPolicy().monitor
        monitor = Monitor(policy)
        for i, p in enumerate(procs):
            monitor.watch(f"com.bench.app{i}", p.pid, f"App {i}")
        monitor.tick()  # baseline sample
        ticks: list[float] = []
        stop_at = time.monotonic() + seconds
        wait = threading.Event()
        cpu0, wall0 = time.process_time(), time.monotonic()
        while time.monotonic() < stop_at:
            wait.wait(policy.sample_interval_s)
            t0 = time.process_time()
            for app_id in list(monitor.latest()):
                monitor.heartbeat(app_id)
            monitor.tick()
            ticks.append(time.process_time() - t0)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        naive: list[float] = []
        roots = [p.pid for p in procs]
        for _ in range(10):
            t0 = time.process_time()
            naive_tick(roots)
            naive.append(time.process_time() - t0)
        processes = sum(s.processes for s in monitor.latest().values())
    finally:
        stop(procs)
    return {
        "trees": n,
        "processes": processes,
        "tick_ms": 1000 * statistics.median(ticks),
        "tick_p95_ms": 1000 * sorted(ticks)[int(0.95 * (len(ticks) - 1))],
        "core_pct": 100 * cpu / wall,
        "naive_ms": 1000 * statistics.median(naive),
        "ticks": len(ticks),
        "interval": policy.sample_interval_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    system_procs = len(psutil.pids())
    rows = [measure(n, args.seconds) for n in (1, 5, 20)]
    print(
        f"### Monitor sampling cost ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs shared, Linux {platform.release()}, Python "
        f"{platform.python_version()}, psutil {psutil.__version__}, ~{system_procs} processes "
        "on the machine)\n"
    )
    print(
        "Stand-in apps: a Python process (20 MiB) + 3 `sleep` children each — not real "
        "WebEngine runtimes. Default interval "
        f"{rows[0]['interval']:g} s; {args.seconds:g} s per row.\n"
    )
    print(
        "| trees | processes sampled | CPU per tick (median) | p95 | host CPU (% of one core) "
        "| per-app scan instead (median) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['trees']:.0f} | {r['processes']:.0f} | {r['tick_ms']:.1f} ms | "
            f"{r['tick_p95_ms']:.1f} ms | {r['core_pct']:.2f} % | {r['naive_ms']:.1f} ms |"
        )


if __name__ == "__main__":
    main()

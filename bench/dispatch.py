"""Dispatcher-only latency and throughput (no window, no transport).

    .venv/bin/python bench/dispatch.py [--calls N]

Measures ``Dispatcher.dispatch(text)`` in-process for representative paths, the cost of the
per-call grants read (SQLite) against an invalidation probe (``PRAGMA data_version``), and
how fast a flood is refused. Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bridge.limits import RATE_CLASSES, BridgeLimits, RateLimit
from bridge.testing import TestBridge, open_test_bridge, request
from superapp.core.consent import FixedAnswerBroker
from superapp.state.grants import GrantStore
from superapp.state.profile import Profile, save_profile

DECLARED = {"notifications", "user:readProfile", "clipboard:write", "storage"}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return p50 * 1e6, p99 * 1e6


def _latency(fn: Callable[[], object], calls: int) -> tuple[float, float, float]:
    for _ in range(min(200, calls)):
        fn()
    samples = []
    start = time.perf_counter()
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    p50, p99 = _percentiles(samples)
    return p50, p99, calls / total


def _threads(fn: Callable[[], object], calls: int, workers: int) -> float:
    per = calls // workers
    barrier = threading.Barrier(workers + 1)

    def run() -> None:
        barrier.wait()
        for _ in range(per):
            fn()

    pool = [threading.Thread(target=run) for _ in range(workers)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return per * workers / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    n = args.calls
    home = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    generous = RateLimit(burst=10**9, per_second=10**9)
    limits = BridgeLimits(rates=dict.fromkeys(RATE_CLASSES, generous))
    b: TestBridge = open_test_bridge(
        home,
        "com.example.bench",
        declared=DECLARED,
        broker=FixedAnswerBroker.allow(),
        limits=limits,
    )
    save_profile(b.paths, Profile(display_name="Ada", email="ada@example.org"))
    b.call("user.profile")  # "allow always", persisted
    d = b.dispatcher
    cases: list[tuple[str, str]] = [
        ("app.info (no capability)", request("app.info")),
        (
            "notifications.show (capability, grants read)",
            request("notifications.show", {"title": "t"}),
        ),
        ("clipboard.writeText 1 KiB", request("clipboard.writeText", {"text": "x" * 1024})),
        ("user.profile (consent granted, file read, audited)", request("user.profile")),
        (
            "storage.set 100 B (encrypted SQLite write)",
            request("storage.set", {"key": "k", "value": "v" * 100}),
        ),
        ("storage.get 100 B", request("storage.get", {"key": "k"})),
        ("clipboard.writeText 512 KiB", request("clipboard.writeText", {"text": "x" * 512 * 1024})),
        ("unknown api (denied, audit throttled)", request("no.such.api")),
        ("not JSON (denied, audit throttled)", "{garbage"),
    ]
    rows = []
    for label, raw in cases:
        calls = n if "512 KiB" not in label else max(50, n // 50)
        p50, p99, rate = _latency(functools.partial(d.dispatch, raw), calls)
        rows.append((label, calls, p50, p99, rate))

    info = request("app.info")
    mt = _threads(lambda: d.dispatch(info), n * 2, 4)

    # Grants read: what the dispatcher does per call, against a cheap-invalidation probe.
    with GrantStore(b.paths.registry_db) as store:
        g50, g99, _ = _latency(
            lambda: store.effective("com.example.bench", "notifications", DECLARED), n
        )
    probe = sqlite3.connect(b.paths.registry_db)
    v50, v99, _ = _latency(lambda: probe.execute("PRAGMA data_version").fetchone(), n)
    probe.close()

    # Flood: a fresh app with default limits refusing 10,000 calls.
    flood = open_test_bridge(home, "com.example.flood")
    start = time.perf_counter()
    refused = sum(1 for _ in range(10_000) if '"RATE_LIMITED"' in flood.dispatcher.dispatch(info))
    flood_s = time.perf_counter() - start
    flood.close()
    b.close()

    print(
        f"Dispatcher only, in-process; {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}.\n"
    )
    print("| path | calls | p50 µs | p99 µs | calls/s (1 thread) |")
    print("|---|---:|---:|---:|---:|")
    for label, calls, p50, p99, rate in rows:
        print(f"| {label} | {calls} | {p50:.1f} | {p99:.1f} | {rate:,.0f} |")
    print(f"| app.info, 4 threads | {n * 2} | | | {mt:,.0f} |")
    print()
    print("| grants check | p50 µs | p99 µs |")
    print("|---|---:|---:|")
    print(f"| SQLite SELECT per call (what ships) | {g50:.1f} | {g99:.1f} |")
    print(f"| PRAGMA data_version probe (invalidation alternative) | {v50:.1f} | {v99:.1f} |")
    print()
    print(
        f"Flood: 10,000 app.info calls with default limits → {refused:,} RATE_LIMITED "
        f"in {flood_s * 1000:.0f} ms ({10_000 / flood_s:,.0f} refusals/s)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

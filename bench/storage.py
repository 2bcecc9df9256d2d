"""storage.* and files.* through the real dispatcher, with and without encryption.

    .venv/bin/python bench/storage.py [--calls N]

Each variant is a fresh app under one temporary SUPERAPP_HOME, called through
``Dispatcher.dispatch(text)`` (size check, decode, table lookup, pydantic validation, grants
read, rate limit, handler, encode; no window, no transport). Rate limits are raised so they
do not cap the figures. "plain" stores the same rows with the benchmark-only PlainCodec; the
difference is the cost of AES-256-GCM + HMAC key ids. SQLite runs in WAL mode with
synchronous=FULL (the default: every acknowledged write is fsynced) unless the row says
NORMAL. Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bridge.capabilities.storage import RESOURCE_KEY
from bridge.limits import RATE_CLASSES, BridgeLimits, RateLimit
from bridge.testing import TestBridge, open_test_bridge, request
from superapp.consent import PolicyBroker
from superapp.storage import StorageLimits, open_store

LIMITS = StorageLimits(quota_bytes=1 << 30, max_keys=1_000_000)


def _run(fn: Callable[[int], str], calls: int) -> tuple[float, float, float]:
    """p50 and p99 latency in µs, and calls per second, over ``calls`` sequential calls."""
    samples = []
    start = time.perf_counter()
    for i in range(calls):
        t0 = time.perf_counter()
        reply = fn(i)
        samples.append(time.perf_counter() - t0)
        if '"ok":true' not in reply.replace(" ", ""):
            raise SystemExit(f"call failed: {reply[:200]}")
    total = time.perf_counter() - start
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1e6, p99 * 1e6, calls / total


def _bridge(home: Path, app_id: str, *, encrypt: bool, sync: str) -> TestBridge:
    generous = RateLimit(burst=10**9, per_second=10**9)
    limits = BridgeLimits(rates=dict.fromkeys(RATE_CLASSES, generous))
    b = open_test_bridge(
        home, app_id, declared={"storage", "files"}, broker=PolicyBroker.allow(), limits=limits
    )
    store_limits = LIMITS.model_copy(update={"synchronous": sync})
    b.ctx.set_resource(
        RESOURCE_KEY, open_store(b.paths, app_id, limits=store_limits, encrypt=encrypt)
    )
    return b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    calls = args.calls
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        variants = [
            ("AES-GCM", True, "FULL"),
            ("plain", False, "FULL"),
            ("AES-GCM", True, "NORMAL"),
            ("plain", False, "NORMAL"),
        ]
        for n, (label, encrypt, sync) in enumerate(variants):
            b = _bridge(home, f"com.example.bench{n}", encrypt=encrypt, sync=sync)
            d = b.dispatcher.dispatch
            for size in (100, 4096):
                value = "v" * (size - 2)  # JSON string of exactly `size` bytes
                set_req = [
                    request("storage.set", {"key": f"k{i}", "value": value}, i + 1)
                    for i in range(calls)
                ]
                get_req = [request("storage.get", {"key": f"k{i}"}, i + 1) for i in range(calls)]
                s = _run(lambda i, r=set_req, d=d: d(r[i]), calls)  # type: ignore[misc]
                g = _run(lambda i, r=get_req, d=d: d(r[i]), calls)  # type: ignore[misc]
                rows.append(
                    f"| storage.set {size} B | {label} | {sync} | {s[0]:,.0f} | "
                    f"{s[1]:,.0f} | {s[2]:,.0f} |"
                )
                rows.append(
                    f"| storage.get {size} B | {label} | {sync} | {g[0]:,.0f} | "
                    f"{g[1]:,.0f} | {g[2]:,.0f} |"
                )
                d(request("storage.clear", {}))
            blob = base64.b64encode(os.urandom(64 * 1024)).decode()
            fcalls = max(calls // 10, 20)
            w_req = [
                request(
                    "files.write", {"path": f"f/{i}.bin", "data": blob, "encoding": "base64"}, i + 1
                )
                for i in range(fcalls)
            ]
            r_req = [
                request("files.read", {"path": f"f/{i}.bin", "encoding": "base64"}, i + 1)
                for i in range(fcalls)
            ]
            w = _run(lambda i, r=w_req, d=d: d(r[i]), fcalls)  # type: ignore[misc]
            r = _run(lambda i, r=r_req, d=d: d(r[i]), fcalls)  # type: ignore[misc]
            rows.append(
                f"| files.write 64 KiB | {label} | {sync} | {w[0]:,.0f} | {w[1]:,.0f} | "
                f"{w[2]:,.0f} |"
            )
            rows.append(
                f"| files.read 64 KiB | {label} | {sync} | {r[0]:,.0f} | {r[1]:,.0f} | "
                f"{r[2]:,.0f} |"
            )
            b.ctx.close()
            b.close()
    print(
        f"### Storage through the dispatcher ({time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{calls:,} calls per storage row, sequential)\n"
    )
    print("| call | values | sync | p50 µs | p99 µs | calls/s |")
    print("|---|---|---|---:|---:|---:|")
    print(
        "\n".join(sorted(rows, key=lambda r: (r.split("|")[1], r.split("|")[3], r.split("|")[2])))
    )


if __name__ == "__main__":
    main()

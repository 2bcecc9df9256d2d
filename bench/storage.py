"""storage.* and files.* through the real dispatcher, with and without encryption.

    .venv/bin/python bench/storage.py [--calls N]

Four apps under one temporary SUPERAPP_HOME, each called through ``Dispatcher.dispatch(text)``
(size check, decode, table lookup, pydantic validation, grants read, rate limit, handler,
encode; no window, no transport): AES-GCM vs plain (the benchmark-only PlainCodec: same rows,
no AES-GCM and no HMAC key ids) × SQLite synchronous FULL (the default: every acknowledged
write is fsynced) vs NORMAL. The four run interleaved in chunks of 50 calls, so background
load on a shared machine falls on all of them alike. Rate limits are raised so they do not cap
the figures. calls/s is calls divided by the time spent in them (sequential, one thread).
Prints a Markdown table for bench/RESULTS.md.
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
from superapp.core.consent import FixedAnswerBroker
from superapp.storage import StorageLimits, open_store

LIMITS = StorageLimits(quota_bytes=1 << 30, max_keys=1_000_000, max_files=100_000)
VARIANTS = [("AES-GCM", True, "FULL"), ("plain", False, "FULL"),
            ("AES-GCM", True, "NORMAL"), ("plain", False, "NORMAL")]  # fmt: skip
CHUNK = 50


def _bridge(home: Path, app_id: str, *, encrypt: bool, sync: str) -> TestBridge:
    generous = RateLimit(burst=10**9, per_second=10**9)
    limits = BridgeLimits(rates=dict.fromkeys(RATE_CLASSES, generous))
    b = open_test_bridge(
        home, app_id, declared={"storage", "files"}, broker=FixedAnswerBroker.allow(), limits=limits
    )
    store_limits = LIMITS.model_copy(update={"synchronous": sync})
    b.ctx.set_resource(
        RESOURCE_KEY, open_store(b.paths, app_id, limits=store_limits, encrypt=encrypt)
    )
    return b


def _ops(calls: int) -> list[tuple[str, int, Callable[[int], str]]]:
    """(label, number of calls, request text for call i)."""
    small, big = "v" * 98, "v" * 4094  # JSON strings of exactly 100 and 4,096 bytes
    blob = base64.b64encode(os.urandom(64 * 1024)).decode()
    files = max(calls // 10, CHUNK)

    def put(prefix: str, value: str) -> Callable[[int], str]:
        return lambda i: request("storage.set", {"key": f"{prefix}{i}", "value": value})

    def get(prefix: str) -> Callable[[int], str]:
        return lambda i: request("storage.get", {"key": f"{prefix}{i}"})

    return [
        ("storage.set 100 B", calls, put("s", small)),
        ("storage.get 100 B", calls, get("s")),
        ("storage.set 4 KiB", calls, put("b", big)),
        ("storage.get 4 KiB", calls, get("b")),
        ("files.write 64 KiB", files, lambda i: request(
            "files.write", {"path": f"f/{i}.bin", "data": blob, "encoding": "base64"})),
        ("files.read 64 KiB", files, lambda i: request(
            "files.read", {"path": f"f/{i}.bin", "encoding": "base64"})),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        bridges = [
            _bridge(home, f"com.example.bench{n}", encrypt=enc, sync=sync)
            for n, (_, enc, sync) in enumerate(VARIANTS)
        ]
        for label, count, make in _ops(args.calls):
            texts = [make(i) for i in range(count)]
            samples: list[list[float]] = [[] for _ in VARIANTS]
            for start in range(0, count, CHUNK):
                for v, b in enumerate(bridges):
                    dispatch, out = b.dispatcher.dispatch, samples[v]
                    for text in texts[start : start + CHUNK]:
                        t0 = time.perf_counter()
                        reply = dispatch(text)
                        out.append(time.perf_counter() - t0)
                        if '"ok":true' not in reply:
                            raise SystemExit(f"{label} failed: {reply[:200]}")
            for (name, _, sync), s in zip(VARIANTS, samples, strict=True):
                ordered = sorted(s)
                p50 = statistics.median(ordered) * 1e6
                p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e6
                rate = len(s) / sum(s)
                rows.append(
                    f"| {label} | {name} | {sync} | {p50:,.0f} | {p99:,.0f} | {rate:,.0f} |"
                )
        for b in bridges:
            b.ctx.close()
            b.close()
    print(
        f"### Storage through the dispatcher ({time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {args.calls:,} calls per "
        f"storage row, {max(args.calls // 10, CHUNK):,} per files row; sequential, interleaved)\n"
    )
    print("| call | values | sync | p50 µs | p99 µs | calls/s |")
    print("|---|---|---|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

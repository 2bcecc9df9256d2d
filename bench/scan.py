"""Scan throughput of the bundle analyser over real front-end libraries, single core.

    .venv/bin/python bench/scan.py [--repeat N]

Fetches the libraries of the false-positive test with ``npm pack`` (cached under
``.cache/npm-libs/``), then times ``scan_files`` on each library's main build in this one
process (one thread; tree-sitter parsing is single-threaded). Reports the median of N runs
per library, the tree-sitter parse alone for comparison, and MB/s (10^6 bytes per CPU second;
CPU time because the machine is shared and wall time mostly measures others' load).
Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tree_sitter import Parser  # noqa: E402

from superapp.analysis import scan_files  # noqa: E402
from superapp.analysis._js import JS_LANGUAGE  # noqa: E402
from superapp.testing._npm import LIBRARIES, fetch_all, read_files  # noqa: E402


def _median_time(fn: object, repeat: int) -> float:
    """Median CPU time of this process (the machine is shared, so wall time mostly
    measures other people's load; CPU time measures the analyser's own work)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()  # type: ignore[operator]
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    fetch_all()
    wall_start = time.perf_counter()
    parser = Parser(JS_LANGUAGE)
    rows = []
    total_bytes = 0
    total_scan = 0.0
    total_parse = 0.0
    for lib in LIBRARIES:
        files = read_files(lib)
        size = sum(len(v) for v in files.values())
        scan_s = _median_time(lambda files=files: scan_files(files), args.repeat)
        parse_s = _median_time(
            lambda files=files: [parser.parse(v) for v in files.values()], args.repeat
        )
        blocking = len(scan_files(files).blocking)
        rows.append((lib.spec, size, scan_s, parse_s, blocking))
        total_bytes += size
        total_scan += scan_s
        total_parse += parse_s

    wall = time.perf_counter() - wall_start
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Scan throughput, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"Python {platform.python_version()}, pinned to 1 core, CPU time (median of "
        f"{args.repeat}); bench wall time {wall:.0f} s at 1-min load average {load:.1f}\n"
    )
    print(
        "| library | size (kB) | scan CPU (ms) | scan MB/s | parse only CPU (ms) | block findings |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for spec, size, scan_s, parse_s, blocking in rows:
        print(
            f"| {spec} | {size / 1e3:.0f} | {scan_s * 1e3:.0f} | {size / 1e6 / scan_s:.2f} "
            f"| {parse_s * 1e3:.0f} | {blocking} |"
        )
    print(
        f"| **all {len(rows)}** | {total_bytes / 1e3:.0f} | {total_scan * 1e3:.0f} "
        f"| **{total_bytes / 1e6 / total_scan:.2f}** | {total_parse * 1e3:.0f} | "
        f"{sum(r[4] for r in rows)} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Helpers shared by the benchmarks: a private X server, process-tree memory, summaries."""

from __future__ import annotations

import platform
import statistics
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import psutil


@contextmanager
def xvfb() -> Iterator[str]:
    """Run the benchmark on its own Xvfb; yields the DISPLAY value. The one harness's
    (``superapp.testing.start_display``), shared with the test suite and its pytest plugin."""
    from superapp.testing import start_display

    with start_display() as display:
        yield display


def tree_pss_mb(pid: int) -> float:
    """PSS of a process and all its descendants, in MB (RSS where PSS is unavailable)."""
    total = 0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    for proc in procs:
        try:
            info = proc.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total / 1e6


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    return (
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.node() or 'host'}: "
        f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, Xvfb, no GPU"
    )

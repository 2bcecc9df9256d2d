"""Helpers shared by the benchmarks: a private X server, tree memory (the package's), summaries."""

from __future__ import annotations

import platform
import statistics
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import psutil

from superapp.monitor import tree_pss_mb

__all__ = ["machine", "median", "pct", "tree_pss_mb", "xvfb"]


@contextmanager
def xvfb() -> Iterator[str]:
    """Run the benchmark on its own Xvfb; yields the DISPLAY value. The one harness's
    (``superapp.testing.start_display``), shared with the test suite and its pytest plugin."""
    from superapp.testing import start_display

    with start_display() as display:
        yield display


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

"""The year-ahead run really runs a year ahead.

``packaging/setup.sh test`` runs the date-sensitive suites a second time with the wall clock of
every Python process (the tests, and the hosts and runtimes they start) moved 365 days forward by
time-machine (tests/timetravel/sitecustomize.py), and sets ``SUPERAPP_TEST_CLOCK_AHEAD_DAYS``.
The kernel's own account of the time (boot time plus uptime, from /proc, which time-machine does
not touch) tells whether the clock the code reads has really moved.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

_DAY = 86_400.0


def _kernel_now() -> float:
    stat = Path("/proc/stat").read_text(encoding="ascii").splitlines()
    btime = next(int(line.split()[1]) for line in stat if line.startswith("btime "))
    return btime + float(Path("/proc/uptime").read_text(encoding="ascii").split()[0])


def _days_ahead(seconds_now: float) -> float:
    return (seconds_now - _kernel_now()) / _DAY


@pytest.mark.skipif(not Path("/proc/uptime").exists(), reason="needs Linux's /proc")
def test_clock_is_moved_exactly_when_the_run_asks_for_it() -> None:
    want = float(os.environ.get("SUPERAPP_TEST_CLOCK_AHEAD_DAYS", "0"))
    # One second of slack for btime's rounding; a real travel is hundreds of days.
    assert abs(_days_ahead(time.time()) - want) < 2 / 24
    child = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert abs(_days_ahead(float(child.stdout)) - want) < 2 / 24

"""Moves this interpreter's clock ahead for the year-ahead run of the date-sensitive suites.

``packaging/setup.sh test`` puts this folder first on ``PYTHONPATH`` and sets
``SUPERAPP_TEST_CLOCK_AHEAD_DAYS``; Python imports ``sitecustomize`` at start-up, so the test
process and every host and runtime it starts (they inherit the variables) read a wall clock that
many days ahead, through time-machine. Monotonic clocks and sleeps are untouched, so timeouts
still mean what they say. Without the variable this module does nothing.

libfaketime was tried first (it would move native code's clock too) and rejected: with the
monotonic clock moved, Chromium's browser process hung before its first renderer; with it left
alone, every Python ``time.sleep`` failed with EINVAL.
"""

import os

_days = os.environ.get("SUPERAPP_TEST_CLOCK_AHEAD_DAYS", "")
if _days:
    from datetime import UTC, datetime, timedelta

    import time_machine

    _travel = time_machine.travel(datetime.now(UTC) + timedelta(days=float(_days)), tick=True)
    _travel.start()

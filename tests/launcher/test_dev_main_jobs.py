"""``MainJobs``: the main thread of a host with no launcher window (``superapp run``/``dev``).

The kernel hands a process-wide signal (``kill``, Ctrl+C) to any thread that does not block it;
CPython then runs only the C-level handler there, and the Python handler waits for the main
thread to run bytecode. A main thread asleep in a lock (``Queue.get``) never did: ``superapp dev``
ignored SIGTERM 4 times in 88 runs (tests/docs/test_tutorial.py). These tests give the signal
to another thread while the main thread is asleep in ``run_until``, the moment that hung.
"""

from __future__ import annotations

import platform
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from superapp.launcher._dev_prompt import MainJobs

#: The futex syscall's number: a futex wait with a timeout is a thread waiting for the GIL
#: (CPython's timed condition wait), not asleep in ``run_until``.
_FUTEX = {"x86_64": 202, "aarch64": 98}.get(platform.machine())

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or _FUTEX is None,
    reason="reads the main thread's syscall from /proc (Linux x86_64/aarch64)",
)

#: A bound for a test that would otherwise hang forever, not a timing: the handler runs as
#: soon as the main thread wakes; without the fix it never does.
_FAILSAFE_S = 60.0


@pytest.fixture()
def jobs() -> Iterator[MainJobs]:
    j = MainJobs()
    yield j
    j.close()


def _asleep_untimed(tid: int) -> bool:
    """``tid`` sleeps in a syscall that no timeout ends (poll, or a lock's futex without one)."""
    with open(f"/proc/self/task/{tid}/syscall") as f:
        fields = f.read().split()
    if not fields or fields[0] in ("running", "-1"):
        return False
    nr, timeout = int(fields[0]), int(fields[4], 16)
    return nr != _FUTEX or timeout == 0


def _wait_until_main_asleep(main_tid: int) -> None:
    # Twice, with this thread's GIL released in between (the read): a main thread that was
    # only waiting for the GIL has run on by then.
    seen = 0
    while seen < 2:
        seen = seen + 1 if _asleep_untimed(main_tid) else 0


def test_signal_taken_by_another_thread_still_runs_its_handler(jobs: MainJobs) -> None:
    finished = threading.Event()
    handled_on: list[threading.Thread] = []

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        handled_on.append(threading.current_thread())
        finished.set()

    before_fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before_fd)
    outcome: list[bool] = []

    def deliver() -> None:
        try:
            assert jobs.call(lambda: "ran", "not run") == "ran"  # the main thread is in the loop
            _wait_until_main_asleep(threading.main_thread().native_id or 0)
            # To this thread: its C-level handler runs here, the Python one is the main's.
            signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)
            outcome.append(finished.wait(_FAILSAFE_S))
        finally:
            finished.set()  # never leave the main thread waiting

    previous = signal.signal(signal.SIGUSR1, on_signal)
    try:
        sender = threading.Thread(target=deliver, name="deliver", daemon=True)
        sender.start()
        jobs.run_until(finished)
        sender.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert outcome == [True], "the signal's handler never ran: the main thread slept on"
    assert handled_on == [threading.main_thread()]
    # The process's wakeup fd is what it was before (run_until sets its own while it runs).
    assert signal.set_wakeup_fd(before_fd) == before_fd


def test_jobs_run_on_the_main_thread_until_finished(jobs: MainJobs) -> None:
    finished = threading.Event()
    ran_on: list[str] = []

    def on_main() -> str:
        ran_on.append(threading.current_thread().name)
        return "ok"

    def worker() -> None:
        answers = [jobs.call(on_main, ""), jobs.call(lambda: "second", "")]
        ran_on.extend(answers)
        finished.set()

    threading.Thread(target=worker, daemon=True).start()
    jobs.run_until(finished)
    assert ran_on == [threading.main_thread().name, "ok", "second"]


def test_a_job_handed_over_after_the_loop_ended_gets_its_default(jobs: MainJobs) -> None:
    finished = threading.Event()
    finished.set()
    jobs.run_until(finished)
    jobs.close()
    # No main thread runs it any more, and the closed wake-up socket raises nothing.
    assert jobs.call(lambda: "ran", "deny", timeout_s=0.0) == "deny"

"""A runtime started from a short-lived thread outlives that thread.

A runtime asks for ``PR_SET_PDEATHSIG`` (``superapp.runtime._main``); Linux sends it when the
*thread* that forked the runtime ends. The launcher runs each call in a thread of its own and
the host's control socket serves each request in one, so ``start_runtime_process`` forks from
one long-lived thread (``superapp._spawn.on_spawner_thread``). These tests fork a stand-in
runtime that asks for the same signal, from a thread that then ends, and check the child is
still alive once the kernel has seen that thread exit.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from superapp._spawn import on_spawner_thread, start_runtime_process

# Asks for SIGKILL at its parent thread's death (as the runtime does), writes ``armed`` in the
# folder after ``--slot-dir`` (start_runtime_process gives it one), then waits for ``go`` there
# and answers ``alive``: a child the signal killed never answers.
_CHILD = """
import ctypes, os, signal, sys, time
ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)
folder = sys.argv[sys.argv.index("--slot-dir") + 1]
open(os.path.join(folder, "armed"), "w").close()
while not os.path.exists(os.path.join(folder, "go")):
    time.sleep(0.01)
open(os.path.join(folder, "alive"), "w").close()
"""


def _wait_for(what: str, check: object) -> None:
    """Until ``check()`` is true (an event this test causes), failing after 10 s."""
    deadline = time.monotonic() + 10.0
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.005)


def _fork_then_end_thread(fork: object) -> tuple[subprocess.Popen[bytes], Path]:
    """Run ``fork()`` (-> process, folder) in a thread that waits for the child to arm its
    signal and then ends; return once the kernel has finished that thread."""
    box: list[object] = []

    def go() -> None:
        box.append(threading.get_native_id())
        proc, folder = fork()  # type: ignore[operator]
        _wait_for(
            "the child to arm", lambda: (folder / "armed").exists() or proc.poll() is not None
        )
        box.extend([proc, folder])

    t = threading.Thread(target=go)
    t.start()
    t.join()
    tid, proc, folder = box
    assert isinstance(tid, int) and isinstance(proc, subprocess.Popen)
    assert isinstance(folder, Path)
    _wait_for(f"thread {tid} to exit", lambda: not Path(f"/proc/self/task/{tid}").exists())
    (folder / "go").touch()
    _wait_for(
        "the child to answer or die", lambda: (folder / "alive").exists() or proc.poll() is not None
    )
    return proc, folder


def test_runtime_started_from_a_short_lived_thread_survives_it(tmp_path: Path) -> None:
    def fork() -> tuple[subprocess.Popen[bytes], Path]:
        proc, sock, slot = start_runtime_process(tmp_path, [sys.executable, "-c", _CHILD])
        sock.close()
        return proc, slot

    proc, folder = _fork_then_end_thread(fork)
    try:
        assert (folder / "alive").exists(), (
            f"the runtime died with its launching thread: {proc.poll()}"
        )
    finally:
        proc.kill()
        proc.wait()


def test_a_child_forked_from_the_ending_thread_itself_is_killed(tmp_path: Path) -> None:
    """The control: forked directly from the thread that ends, the same child is SIGKILLed."""

    def fork() -> tuple[subprocess.Popen[bytes], Path]:
        cmd = [sys.executable, "-c", _CHILD, "--slot-dir", str(tmp_path)]
        return subprocess.Popen(cmd), tmp_path

    proc, folder = _fork_then_end_thread(fork)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert not (folder / "alive").exists()


def test_spawner_runs_jobs_on_one_thread_and_hands_back_errors() -> None:
    names = {on_spawner_thread(lambda: threading.current_thread().name) for _ in range(3)}
    assert names == {"spawner"}
    # A job that spawns from inside the spawner does not wait on itself.
    assert on_spawner_thread(lambda: on_spawner_thread(lambda: 7)) == 7

    def boom() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        on_spawner_thread(boom)

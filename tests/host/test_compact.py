"""Compaction of a stopped tree (``superapp.host._compact``), against real processes and the
real kernel: which mappings are asked for, that the kernel takes the request for a stopped
process, and that a refusal (no ``CAP_SYS_NICE``) is a no-op with its reason, never an error.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import subprocess
import sys
from typing import Any

import psutil
import pytest

from superapp.host._compact import _MAX_REFUSED, _advise, compact_tree, file_ranges
from superapp.testing import wait_until

MAPS = """\
55d0a0000000-55d0a0021000 r--p 00000000 08:01 1234 /usr/bin/python3.11
55d0a0021000-55d0a0100000 r-xp 00021000 08:01 1234 /usr/bin/python3.11
55d0a1000000-55d0a2000000 rw-p 00000000 00:00 0 [heap]
7f0000000000-7f0000100000 rw-p 00000000 00:00 0
7f0000100000-7f0000200000 rw-s 00000000 00:01 77 /dev/shm/.org.chromium.Chromium.x
7f0000200000-7f0000300000 rw-s 00000000 00:01 78 /memfd:shared (deleted)
7f0000300000-7f0000400000 r--p 00000000 08:01 99 /tmp/gone.so (deleted)
7f0000400000-7f0000500000 rw-s 00000000 08:01 100 /home/u/.superapp/engine/db
7f0000500000-7f0000600000 r-xp 00000000 08:01 101 /usr/lib/libQt6WebEngineCore.so.6
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]
"""


def test_only_private_file_mappings_are_asked_for() -> None:
    ranges = file_ranges(MAPS)
    assert ranges == [
        (0x55D0A0000000, 0x21000),
        (0x55D0A0021000, 0xDF000),
        (0x7F0000500000, 0x100000),
    ]  # heap, anonymous, stack, shared memory, deleted and shared-writable files left out


def _stopped_child(*prefix: str) -> subprocess.Popen[bytes]:
    """A Python child, stopped once it runs (after ``prefix``, e.g. setpriv, has exec'd it)."""
    code = "import sys, time; print('ready', flush=True); time.sleep(600)"
    proc = subprocess.Popen([*prefix, sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    os.kill(proc.pid, signal.SIGSTOP)  # the kernel stops it a moment after kill returns
    wait_until(lambda: psutil.Process(proc.pid).status() == psutil.STATUS_STOPPED, what="stopped")
    return proc


def _end(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait(30)
    if proc.stdout is not None:
        proc.stdout.close()


def test_a_stopped_process_is_compacted() -> None:
    proc = _stopped_child()
    try:
        done = compact_tree([proc.pid])
    finally:
        _end(proc)
    if done.refused:  # an unprivileged host: the kernel's EPERM, said so
        assert "CAP_SYS_NICE" in done.skipped[0]
        return
    assert done.processes == 1 and done.advised_bytes > 0 and not done.skipped


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to drop to an unprivileged user")  # fmt: skip
def test_without_cap_sys_nice_compaction_is_a_noop_with_its_reason() -> None:
    # Both processes run as "nobody": the target is the caller's own, but process_madvise
    # still wants CAP_SYS_NICE, which an unprivileged host does not have.
    nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    proc = _stopped_child(*nobody)
    code = (
        "import sys; from superapp.host._compact import compact_tree; "
        f"d = compact_tree([{proc.pid}]); print(d.refused, d.processes, '|'.join(d.skipped))"
    )
    try:
        out = subprocess.run(
            [*nobody, sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONPATH=os.getcwd()),
        )  # fmt: skip
    finally:
        _end(proc)
    assert out.returncode == 0, out.stderr
    refused, processes, reasons = out.stdout.strip().split(" ", 2)
    assert (refused, processes) == ("True", "0")
    assert "EPERM" in reasons and "CAP_SYS_NICE" in reasons


def test_a_process_that_is_gone_is_skipped_silently() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    done = compact_tree([proc.pid])
    assert (done.processes, done.advised_bytes, done.skipped) == (0, 0, [])


def test_a_running_process_is_left_alone() -> None:
    # Only a stopped tree is compacted: a process that runs (resumed meanwhile, or a pid
    # reused by a stranger since the tree was listed) is not asked for.
    proc = _stopped_child()
    os.kill(proc.pid, signal.SIGCONT)
    wait_until(lambda: psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED, what="running")
    try:
        done = compact_tree([proc.pid])
    finally:
        _end(proc)
    assert (done.processes, done.advised_bytes, done.skipped) == (0, 0, [])


class _FakeLibc:
    """``syscall(process_madvise, …)`` as the kernel answers a vector: ranges in order, stop
    at the first refused one and return the bytes before it (an error if there are none)."""

    def __init__(self, refuse: dict[int, int]) -> None:
        self.refuse = refuse  # range start → errno
        self.calls: list[list[int]] = []

    def syscall(self, _nr: int, _pidfd: int, iov: Any, count: int, *_rest: int) -> int:
        starts = [int(iov[k].iov_base) for k in range(count)]
        self.calls.append(starts)
        done = 0
        for k in range(count):
            err = self.refuse.get(starts[k])
            if err is not None:
                if done == 0:
                    ctypes.set_errno(err)
                    return -1
                return done
            done += int(iov[k].iov_len)
        return done


def test_a_refused_range_does_not_cut_off_the_rest() -> None:
    # A locked mapping (EINVAL) and one unmapped meanwhile (ENOMEM), first and in the middle
    # of the vector: every other range is still asked for; EINVAL is reported, ENOMEM is not.
    ranges = [(0x1000 * k, 0x1000) for k in range(1, 7)]
    libc = _FakeLibc({0x1000: errno.ENOMEM, 0x4000: errno.EINVAL})
    done, err = _advise(libc, 3, ranges)  # type: ignore[arg-type]
    assert (done, err) == (4 * 0x1000, errno.EINVAL)
    assert [call[0] for call in libc.calls] == [0x1000, 0x2000, 0x4000, 0x5000]


def test_eperm_ends_the_process_at_once() -> None:
    libc = _FakeLibc({0x1000: errno.EPERM})
    done, err = _advise(libc, 3, [(0x1000, 0x1000), (0x2000, 0x1000)])  # type: ignore[arg-type]
    assert (done, err) == (0, errno.EPERM) and len(libc.calls) == 1


def test_a_kernel_refusing_every_range_is_given_up_on() -> None:
    ranges = [(0x1000 * k, 0x1000) for k in range(1, 500)]
    libc = _FakeLibc({start: errno.EINVAL for start, _ in ranges})
    done, err = _advise(libc, 3, ranges)  # type: ignore[arg-type]
    assert (done, err) == (0, errno.EINVAL) and len(libc.calls) == _MAX_REFUSED + 1

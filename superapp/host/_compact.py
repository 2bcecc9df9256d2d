"""Compaction of a stopped app's tree: ask the kernel to drop its file-backed pages.

A suspended app's tree is stopped (``_signals``); it will not touch its memory until it is
resumed. Its file-backed pages (the mapped Qt WebEngine and Python libraries, ~55 % of a
running tree's PSS, bench/RESULTS.md) can be read back from disk when it is, so the host asks
the kernel to reclaim them now, as Android's CachedAppOptimizer compacts frozen cached apps:
``process_madvise(pidfd, ranges, MADV_PAGEOUT)`` over each process's file-backed mappings,
and, when the machine has swap (``anon``), over its private anonymous memory too (Android's
"full compaction"); which ranges is ``superapp.core.pageout.pageout_ranges``. Without swap
the kernel cannot page anonymous memory out, so it is not asked for.

What the kernel does with the request is its own business and this module only reports it:

- ``process_madvise`` needs Linux 5.10 and ``CAP_SYS_NICE`` over the target (it answers
  ``EPERM`` otherwise: the usual case for an unprivileged host), and ``ENOSYS`` on old kernels;
- a page another process maps too (a library page shared with another app's runtime, or with
  the tree's own zygote children) is skipped by the kernel, and a dirty file page is written
  back first.

Each refusal makes this a no-op with a reason (``Compaction.skipped``), which the caller
audits; it never raises. Nothing here reads page-controlled data: the ranges come from
``/proc/<pid>/maps`` of the app's own (stopped) processes.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from superapp.confine._peer import proc_status
from superapp.core.pageout import MADV_PAGEOUT, pageout_ranges

__all__ = ["Compaction", "compact_tree", "file_ranges"]

_SYS_PIDFD_OPEN = 434  # the same number on every architecture (new-style syscall table)
_SYS_PROCESS_MADVISE = 440
#: Ranges per process_madvise call (the kernel's UIO_MAXIOV).
_IOV_MAX = 1024
#: Refused ranges after which a process is given up (a kernel refusing every range, not a few
#: locked mappings: asking on range by range would cost a call each).
_MAX_REFUSED = 64


class _IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


@dataclass
class Compaction:
    """What one compaction did: processes asked, bytes advised, and why any were not."""

    processes: int = 0
    advised_bytes: int = 0
    #: Reasons the kernel refused (``"pid 123: EPERM (…)"``); empty when all went through.
    skipped: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """True when no process could be compacted at all (a no-op, with ``skipped`` saying why)."""
        return self.processes == 0 and bool(self.skipped)


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def file_ranges(maps_text: str) -> list[tuple[int, int]]:
    """The file-backed mappings of one ``/proc/<pid>/maps``: (start, length) each.

    Anonymous memory, the heap and stacks, ``[vdso]``-like entries, and shared memory
    (``/dev/shm``, ``memfd:``; not reclaimable without swap) are left out."""
    return pageout_ranges(maps_text, anon=False)


def _stopped(pid: int) -> bool:
    """``pid`` is stopped (``T``): read after its pidfd is open, so a pid reused since the tree
    was listed (a running stranger) is left alone."""
    try:
        return proc_status(pid).get("State", "")[:1] in ("T", "t")
    except OSError:
        return False


def _advise(libc: ctypes.CDLL, pidfd: int, ranges: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """process_madvise over ``ranges`` in chunks; (bytes advised, errno of the first refusal).

    The kernel stops a vector at the first range it refuses and returns the bytes of the ranges
    before it (an error if there were none); asking goes on after that range, so one locked
    or vanished mapping (``EINVAL``, ``ENOMEM``) does not cut off the rest. ``EPERM`` and
    ``ENOSYS`` hold for the whole process: asking ends. (Before, a refusal ended the process's
    compaction; harmless while only file-backed ranges were asked for.)"""
    done, first, i, refused = 0, 0, 0, 0
    while i < len(ranges):
        chunk = ranges[i : i + _IOV_MAX]
        iov = (_IoVec * len(chunk))(*(_IoVec(start, length) for start, length in chunk))
        res = int(libc.syscall(_SYS_PROCESS_MADVISE, pidfd, iov, len(chunk), MADV_PAGEOUT, 0))
        if res < 0:
            err = ctypes.get_errno()
            if err in (errno.EPERM, errno.ENOSYS):
                return done, err
            if err != errno.ENOMEM:  # a mapping that went away meanwhile is no refusal
                first = first or err
            refused += 1
            if refused > _MAX_REFUSED:
                return done, first
            i += 1  # the first range of the chunk was refused: go on after it
            continue
        done += res
        covered = 0
        for _start, length in chunk:
            if res < length:
                break
            res -= length
            covered += 1
        # Stopped at range ``covered`` (the kernel does not say why): the next call starts
        # with it, is refused at once with its errno, and goes on after it.
        i += covered
    return done, first


def compact_tree(pids: Iterable[int], *, anon: bool = False) -> Compaction:
    """Ask the kernel to page out the file-backed pages of ``pids`` (and their private
    anonymous memory with ``anon``: only on a machine with swap); only those still stopped
    once their pidfd is open are asked for (see ``_stopped``)."""
    result = Compaction()
    libc = _libc()
    if libc is None:
        result.skipped.append("no C library to make system calls with")
        return result
    libc.syscall.restype = ctypes.c_long
    for pid in pids:
        try:
            with open(f"/proc/{pid}/maps", encoding="ascii", errors="replace") as f:
                ranges = pageout_ranges(f.read(), anon=anon)
        except PermissionError:
            result.skipped.append(f"pid {pid}: EACCES (its mappings are not readable to the host)")
            continue
        except OSError:
            continue  # it exited
        pidfd = int(libc.syscall(_SYS_PIDFD_OPEN, pid, 0))
        if pidfd < 0:
            err = ctypes.get_errno()
            if err != errno.ESRCH:
                result.skipped.append(f"pid {pid}: {errno.errorcode.get(err, err)} (pidfd_open)")
            continue
        try:
            if not _stopped(pid):
                continue  # resumed meanwhile, or not the process listed: nothing to compact
            done, err = _advise(libc, pidfd, ranges)
        finally:
            os.close(pidfd)
        if err:
            name = errno.errorcode.get(err, str(err))
            why = {
                errno.EPERM: "the host lacks CAP_SYS_NICE over it",
                errno.ENOSYS: "the kernel has no process_madvise (Linux < 5.10)",
                errno.EINVAL: "a range the kernel does not page out (locked), or no "
                "MADV_PAGEOUT from another process",
            }.get(err, "refused by the kernel")
            result.skipped.append(f"pid {pid}: {name} ({why})")
            if err in (errno.ENOSYS, errno.EINVAL, errno.EPERM) and done == 0:
                continue
        result.processes += 1
        result.advised_bytes += done
    return result

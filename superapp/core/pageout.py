"""Which memory of a suspended app may leave RAM, and paging out the calling process's own.

Used by both ends of a suspend (issue 16, docs/lifecycle.md):

- the host (``superapp.host._compact``) asks the kernel, with ``process_madvise``, to page out
  the ranges of the app's *stopped* processes (needs ``CAP_SYS_NICE``);
- the runtime (``superapp.runtime.engine._lifecycle``) pages out its *own* ranges with plain
  ``madvise(MADV_PAGEOUT)``, which needs no capability, just before the host stops it: the
  part of compaction an unprivileged host still gets.

What may be paged out (``pageout_ranges``):

- private file-backed mappings (libraries, their data): always; the kernel reads them back
  from their files when the process touches them again;
- private anonymous memory (heaps, thread stacks, ``[anon:…]``): only when the machine has
  swap (``swap_total``), as Android's CachedAppOptimizer "full compaction" of frozen apps;
  without swap the kernel cannot reclaim it and the request would only cost a walk.

Never asked for: shared mappings (``s``: Chromium's shared memory between its processes,
shared-writable files; the kernel skips pages mapped by more than one process anyway),
``PROT_NONE`` reservations (V8's cage, guard pages: nothing resident, gigabytes to walk),
devices (``/dev/…``: the GPU), deleted files, and the kernel's special mappings (``[vdso]``,
``[vvar]``, ``[vsyscall]``: not pageable; the first refusal would end the request) and the
main ``[stack]`` (touched again at once on resume). Locked pages (``mlock``) are skipped by the
kernel. Nothing here is a secrecy decision: any page may be swapped under memory pressure at
any time; this only does it earlier (SECURITY.md, "suspended memory and swap").

Everything here is stdlib only (``superapp.core`` is the bottom layer) and never raises:
refusals come back as an errno name.
"""

from __future__ import annotations

import ctypes
import errno
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "MADV_PAGEOUT",
    "PageOut",
    "SelfPageOut",
    "page_out_mode",
    "page_out_self",
    "pageout_ranges",
    "swap_total",
]

MADV_PAGEOUT = 21
#: What a suspend pages out: nothing, file-backed mappings, or those and anonymous memory.
PageOut = Literal["none", "file", "all"]
#: Anonymous mappings the kernel names that are plain process memory.
_ANON_NAMES = ("[heap]", "[anon:")
_MEMINFO = Path("/proc/meminfo")


def swap_total(meminfo: Path = _MEMINFO) -> int:
    """The machine's swap in bytes (``SwapTotal`` of ``/proc/meminfo``); 0 when it has none
    or the file cannot be read. The seam tests replace to fake a machine with swap."""
    try:
        text = meminfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name == "SwapTotal":
            parts = rest.split()
            if parts and parts[0].isdigit():
                return int(parts[0]) * 1024  # the kernel writes kB (KiB)
    return 0


def page_out_mode(swap_bytes: int) -> PageOut:
    """What a suspend asks to page out on a machine with ``swap_bytes`` of swap."""
    return "all" if swap_bytes > 0 else "file"


def pageout_ranges(maps_text: str, *, anon: bool) -> list[tuple[int, int]]:
    """(start, length) of each mapping of one ``/proc/<pid>/maps`` that may be paged out:
    private file-backed ones, and private anonymous ones when ``anon`` (see the module)."""
    out: list[tuple[int, int]] = []
    for line in maps_text.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 5:
            continue
        perms, inode = parts[1], parts[4]
        path = parts[5].strip() if len(parts) == 6 else ""
        if len(perms) < 4 or perms[3] != "p" or perms[:3] == "---":
            continue  # shared (shmem-like), or a PROT_NONE reservation
        if inode != "0":
            if not path.startswith("/") or path.startswith(("/dev/", "/memfd:")):
                continue
            if path.endswith(" (deleted)"):
                continue
        elif not anon or (path and not path.startswith(_ANON_NAMES)):
            continue  # anonymous without swap, or [stack], [vdso], [vvar], [vsyscall], ...
        start_s, _, end_s = parts[0].partition("-")
        try:
            start, end = int(start_s, 16), int(end_s, 16)
        except ValueError:
            continue
        if end > start:
            out.append((start, end - start))
    return out


@dataclass(frozen=True)
class SelfPageOut:
    """What ``page_out_self`` did: the mode, bytes and ranges advised, the first refusal."""

    mode: PageOut
    advised_bytes: int
    ranges: int
    #: errno name of the first range the kernel refused ("" when none was).
    refused: str = ""


Madvise = Callable[[int, int, int], int]


def _libc_madvise() -> tuple[Madvise, Callable[[], int]] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.madvise
    except (OSError, AttributeError):
        return None
    fn.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    fn.restype = ctypes.c_int
    return (lambda start, length, advice: int(fn(start, length, advice))), ctypes.get_errno


def _advise(
    ranges: Sequence[tuple[int, int]], madvise: Madvise, get_errno: Callable[[], int]
) -> tuple[int, str]:
    done, refused = 0, ""
    for start, length in ranges:
        if madvise(start, length, MADV_PAGEOUT) == 0:
            done += length
            continue
        err = get_errno()
        if err == errno.ENOMEM:  # unmapped meanwhile (a thread freed it): nothing to page out
            continue
        # EINVAL is one locked (mlock) or PFN-mapped range as well as a kernel without
        # MADV_PAGEOUT (< 5.4): the other ranges are still asked for (a few µs each).
        refused = refused or errno.errorcode.get(err, "EOTHER")
    return done, refused


def page_out_self(mode: PageOut, maps: Path = Path("/proc/self/maps")) -> SelfPageOut:
    """Ask the kernel to page out this process's own ``mode`` ranges (no capability needed:
    a process may advise its own memory). Returns what was advised; never raises.

    Threads of this process keep running meanwhile and may touch some pages back in; the
    caller's process is about to be stopped by its host, so that is little."""
    if mode == "none":
        return SelfPageOut(mode, 0, 0)
    try:
        text = maps.read_text(encoding="ascii", errors="replace")
    except OSError as err:
        return SelfPageOut(mode, 0, 0, errno.errorcode.get(err.errno or 0, "EOTHER"))
    ranges = pageout_ranges(text, anon=mode == "all")
    libc = _libc_madvise()
    if libc is None:
        return SelfPageOut(mode, 0, len(ranges), "ENOSYS")
    done, refused = _advise(ranges, *libc)
    return SelfPageOut(mode, done, len(ranges), refused)

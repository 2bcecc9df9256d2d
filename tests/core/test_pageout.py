"""Which memory a suspend pages out (``superapp.core.pageout``): anonymous memory only on a
machine with swap, never shared memory, reservations or the kernel's special mappings; the
swap seam; and a process paging out its own memory for real, without any capability."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from superapp.core.pageout import (
    MADV_PAGEOUT,
    _advise,
    page_out_mode,
    page_out_self,
    pageout_ranges,
    swap_total,
)

MAPS = """\
55d0a0000000-55d0a0021000 r--p 00000000 08:01 1234 /usr/bin/python3.11
55d0a1000000-55d0a2000000 rw-p 00000000 00:00 0 [heap]
7f0000000000-7f0000100000 rw-p 00000000 00:00 0
7f0000100000-7f0000200000 rw-s 00000000 00:01 77 /dev/shm/.org.chromium.Chromium.x
7f0000200000-7f0000300000 rw-s 00000000 00:01 78 /memfd:shared (deleted)
7f0000300000-7f0000400000 r--p 00000000 08:01 99 /tmp/gone.so (deleted)
7f0000400000-7f0000500000 rw-s 00000000 08:01 100 /home/u/.superapp/engine/db
7f0000500000-7f0000600000 r-xp 00000000 08:01 101 /usr/lib/libQt6WebEngineCore.so.6
7f0000600000-7f0000700000 ---p 00000000 08:01 101 /usr/lib/libQt6WebEngineCore.so.6
7f0000700000-7f8000700000 ---p 00000000 00:00 0
7f8000700000-7f8000800000 rw-p 00000000 00:00 0 [anon:partition_alloc]
7f8000800000-7f8000900000 rw-p 00000000 00:06 5 /dev/dri/renderD128
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]
7ffc00100000-7ffc00102000 r--p 00000000 00:00 0 [vvar]
7ffc00102000-7ffc00104000 r-xp 00000000 00:00 0 [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]
"""
FILE = [(0x55D0A0000000, 0x21000), (0x7F0000500000, 0x100000)]
ANON = [(0x55D0A1000000, 0x1000000), (0x7F0000000000, 0x100000), (0x7F8000700000, 0x100000)]


def test_without_swap_only_private_file_mappings_are_paged_out() -> None:
    # Heap, anonymous and named-anonymous memory, stack, shared memory, deleted files,
    # shared-writable files, PROT_NONE reservations, devices and [vdso]/[vvar] left out.
    assert pageout_ranges(MAPS, anon=False) == FILE


def test_with_swap_private_anonymous_memory_is_paged_out_too() -> None:
    # Still never shared memory, the 2 GiB PROT_NONE reservation (V8's cage), [stack],
    # [vvar], [vdso] or [vsyscall] (the kernel refuses those, ending the request).
    assert sorted(pageout_ranges(MAPS, anon=True)) == sorted(FILE + ANON)


def test_a_malformed_maps_line_is_skipped() -> None:
    text = "zz-yy rw-p 00000000 00:00 0\n7f00-7e00 rw-p 0 00:00 0\nshort line\n"
    assert pageout_ranges(text, anon=True) == []


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("MemTotal: 100 kB\nSwapTotal:       2097148 kB\nSwapFree: 1 kB\n", 2097148 * 1024),
        ("SwapTotal:             0 kB\n", 0),
        ("SwapTotal: lots\n", 0),
        ("MemTotal: 100 kB\n", 0),
    ],
    ids=["swap", "no-swap", "garbage", "missing"],
)
def test_swap_total_reads_meminfo(tmp_path: Path, text: str, want: int) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(text, encoding="ascii")
    assert swap_total(meminfo) == want


def test_swap_total_of_an_unreadable_file_is_none(tmp_path: Path) -> None:
    assert swap_total(tmp_path / "absent") == 0


def test_anonymous_memory_is_asked_for_only_with_swap() -> None:
    assert page_out_mode(0) == "file"
    assert page_out_mode(4096) == "all"


def test_nothing_is_asked_for_with_mode_none() -> None:
    done = page_out_self("none")
    assert (done.advised_bytes, done.ranges, done.refused) == (0, 0, "")


def test_unreadable_maps_is_a_reason_not_an_error(tmp_path: Path) -> None:
    done = page_out_self("file", maps=tmp_path / "absent")
    assert (done.advised_bytes, done.refused) == (0, "ENOENT")


@pytest.mark.parametrize("mode", ["file", "all"])
def test_a_process_pages_out_its_own_memory_without_privilege(mode: str) -> None:
    # In a child that runs as "nobody" when the test runs as root: madvise(MADV_PAGEOUT) of
    # one's own memory needs no capability (process_madvise of another process does).
    prefix: list[str] = []
    if os.geteuid() == 0 and os.path.exists("/usr/bin/setpriv"):
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    code = (
        "from superapp.core.pageout import page_out_self; "
        f"d = page_out_self({mode!r}); print(d.mode, d.advised_bytes, d.ranges, d.refused or '-')"
    )
    out = subprocess.run(
        [*prefix, sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    got_mode, advised, ranges, refused = out.stdout.split()
    assert (got_mode, refused) == (mode, "-")
    assert int(advised) > 0 and int(ranges) > 0


def test_the_first_refusal_is_reported_and_a_vanished_range_skipped() -> None:
    calls: list[tuple[int, int, int]] = []
    errs = iter([errno.ENOMEM, errno.EINVAL])

    def madvise(start: int, length: int, advice: int) -> int:
        calls.append((start, length, advice))
        return 0 if start in (1, 5) else -1

    last = [0]

    def get_errno() -> int:
        last[0] = next(errs)
        return last[0]

    done, refused = _advise([(1, 10), (2, 20), (3, 30), (5, 50)], madvise, get_errno)
    # (2) vanished meanwhile: skipped silently; (3) refused with EINVAL (a locked range, or no
    # MADV_PAGEOUT): reported, and the rest is still asked for.
    assert (done, refused) == (60, "EINVAL")
    assert [c[0] for c in calls] == [1, 2, 3, 5]
    assert {c[2] for c in calls} == {MADV_PAGEOUT}

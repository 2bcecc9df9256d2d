"""Memory of a whole process tree, as one number (the pool's budget and the benches use it).

PSS counts a page shared by N processes as 1/N to each, so summing a tree's PSS does not
count Chromium's shared zygote pages once per helper the way summing RSS would. Where PSS is
unavailable (no smaps) or not permitted, RSS stands in for that process.
"""

from __future__ import annotations

import contextlib

import psutil

__all__ = ["tree_pss_mb"]


def tree_pss_mb(pid: int) -> float:
    """PSS of ``pid`` and all its descendants, in MB (10**6 bytes); 0.0 if ``pid`` is gone.

    A descendant that exits or denies access while being read is left out of the sum.
    """
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            info = proc.memory_full_info()
            total += getattr(info, "pss", info.rss)
    return total / 1e6

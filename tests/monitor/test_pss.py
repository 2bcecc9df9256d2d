"""tree_pss_mb: one implementation for the pool's idle budget and the benches."""

from __future__ import annotations

import os
import subprocess
import sys

from superapp.monitor import tree_pss_mb

# The child touches 64 MB (bytearray zero-fills every page), says so, then waits for stdin.
_CHILD = "import sys; b = bytearray(64 * 2**20); print('ready', flush=True); sys.stdin.read()"


def test_tree_pss_counts_descendants() -> None:
    alone = tree_pss_mb(os.getpid())
    with subprocess.Popen(
        [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            # The child's private 64 MB is counted in this process's tree (minus noise).
            assert tree_pss_mb(os.getpid()) - alone > 50
            assert tree_pss_mb(child.pid) > 50
        finally:
            child.kill()


def test_tree_pss_of_a_gone_process_is_zero() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert tree_pss_mb(proc.pid) == 0.0

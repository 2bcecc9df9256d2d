"""Stopping and continuing one app's whole process tree (SIGSTOP / SIGCONT).

A runtime runs in its own process group; its engine children (zygote, renderers, GPU
process) normally stay in it, but a child that made a group or session of its own would not
get a group signal, so the tree found through ``/proc`` is signalled as well. A stopped
process uses no CPU at all, which freezing the page alone does not give: the engine's
browser process keeps its timers (measured, bench/RESULTS.md).

While a tree is stopped, the host's ``LIFELINE`` (``_lifeline``) knows its group, so that it
is killed rather than left stopped forever if the host dies.

One lock per host (``TREE_LOCK``) orders every stop and continue of every tree, so the
throttle's duty cycle cannot stop a tree the supervisor has just continued to end it.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import psutil

from superapp.host._lifeline import Lifeline

__all__ = ["LIFELINE", "TREE_LOCK", "continue_tree", "stop_tree", "tree_pids"]

#: Held around every stop/continue, and by the supervisor while it marks an app as ending.
TREE_LOCK = threading.RLock()
#: One per host process: kills the groups of stopped trees if the host dies.
LIFELINE = Lifeline()


def tree_pids(root: int) -> list[int]:
    """``root`` and its descendants (a process that exits meanwhile is left out)."""
    try:
        proc = psutil.Process(root)
        return [root, *(p.pid for p in proc.children(recursive=True))]
    except psutil.Error:
        return []


def _signal_tree(root: int, sig: signal.Signals) -> None:
    try:
        os.killpg(root, sig)  # the runtime is its group's leader (start_new_session)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in tree_pids(root):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


#: How long ``stop_tree(wait=True)`` waits for the kernel to have stopped every process.
STOP_WAIT_S = 2.0


def _all_stopped(root: int) -> bool:
    for pid in tree_pids(root):
        try:
            if psutil.Process(pid).status() not in (psutil.STATUS_STOPPED, psutil.STATUS_ZOMBIE):
                return False
        except psutil.Error:
            pass
    return True


def stop_tree(root: int, *, wait: bool = False) -> None:
    """SIGSTOP the process group and tree of ``root`` (no CPU until ``continue_tree``).

    ``kill`` returns before the target has stopped; with ``wait`` this returns once every
    process of the tree is stopped (bounded by ``STOP_WAIT_S``), so a state reported after it
    ("suspended") is already true."""
    with TREE_LOCK:
        LIFELINE.watch(root)
        _signal_tree(root, signal.SIGSTOP)
        deadline = time.monotonic() + STOP_WAIT_S
        while wait and not _all_stopped(root) and time.monotonic() < deadline:
            time.sleep(0.002)


def continue_tree(root: int) -> None:
    """SIGCONT the group and tree of ``root``; a stopped process must be continued before
    it can act on a terminate request or a SIGTERM (SIGKILL works either way)."""
    with TREE_LOCK:
        _signal_tree(root, signal.SIGCONT)

"""``ProcessTreeSampler``: one ``/proc`` scan per round for all watched process trees."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import psutil

from superapp.monitor._types import Clock

__all__ = ["ProcessTreeSampler", "TreeSample"]


@dataclass(frozen=True)
class TreeSample:
    """One process tree at one moment. ``alive`` is False when the root is gone."""

    pid: int
    alive: bool
    processes: int = 0
    cpu_seconds: float = 0.0
    cpu_percent: float = 0.0
    memory_bytes: int = 0
    #: "pss" when every process's PSS could be read, else "rss" (an over-estimate).
    memory_kind: Literal["pss", "rss"] = "pss"
    threads: int = 0


def _ppid_map() -> dict[int, int]:
    """pid → parent pid for every process, in one pass."""
    if not sys.platform.startswith("linux"):
        return {p.pid: p.info.get("ppid") or 0 for p in psutil.process_iter(["ppid"])}
    # Reading /proc/<pid>/stat directly is ~5x cheaper than psutil.process_iter, which
    # builds a Process object per pid; this scan is the fixed cost of every round.
    out: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue  # exited
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after
        # the last ')'.
        fields = data[data.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            out[int(name)] = int(fields[1])
    return out


class ProcessTreeSampler:
    """Samples process trees by root pid. Not thread-safe; one caller (the monitor)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._procs: dict[int, psutil.Process] = {}
        #: (pid, create_time) → (cpu seconds, clock) at the last sample.
        self._cpu: dict[tuple[int, float], tuple[float, float]] = {}

    def _process(self, pid: int) -> psutil.Process | None:
        proc = self._procs.get(pid)
        try:
            if proc is None or not proc.is_running():  # is_running also checks pid reuse
                proc = psutil.Process(pid)
                self._procs[pid] = proc
        except psutil.Error:
            self._procs.pop(pid, None)
            return None
        return proc

    def sample(self, roots: Mapping[str, int]) -> dict[str, TreeSample]:
        """One sample of each tree rooted at ``roots[key]``."""
        children: dict[int, list[int]] = {}
        for pid, ppid in _ppid_map().items():
            if ppid:
                children.setdefault(ppid, []).append(pid)
        now = self._clock()
        seen: set[tuple[int, float]] = set()
        live_pids: set[int] = set()
        out: dict[str, TreeSample] = {}
        for key, root in roots.items():
            pids, stack = [], [root]
            while stack:
                pid = stack.pop()
                if pid in pids:
                    continue
                pids.append(pid)
                stack.extend(children.get(pid, ()))
            out[key] = self._tree(root, pids, now, seen, live_pids)
        for gone in set(self._cpu) - seen:
            del self._cpu[gone]
        for pid in set(self._procs) - live_pids:
            del self._procs[pid]
        return out

    def _tree(
        self,
        root: int,
        pids: list[int],
        now: float,
        seen: set[tuple[int, float]],
        live_pids: set[int],
    ) -> TreeSample:
        count = threads = memory = 0
        cpu_total = cpu_delta = 0.0
        elapsed = 0.0
        kind: Literal["pss", "rss"] = "pss"
        root_alive = False
        for pid in pids:
            proc = self._process(pid)
            if proc is None:
                continue
            try:
                with proc.oneshot():
                    if proc.status() == psutil.STATUS_ZOMBIE:
                        continue
                    times = proc.cpu_times()
                    cpu = float(times.user + times.system)
                    n_threads = int(proc.num_threads())
                    try:
                        mem = int(proc.memory_full_info().pss)
                    except (psutil.AccessDenied, AttributeError):
                        mem = int(proc.memory_info().rss)
                        kind = "rss"
                    ident = (pid, proc.create_time())
            except psutil.Error:
                continue  # exited between the scan and now
            root_alive = root_alive or pid == root
            live_pids.add(pid)
            seen.add(ident)
            previous = self._cpu.get(ident)
            if previous is not None:
                cpu_delta += max(0.0, cpu - previous[0])
                elapsed = max(elapsed, now - previous[1])
            self._cpu[ident] = (cpu, now)
            count += 1
            threads += n_threads
            memory += mem
            cpu_total += cpu
        if not root_alive:
            return TreeSample(pid=root, alive=False)
        percent = 100.0 * cpu_delta / elapsed if elapsed > 0 else 0.0
        return TreeSample(root, True, count, cpu_total, percent, memory, kind, threads)


# --- runtime counters ------------------------------------------------------------------


#: Counter keys read from one runtime report (a runtime is host code, but bounded anyway).

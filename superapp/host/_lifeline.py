"""No orphans while apps are stopped: a tiny process that outlives the host by a moment.

A runtime dies with its host (parent-death signal, even when stopped), and when it runs it
ends its own engine children when the control channel closes. A *stopped* tree cannot: its
zygote, renderers and GPU process stay stopped forever once the host and the runtime are gone
(measured: three ``QtWebEngineProcess`` left after ``kill -9`` of the host). So while any
app's tree is stopped (suspended, discarded, throttled), the host keeps one lifeline process:
it reads process-group ids from a pipe whose only write end is the host's; when the pipe
reaches end-of-file — the host exited, however it died — it SIGKILLs every group it was told
about (SIGKILL ends stopped processes) and exits.

The lifeline is started with ``-I -S`` and imports only ``os``, ``signal`` and ``sys``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import IO

__all__ = ["Lifeline"]

_CODE = """
import os, signal, sys
groups = set()
for line in sys.stdin:
    op, _, pgid = line.partition(" ")
    if pgid.strip().isdigit():
        (groups.add if op == "+" else groups.discard)(int(pgid))
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""


class Lifeline:
    """The host's end: ``watch``/``forget`` process groups. Started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._watched: set[int] = set()

    def _pipe(self) -> IO[str] | None:
        if self._proc is None or self._proc.poll() is not None:
            try:
                self._proc = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed code)
                    [sys.executable, "-I", "-S", "-c", _CODE],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    text=True,
                    # Its own session: a signal to the host's group (Ctrl-C) leaves it alone;
                    # it ends when the host is gone, not before.
                    start_new_session=True,
                )
            except OSError:
                return None
            if self._proc.stdin is None:  # not with stdin=PIPE; for the type checker
                return None
            for pgid in self._watched:
                self._proc.stdin.write(f"+ {pgid}\n")
        return self._proc.stdin

    def _send(self, line: str) -> None:
        pipe = self._pipe()
        if pipe is None:
            return
        try:
            pipe.write(line)
            pipe.flush()
        except (OSError, ValueError):
            pass

    def watch(self, pgid: int) -> None:
        with self._lock:
            if pgid not in self._watched:
                self._watched.add(pgid)
                self._send(f"+ {pgid}\n")

    def forget(self, pgid: int) -> None:
        with self._lock:
            if pgid in self._watched:
                self._watched.discard(pgid)
                self._send(f"- {pgid}\n")

    def close(self) -> None:
        """Let the lifeline go (the host is shutting down and has stopped its apps)."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None and proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
                proc.wait(10)

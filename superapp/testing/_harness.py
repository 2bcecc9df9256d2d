"""Real windows under Xvfb, driven over CDP: the pieces end-to-end tests are built from.

Waiting is always on an event or a state (a line on a process's stdout, a port accepting, a
DOM condition) with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

DEFAULT_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _free_display() -> str:
    """A display number with no socket (path or abstract) and no lock: abstract names are
    shared by every process in the network namespace, so a number another X server holds
    there would route our windows to it. Started away from 0, where other servers start."""
    with open("/proc/net/unix", encoding="ascii", errors="replace") as f:
        taken = f.read()
    base = 100 + os.getpid() % 400
    sockets = "/tmp/.X11-unix"  # noqa: S108 (X's own fixed folder, only looked at)
    for n in range(base, base + 400):
        if (
            f"{sockets}/X{n}\n" not in taken
            and not os.path.exists(f"{sockets}/X{n}")
            and not os.path.exists(f"/tmp/.X{n}-lock")  # noqa: S108 (X's lock, looked at)
        ):
            return f":{n}"
    raise RuntimeError("no free X display number")


class Xvfb:
    """A private X server for this test session; Xvfb tells us its display via -displayfd."""

    def __init__(self) -> None:
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            [
                "Xvfb",
                _free_display(),
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
                # No abstract socket: a confined runtime may not reach abstract sockets
                # (superapp.confine), and libxcb would try it first and not fall back.
                "-nolisten",
                "local",
            ],
            pass_fds=[write_fd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as f:
            number = f.readline().strip()  # blocks until the server is ready
        if not number:
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def start_display() -> Iterator[str]:
    """A private X server for the session (Xvfb), or Qt's offscreen platform without one."""
    if shutil.which("Xvfb") is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        yield "offscreen"
        return
    server = Xvfb()
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = server.display
    try:
        yield server.display
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous


@dataclass
class HostProcess:
    """A ``superapp`` command running in its own process group, stdout read line by line."""

    args: Sequence[str]
    env: dict[str, str]
    #: The program: by default this interpreter's ``-m superapp``; an installed wheel's or a
    #: frozen build's ``superapp`` executable for the packaging tests.
    command: Sequence[str] = field(default_factory=lambda: [sys.executable, "-m", "superapp"])
    proc: subprocess.Popen[str] = field(init=False)
    #: Working folder (default: the caller's); packaging tests run from outside the repository.
    cwd: Path | None = None
    #: A pipe to the host's standard input (``proc.stdin``): the plugin answers consent
    #: dialogs through it (``SUPERAPP_TEST_CONSENT_ANSWER=stdin``).
    stdin: bool = False
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        self.proc = subprocess.Popen(
            [*self.command, *self.args],
            env=self.env,
            stdin=subprocess.PIPE if self.stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            cwd=self.cwd,
        )
        self.stderr_lines: list[str] = []
        self._pumps = [
            threading.Thread(target=self._pump, daemon=True),
            threading.Thread(target=self._pump_err, daemon=True),
        ]
        for pump in self._pumps:
            pump.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    def wait_for_line(self, pattern: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        rx = re.compile(pattern)
        for line in self.lines:
            if rx.search(line):
                return line
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"no line matching {pattern!r}; "
                    f"stdout={self.lines} stderr={self.stderr_lines[-20:]}"
                )
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if item is None:
                raise RuntimeError(
                    f"process exited ({self.proc.wait()}) before {pattern!r}; "
                    f"stdout={self.lines} stderr={self.stderr_lines[-20:]}"
                )
            if rx.search(item):
                return item

    def descendants(self) -> list[psutil.Process]:
        try:
            children: list[psutil.Process] = psutil.Process(self.proc.pid).children(recursive=True)
            return children
        except psutil.NoSuchProcess:
            return []

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM the host (it stops its apps), then make sure its whole group is gone."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        with_group_gone(self.proc.pid)
        # The app's runtime shares these pipes; they reach EOF once its group is gone.
        for pump in self._pumps:
            pump.join(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return self.proc.returncode


def with_group_gone(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait_gone(pids: Sequence[int], timeout: float = 20.0) -> list[int]:
    """Wait until none of ``pids`` is alive; return the ones still alive at the deadline."""
    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    _gone, alive = psutil.wait_procs(procs, timeout=timeout)
    return [p.pid for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def connect(playwright: Any, port: int) -> tuple[Any, Any]:
    """Attach to a window's engine over CDP; returns (browser, page)."""
    browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}", no_defaults=True)
    page = browser.contexts[0].pages[0]
    return browser, page

"""Start-up of a runtime process, in order:

1. Tie this process's life to the host: parent-death signal, and a reader on the control
   channel that kills this process group when the channel closes (host gone, any way).
2. The rest is ``_start.Startup``. First, still one thread, the OS lockdown (``_confine``):
   a cold runtime reads ``bind`` (sent at once after spawn), verifies its app and confines
   itself to that app's plan; a pooled one (``--pooled``) confines itself to its slot folder.
   Then the control reader, the egress proxy (refusing everything until bound) and the engine;
   a pooled runtime is bound when claimed, and the window is built for the app.

The command line names no app: identity arrives in ``bind`` (issue 16; ``superapp.host._pool``).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import faulthandler
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from superapp import protocol as control
from superapp.audit import InertLogFormatter
from superapp.core.paths import Paths

__all__ = ["main"]

_log = logging.getLogger("superapp.runtime")
_PR_SET_PDEATHSIG = 1


def _die_with_parent(expected_ppid: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the control channel still ends us
        pass
    if os.getppid() != expected_ppid:  # the parent died before prctl took effect
        os._exit(70)


def _kill_own_group() -> None:
    """End this process and its engine children (renderer, zygote, GPU process)."""
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(71)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m superapp.runtime")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--slot-dir", type=Path, required=True, help="this runtime's scratch")
    parser.add_argument("--remote-debugging-port", type=int, default=None)
    parser.add_argument(
        "--pooled", action="store_true", help="prewarmed: bound later, generic lockdown"
    )
    parser.add_argument(
        "--connect-ports", default=None, metavar="P,Q",
        help="with --pooled: narrow the generic plan's TCP ports (a cold launch's own)",
    )  # fmt: skip
    parser.add_argument(
        "--engine-profile", type=Path, default=None, help="persistent profile (cold launch only)"
    )
    # Developer mode only (refused unless the bind names a folder): live reload, the
    # in-process inspector, and local origins for a mock API.
    parser.add_argument("--watch", action="store_true")
    parser.add_argument("--devtools", action="store_true")
    parser.add_argument("--allow-local", action="append", default=[], metavar="URL")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    # The host asks a runtime that started but never loaded for its threads' Python stacks
    # (``superapp.host._resumewatch``): code locations only, to standard error.
    with contextlib.suppress(RuntimeError, ValueError, OSError):  # no usable stderr: no dump
        faulthandler.register(signal.SIGUSR2, all_threads=True)
    args = _parse(argv)
    _die_with_parent(args.parent_pid)
    # Owner-only for everything this process and its engine create: the engine profile
    # (LevelDB, caches, cookies), SQLite journals and lock files. Chromium and SQLite create
    # many files with modes of their own choosing; the umask caps them all.
    os.umask(0o077)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(InertLogFormatter(logging.BASIC_FORMAT))  # log lines may quote a page
    logging.basicConfig(level=os.environ.get("SUPERAPP_LOG", "WARNING"), handlers=[handler])
    channel = control.Channel.from_fd(args.control_fd)
    from superapp.net import parse_allow_local

    try:
        local = tuple(parse_allow_local(text) for text in args.allow_local)
    except ValueError as err:
        channel.send(control.Notice(level="error", message=f"cannot start: {err}"))
        return 2
    from superapp.runtime._start import Startup

    startup = Startup(
        Paths.from_env(), channel, slot=args.slot_dir, cdp_port=args.remote_debugging_port,
        engine_profile=args.engine_profile, started=started, exit_group=_kill_own_group,
        dev_switches=(args.watch, args.devtools, local),
    )  # fmt: skip
    # Landlock binds only the calling thread: the lockdown comes before any thread starts.
    ports = None
    if args.connect_ports is not None:
        ports = tuple(int(p) for p in args.connect_ports.split(",") if p)
    code = startup.lock_down(pooled=args.pooled, ports=ports)
    if code is not None:
        return code

    def reader() -> None:
        channel.serve(startup.on_message)
        # The host is gone (or broke the protocol): no orphans.
        _kill_own_group()

    threading.Thread(target=reader, name="control", daemon=True).start()
    return startup.run()

"""Start-up of a runtime process, in order:

1. Tie this process's life to the host: parent-death signal, and a reader on the control
   channel that kills this process group when the channel closes (host gone, any way).
2. Load the app: installed → re-verify the installed bundle against the trust store and hold
   the verified files in memory; developer mode → read the folder (signature skipped, nothing
   else).
3. Prepare the engine's environment (profile, caches, sandbox, CDP opt-in) — before Qt loads.
3b. Lock the process down (``_confine``, ``superapp.confine``): still one thread.
4. Start the app's egress proxy and prove it live; if it is not, refuse to run (exit 3): the
   engine is only ever started forced through it (``superapp.net._egress``).
5. Build the one window, the one door and the guards (``_qt``), and run until it closes.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from superapp import protocol as control
from superapp.audit import InertLogFormatter
from superapp.core.paths import Paths, is_valid_app_id

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
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--dev", type=Path, default=None, help="developer mode: serve this folder")
    parser.add_argument("--remote-debugging-port", type=int, default=None)
    # Developer mode only (ignored without --dev): live reload and the in-process inspector.
    parser.add_argument("--watch", action="store_true")
    parser.add_argument("--devtools", action="store_true")
    parser.add_argument("--allow-local", action="append", default=[], metavar="URL")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    _die_with_parent(args.parent_pid)
    # Owner-only for everything this process and its engine create under the app's folder:
    # the engine profile (LevelDB, caches, cookies), SQLite journals and lock files. Chromium
    # and SQLite create many files with modes of their own choosing; the umask caps them all.
    os.umask(0o077)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(InertLogFormatter(logging.BASIC_FORMAT))  # log lines may quote a page
    logging.basicConfig(level=os.environ.get("SUPERAPP_LOG", "WARNING"), handlers=[handler])
    if not is_valid_app_id(args.app_id):
        print("superapp runtime: invalid app id", file=sys.stderr)
        return 2
    channel = control.Channel.from_fd(args.control_fd)
    from superapp.net import parse_allow_local
    from superapp.runtime._devmode import local_authorities

    try:
        # Loopback is reachable only from a developer-mode runtime that was told so.
        if args.allow_local and args.dev is None:
            raise ValueError("--allow-local is for developer mode (--dev) only")
        local = tuple(parse_allow_local(text) for text in args.allow_local)
    except ValueError as err:
        channel.send(control.Notice(level="error", message=f"cannot start: {err}"))
        return 2
    paths = Paths.from_env()
    if args.dev is not None:
        # A side-loaded folder's data lives apart from any installed app of the same id.
        paths = paths.for_dev()

    from superapp.runtime._app import ChannelSink, RuntimeApp, load_app

    try:
        loaded = load_app(paths, args.app_id, args.dev, ChannelSink(channel))
    except Exception as err:  # reported to the host, which shows it to the user
        channel.send(control.Notice(level="error", message=f"cannot start: {err}"))
        return 3
    from superapp.runtime._confine import lock_down

    # OS-level lockdown: after the bundle is verified, before any thread or app code (issue 14).
    lockdown = lock_down(
        paths, loaded, cdp_port=args.remote_debugging_port, dev=args.dev,
        dev_local_ports=[port for _ip, port in local],  # empty unless --dev (checked above)
    )  # fmt: skip
    app = RuntimeApp(paths, loaded, channel, cdp_port=args.remote_debugging_port)
    app.lockdown = lockdown
    if args.dev is not None:
        from superapp.runtime._devmode import DevOptions

        app.dev_options = DevOptions(
            folder=args.dev, watch=args.watch, devtools=args.devtools, allow_local=local
        )
        if local:
            app.audit(
                "dev.allow_local", outcome="success",
                reason="developer mode: the page may reach these local origins",
                origins=[f"http://{a}" for a in local_authorities(local)],
            )  # fmt: skip

    def on_message(msg: control.Message) -> None:
        app.on_control(msg)

    def reader() -> None:
        channel.serve(on_message)
        # The host is gone (or broke the protocol): no orphans.
        _kill_own_group()

    threading.Thread(target=reader, name="control", daemon=True).start()
    return app.run()

"""``superapp run APP_ID`` in the user's running launcher (issue 16), like ``code --wait``.

When a launcher runs on the same data directory, ``superapp run`` asks its host to launch the
app (``superapp.host._delegate``; its normal, verified launch path, a prewarmed runtime when
the app fits) and stays in the foreground until that app ends: its SIGINT/SIGTERM stops the
app (it half-closes the connection; if this process dies, its end closes and the launcher
stops the app too), and it exits as ``superapp run`` on its own host does (1 if the app
crashed, else 0). It starts its own host, as before, when no launcher runs, with
``--own-host``, and for what the launcher cannot honour (``own_host_reason``). One line says
which happened.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any, BinaryIO

from superapp.core.errors import AppStateError, NotInstalledError
from superapp.core.paths import Paths

if TYPE_CHECKING:
    from superapp.protocol._delegate import DelegateReply

__all__ = ["OWN_HOST_ENV", "open_in_launcher", "own_host_reason"]

#: Set in this process's environment, these change how a host answers (consent prompts
#: answered without a window, test-only host maps): the launcher's host, started with its own
#: environment, cannot honour them, so ``superapp run`` then runs its own host.
OWN_HOST_ENV = ("SUPERAPP_CONSENT", "SUPERAPP_TEST_HOSTS", "SUPERAPP_TEST_DNS")


def own_host_reason(args: argparse.Namespace) -> str | None:
    """Why this ``superapp run`` must start its own host, or None if a launcher may open it."""
    if getattr(args, "own_host", False):
        return "--own-host"
    if getattr(args, "remote_debugging_port", None) is not None:
        return "--remote-debugging-port needs a host of its own"
    for name in OWN_HOST_ENV:
        if os.environ.get(name):
            return f"{name} is set; the launcher's host would not honour it"
    return None


def open_in_launcher(paths: Paths, app_id: str) -> int | str:
    """Open ``app_id`` in the running launcher and wait for its end: the exit status. A
    ``str`` instead: why it was not (no launcher runs, or it is closing); the caller then
    starts its own host (the per-app run lock decides, as ever).

    Raises:
        NotInstalledError: the launcher knows no such app.
        AppStateError: it is already running, or the launcher refused it (revoked, ...).
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(paths.launcher_socket))
    except OSError:  # none, a killed launcher's leftover file, or not ours to reach
        sock.close()
        return "no launcher is running"
    with sock, sock.makefile("rb") as stream:
        # The request goes out before this process imports a protocol model (pydantic): that
        # import then runs while the launcher launches. ``app_id`` passed the id grammar
        # (argparse); the launcher checks the line against ``LaunchRequest`` all the same.
        with contextlib.suppress(OSError):  # refused before it read the request: read why
            sock.sendall(json.dumps({"app_id": app_id}).encode() + b"\n")
        # From here a signal is a stop, even while the launch is under way (a consent dialog
        # in the launcher may take a while): the launcher stops the app once launched.
        previous = _stop_on_signals(sock)
        from superapp.protocol._delegate import DelegateCode

        first = _read(stream)
        if first is None or first.code is not DelegateCode.LAUNCHED:
            for signum, handler in previous.items():  # its own host installs its own
                signal.signal(signum, handler)
            if first is None:
                return "the running launcher did not answer"
            if first.code is DelegateCode.HOST_EXITING:
                return "the running launcher is closing"
            _raise(paths, app_id, first)
        via = ", a prewarmed runtime" if first.pooled else ""
        how = "resumed" if first.resumed else "opened"  # it was hidden, suspended or discarded
        print(
            f"superapp: {app_id} {how} in the running launcher "
            f"(launcher pid {first.host_pid}, app pid {first.pid}{via})",
            flush=True,
        )
        return _follow(app_id, stream)


def _follow(app_id: str, stream: BinaryIO) -> int:
    """Print the app's progress as ``superapp run`` on its own host does; its exit status."""
    from superapp.audit import safe_text
    from superapp.protocol._delegate import DelegateCode

    while True:
        reply = _read(stream)
        if reply is None:
            print(
                f"superapp: error: the launcher's host ended while {app_id} ran",
                file=sys.stderr,
            )
            return 1
        if reply.code is DelegateCode.RUNNING:
            print(f"superapp: {app_id} running", flush=True)
        elif reply.code is DelegateCode.ENDED:
            state, detail = reply.state or "stopped", safe_text(reply.detail)
            if state == "crashed":
                print(f"superapp: error: {app_id} crashed: {detail}", file=sys.stderr)
                return 1
            print(f"superapp: {app_id} {safe_text(state)}" + (f": {detail}" if detail else ""))
            return 0


def _read(stream: BinaryIO) -> DelegateReply | None:
    from pydantic import ValidationError

    from superapp.protocol._delegate import MAX_DELEGATE_LINE, DelegateReply

    try:
        line = stream.readline(MAX_DELEGATE_LINE + 1)
        return DelegateReply.model_validate_json(line) if line else None
    except (OSError, ValueError, ValidationError, json.JSONDecodeError):
        return None


def _raise(paths: Paths, app_id: str, reply: DelegateReply) -> None:
    from superapp.audit import safe_text
    from superapp.protocol._delegate import DelegateCode

    detail = safe_text(reply.detail) or reply.code.value
    if reply.code is DelegateCode.NOT_INSTALLED:
        raise NotInstalledError(app_id)  # its message names the id, as on its own host
    if reply.code is DelegateCode.ALREADY_RUNNING:
        raise AppStateError(f"{detail} ({_already_running_hint(paths, app_id)})")
    raise AppStateError(f"the running launcher did not open {app_id}: {detail}")


def _already_running_hint(paths: Paths, app_id: str) -> str:
    """What to do about it: resume an app that is in the background (another ``superapp run``
    holds it, or its own host runs it), else stop it."""
    from superapp.host._records import running_record

    record = running_record(paths, app_id)
    if record is not None and record.state in ("hidden", "suspended", "discarded"):
        return f"it is {record.state}: bring it back with 'superapp resume {app_id}'"
    return f"stop it with 'superapp stop {app_id}'"


def _stop_on_signals(sock: socket.socket) -> dict[int, Any]:
    """SIGINT/SIGTERM: half-close, which the launcher takes as "stop the app"; its ``ENDED``
    line still arrives and ends ``_follow`` with the app's status."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    return {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}

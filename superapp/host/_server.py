"""The host's local control socket for other ``superapp`` commands.

``superapp stop APP_ID`` runs in another process; it finds the host that runs the app through
the app's run record (``<state>/run/apps/<app_id>.json``) and asks that host over its Unix
socket (``<state>/run/host-<pid>.sock``, in an owner-only folder). The host also checks the
peer's uid (``SO_PEERCRED``), so only the same user can stop apps, and refuses a peer more
confined than itself (a mini-app's runtime, ``superapp.confine``).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import threading
from pathlib import Path
from typing import Any

from superapp.confine import more_confined_than_self
from superapp.core.errors import AppStateError, SuperappError
from superapp.core.paths import Paths
from superapp.host._lifecycle import Supervisor
from superapp.host._records import running_record

__all__ = ["LIFECYCLE_OPS", "HostServer", "request_lifecycle", "request_stop"]

_MAX_REQUEST = 4096
#: Life-cycle requests (``superapp hide|suspend|resume``): the host's state machine does them.
LIFECYCLE_OPS = frozenset({"hide", "suspend", "discard", "resume"})


class HostServer:
    def __init__(self, paths: Paths, supervisor: Supervisor) -> None:
        self.paths = paths
        self.supervisor = supervisor
        self.path = paths.run / f"host-{os.getpid()}.sock"
        self._sock: socket.socket | None = None
        self._active = 0
        self._idle = threading.Condition()

    def start(self) -> None:
        self.paths.run.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))
        os.chmod(self.path, 0o600)
        sock.listen(8)
        self._sock = sock
        threading.Thread(target=self._accept, name="host-ctl", daemon=True).start()

    def close(self, drain_s: float = 10.0) -> None:
        """Stop accepting; let requests in flight send their replies (a ``stop`` request ends
        with its app, which is often what ends this host) before the socket goes away."""
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout=drain_s)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _accept(self) -> None:
        while self._sock is not None:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._idle:
                self._active += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._serve_one(conn)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _serve_one(self, conn: socket.socket) -> None:
        with conn:
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            pid, uid, _gid = struct.unpack("3i", creds)
            # A confined runtime of this user reaches the socket by its path (Landlock does
            # not cover named sockets here): refused by what the peer is (issue 14).
            if uid != os.getuid() or more_confined_than_self(pid):
                return
            reply: dict[str, Any]
            try:
                request = json.loads(conn.makefile("rb").readline(_MAX_REQUEST))
                reply = self._handle(request)
            except (ValueError, AttributeError):
                reply = {"ok": False, "error": "malformed request"}
            except SuperappError as err:
                reply = {"ok": False, "error": str(err)}
            conn.sendall(json.dumps(reply).encode() + b"\n")

    def _handle(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("op") == "stop" and isinstance(request.get("app_id"), str):
            self.supervisor.stop(request["app_id"])
            return {"ok": True}
        op, app_id = request.get("op"), request.get("app_id")
        if op in LIFECYCLE_OPS and isinstance(app_id, str):
            background = self.supervisor.background
            if op == "resume" and self.supervisor.discarded.get(app_id) is not None:
                self.supervisor.discarded.resume(app_id, "resumed by the user")
            elif op == "resume":
                background.resume(app_id, cause="resumed by the user")
            elif op == "discard":
                background.discard(app_id, cause="discarded by the user")
            else:
                background.hide(app_id, cause=f"{op} by the user", suspend=op == "suspend")
            return {"ok": True, "state": self.supervisor.state(app_id)[0].value}
        return {"ok": False, "error": "unknown request"}


def request_stop(paths: Paths, app_id: str, timeout: float = 15.0) -> None:
    """Ask the host that runs ``app_id`` to stop it; returns once it has stopped."""
    _request(paths, app_id, "stop", timeout)


def request_lifecycle(paths: Paths, app_id: str, op: str, timeout: float = 45.0) -> str:
    """Ask the host that runs ``app_id`` to hide, suspend, discard or resume it; returns
    the app's state once the host has done it."""
    if op not in LIFECYCLE_OPS:
        raise ValueError(f"not a life-cycle request: {op}")
    return str(_request(paths, app_id, op, timeout).get("state", ""))


def _request(paths: Paths, app_id: str, op: str, timeout: float) -> dict[str, Any]:
    record = running_record(paths, app_id)
    if record is None:
        raise AppStateError(f"{app_id} is not running")
    sock_path = Path(paths.run / f"host-{record.host_pid}.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(sock_path))
            sock.sendall(json.dumps({"op": op, "app_id": app_id}).encode() + b"\n")
            reply = json.loads(sock.makefile("rb").readline(_MAX_REQUEST) or b"{}")
        except (OSError, ValueError) as err:
            raise AppStateError(f"cannot reach the host running {app_id}: {err}") from err
    if not reply.get("ok"):
        raise AppStateError(str(reply.get("error") or f"the host could not {op} {app_id}"))
    return dict(reply)

"""The host's local control socket for other ``superapp`` commands.

``superapp stop APP_ID`` runs in another process; it finds the host that runs the app through
the app's run record (``<state>/run/apps/<app_id>.json``) and asks that host over its Unix
socket (``<state>/run/host-<pid>.sock``, in an owner-only folder). The host also checks the
peer's uid (``SO_PEERCRED``), so only the same user can stop apps, and refuses a peer more
confined than itself (a mini-app's runtime, ``superapp.confine``).

The request is exactly ``superapp.protocol._hostctl.ControlRequest`` (an op and an app id in
the id grammar, strict). Every refusal is answered with a typed ``ControlCode`` and audited
(``host.control``: peer pid and uid, which rule failed, never the caller's bytes); a refused
or broken request never ends the host's accept loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from superapp.audit import AuditLog, safe_text
from superapp.core.errors import AppStateError, SuperappError, UsageError
from superapp.core.paths import Paths
from superapp.host._conns import Connections, peer_of, refusal_of
from superapp.host._lifecycle import Supervisor
from superapp.host._records import running_record
from superapp.protocol._hostctl import (
    CONTROL_OPS,
    MAX_CONTROL_LINE,
    ControlCode,
    ControlRequest,
)

__all__ = ["LIFECYCLE_OPS", "HostServer", "request_lifecycle", "request_stop"]

_log = logging.getLogger("superapp.host")
_MAX_REQUEST = MAX_CONTROL_LINE
#: A peer must send its request this soon after connecting (a silent peer holds no thread).
REQUEST_TIMEOUT_S = 5.0
_ACTION = "host.control"
#: Life-cycle requests (``superapp hide|suspend|resume``): the host's state machine does them.
LIFECYCLE_OPS = frozenset(CONTROL_OPS) - {"stop"}


class HostServer:
    def __init__(self, paths: Paths, supervisor: Supervisor, audit: AuditLog | None = None) -> None:
        self.paths = paths
        self.supervisor = supervisor
        self._audit = audit if audit is not None else supervisor.audit
        self.path = paths.run / f"host-{os.getpid()}.sock"
        self._sock: socket.socket | None = None
        self._conns = Connections(threading.Condition(), "control request failed")

    def start(self) -> None:
        self.paths.run.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))
        os.chmod(self.path, 0o600)
        sock.listen(8)
        self._sock = sock
        threading.Thread(
            target=self._conns.accept, args=(lambda: self._sock, self._serve_one),
            name="host-ctl", daemon=True,
        ).start()  # fmt: skip

    def close(self, drain_s: float = 10.0) -> None:
        """Stop accepting; let requests in flight send their replies (a ``stop`` request ends
        with its app, which is often what ends this host) before the socket goes away."""
        self._conns.drain(drain_s)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _serve_one(self, conn: socket.socket) -> None:
        peer = peer_of(conn)
        why = refusal_of(peer)
        conn.settimeout(REQUEST_TIMEOUT_S)
        line, failed = b"", ""
        with conn.makefile("rb") as stream:
            # A refused peer's line is read too (bounded, never parsed): its answer reaches it.
            try:
                line = stream.readline(_MAX_REQUEST + 1)
            except OSError as err:
                failed = (
                    "nothing sent in time" if isinstance(err, TimeoutError) else "connection error"
                )
        conn.settimeout(None)
        if why is not None:
            return self._refuse(conn, ControlCode.FORBIDDEN, why, peer)
        if failed:
            return self._refuse(
                conn, ControlCode.INVALID_REQUEST, f"invalid request: {failed}", peer
            )
        try:
            if not line.endswith(b"\n"):
                raise ValueError("not one complete line")
            request = ControlRequest.model_validate_json(line)
        except ValueError as err:
            return self._refuse(conn, ControlCode.INVALID_REQUEST, _invalid_reason(err), peer)
        try:
            reply = self._handle(request)
        except SuperappError as err:
            code = ControlCode.REFUSED
            return self._refuse(conn, code, str(err), peer, request.op, request.app_id)
        except Exception:
            _log.exception("control request %s %s failed", request.op, request.app_id)
            code = ControlCode.INTERNAL
            return self._refuse(conn, code, "internal error", peer, request.op, request.app_id)
        _send(conn, reply)

    def _refuse(
        self,
        conn: socket.socket,
        code: ControlCode,
        reason: str,
        peer: dict[str, int],
        op: str | None = None,
        app_id: str | None = None,
    ) -> None:
        """Answer and audit a refusal. ``op`` and ``app_id`` only once validated; ``reason``
        is the host's own text (``safe_text``: an error may quote what it was given)."""
        reason = safe_text(reason)
        extra = {"op": op} if op is not None else {}
        self._audit.record(
            _ACTION, app_id=app_id, outcome="failure", reason=reason, code=code.value,
            **extra, **peer,
        )  # fmt: skip
        _send(conn, {"ok": False, "code": code.value, "error": reason})

    def _handle(self, request: ControlRequest) -> dict[str, Any]:
        op, app_id = request.op, request.app_id
        if op == "stop":
            self.supervisor.stop(app_id)
            return {"ok": True}
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


def _send(conn: socket.socket, reply: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # a caller that is gone
        conn.sendall(json.dumps(reply).encode() + b"\n")


def _invalid_reason(err: Exception) -> str:
    if isinstance(err, ValidationError):
        errors: list[Any] = err.errors(include_input=False, include_url=False)
        first = errors[0] if errors else {}
        # Only our own fields' names: an extra field's name is the caller's text.
        loc = tuple(first.get("loc", ()))
        where = loc[0] if loc in (("op",), ("app_id",)) else "request"
        return f"invalid request: {where}: {first.get('type', 'invalid')}"
    return "invalid request: not one complete line"


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
    try:
        request = ControlRequest.model_validate({"op": op, "app_id": app_id})
    except ValidationError:
        raise UsageError(f"not a valid app id: {safe_text(app_id)!r}") from None
    record = running_record(paths, app_id)
    if record is None:
        raise AppStateError(f"{app_id} is not running")
    sock_path = Path(paths.run / f"host-{record.host_pid}.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(sock_path))
            sock.sendall(request.line())
            reply = json.loads(sock.makefile("rb").readline(_MAX_REQUEST) or b"{}")
        except (OSError, ValueError) as err:
            raise AppStateError(f"cannot reach the host running {app_id}: {err}") from err
    if not reply.get("ok"):
        raise AppStateError(
            safe_text(str(reply.get("error") or f"the host could not {op} {app_id}"))
        )
    return dict(reply)

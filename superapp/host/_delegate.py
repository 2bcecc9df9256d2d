"""The launcher host's launch endpoint: ``superapp run APP_ID`` opens the app here (issue 16).

A ``superapp run`` from a terminal, while the user's launcher runs on the same data directory,
asks this host to launch the app instead of starting a host (and a cold runtime) of its own;
the wire format is ``superapp.protocol._delegate``. The launch is the one the launcher's own
button makes (``Supervisor.launch``: kill switch, verification, a pooled runtime when the app
fits), so the app shows on the launcher's dashboard like any other.

What a caller can and cannot do, in order:

1. reach the socket: ``<state>/run/launcher.sock``, mode 0600, in the owner-only run folder
   (0700); only the launcher holding ``<state>/run/launcher.lock`` serves it (one per data dir);
2. be this user: the peer's uid (``SO_PEERCRED``) must be ours, and the peer no more confined
   than this host (a mini-app's runtime of this user is refused, as on ``HostServer``); a
   refused peer's line is read (bounded) but never parsed, so its ``FORBIDDEN`` reaches it;
3. send exactly ``{"app_id": <id in the id grammar>}``, nothing else, within
   ``REQUEST_TIMEOUT_S``: no path, bundle, flag or option can be named;
4. get one typed code back (``DelegateCode``); every refusal and every launch is audited
   (``launcher.delegate``), with the peer's pid and uid.

The per-app run lock stays the authority: a second ``superapp run`` of the same app, here or on
its own host, is ``ALREADY_RUNNING``; a request that arrives while the launcher closes is
``HOST_EXITING`` (the caller then starts its own host, where the run lock decides).

An app the launcher holds in the background (hidden, suspended or discarded) and no other
``superapp run`` holds is resumed, the way the launcher's card resumes it, and the caller holds
it from then on like one it launched (``LAUNCHED`` with ``resumed``; its end stops the app).
An app in the foreground is ``ALREADY_RUNNING``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
from typing import IO, Any, BinaryIO

from pydantic import ValidationError

from superapp.audit import AuditLog
from superapp.core.errors import AppStateError, NotInstalledError, SuperappError
from superapp.core.paths import Paths
from superapp.host._app import RunningApp
from superapp.host._background import BACKGROUND_STATES
from superapp.host._conns import Connections, peer_of, refusal_of
from superapp.host._lifecycle import Supervisor
from superapp.host._records import running_record
from superapp.host._revocation import RevokedError
from superapp.protocol._delegate import (
    MAX_DELEGATE_LINE,
    DelegateCode,
    DelegateReply,
    LaunchRequest,
    launcher_socket,
)

__all__ = ["LaunchEndpoint"]

_log = logging.getLogger("superapp.host")

#: A peer must send its request this soon after connecting (a silent peer holds no thread).
REQUEST_TIMEOUT_S = 5.0
#: How often the wait for the app's page checks whether the app has ended meanwhile.
_LOADED_POLL_S = 0.5
#: At close, how long the launcher waits for open leases to send their ``ENDED`` line.
DRAIN_S = 10.0
_ACTION = "launcher.delegate"


class LaunchEndpoint:
    """Serves ``launcher.sock`` for one launcher host (see the module docstring)."""

    def __init__(self, paths: Paths, supervisor: Supervisor, audit: AuditLog) -> None:
        self.paths = paths
        self.path = launcher_socket(paths)
        self._supervisor = supervisor
        self._audit = audit
        self._sock: socket.socket | None = None
        self._lock_file: IO[bytes] | None = None
        self._inode: int | None = None
        self._closing = False
        #: Requests between their closing check and their app in the supervisor's list.
        self._launching = 0
        #: Apps a ``superapp run`` holds through this endpoint (a second one is refused).
        self._leased: set[str] = set()
        self._cond = threading.Condition()
        self._conns = Connections(self._cond, "launch request failed")

    def start(self) -> bool:
        """Listen, unless another launcher of this data directory already does (False)."""
        run = self.paths.run
        run.mkdir(parents=True, exist_ok=True, mode=0o700)
        if run.stat().st_uid != os.getuid():
            _log.warning("not serving %s: the run folder is not this user's", self.path)
            return False
        os.chmod(run, 0o700)  # our own folder: nobody else may even reach the socket
        lock = open(run / "launcher.lock", "a+b")  # noqa: SIM115 (held while we serve)
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return False  # the first launcher keeps serving; this one launches only its own
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a launcher that was killed (we hold the lock now)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))
        os.chmod(self.path, 0o600)
        sock.listen(8)
        self._lock_file, self._sock, self._inode = lock, sock, self.path.stat().st_ino
        threading.Thread(
            target=self._conns.accept, args=(lambda: self._sock, self._serve_one),
            name="launcher-ctl", daemon=True,
        ).start()  # fmt: skip
        return True

    def stop_accepting(self, launch_wait_s: float = DRAIN_S) -> None:
        """First step of the launcher's close: new requests fail to connect (or get
        ``HOST_EXITING``); leases already open still get their ``ENDED`` line. A launch
        already under way is waited for (up to ``launch_wait_s``), so that the supervisor's
        shutdown, next, finds and stops its app instead of it starting after (and dying with
        the host, its caller told only that the host ended)."""
        with self._cond:
            self._closing = True
            self._cond.wait_for(lambda: self._launching == 0, timeout=launch_wait_s)
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        with contextlib.suppress(FileNotFoundError):
            if self.path.stat().st_ino == self._inode:  # never another launcher's socket
                self.path.unlink()

    def close(self, drain_s: float = DRAIN_S) -> None:
        """After the supervisor has stopped every app: wait for the leases' last lines."""
        self.stop_accepting()
        self._conns.drain(drain_s)
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # --- serving ---------------------------------------------------------------------------
    def _serve_one(self, conn: socket.socket) -> None:
        peer = peer_of(conn)
        conn.settimeout(REQUEST_TIMEOUT_S)
        stream = conn.makefile("rb")
        try:
            why = refusal_of(peer)
            if why is not None:
                # Its request is read (bounded, never parsed) so that the refusal reaches it.
                with contextlib.suppress(OSError):
                    stream.readline(MAX_DELEGATE_LINE + 1)
                return self._refuse(conn, DelegateCode.FORBIDDEN, why, peer)
            self._request(conn, stream, peer)
        finally:
            stream.close()

    def _request(self, conn: socket.socket, stream: BinaryIO, peer: dict[str, int]) -> None:
        try:
            line = stream.readline(MAX_DELEGATE_LINE + 1)
            if not line.endswith(b"\n"):
                raise ValueError("not one complete line")
            request = LaunchRequest.model_validate_json(line)
        except (OSError, ValueError) as err:
            # The caller's bytes are not echoed anywhere: only which rule failed.
            why = _invalid_reason(err)
            return self._refuse(conn, DelegateCode.INVALID_REQUEST, why, peer)
        conn.settimeout(None)
        self._lease(conn, stream, request.app_id, peer)

    def _lease(
        self, conn: socket.socket, stream: BinaryIO, app_id: str, peer: dict[str, int]
    ) -> None:
        """Launch (or resume) ``app_id`` and hold it for the caller until it ends (or the
        caller goes)."""
        # One step with ``stop_accepting``'s: a request either sees the launcher closing
        # (HOST_EXITING, nothing launched) or counts as launching, and the close then waits
        # for it to be in the supervisor's list before that list is stopped.
        with self._cond:
            closing, held = self._closing, app_id in self._leased
            if not closing and not held:
                self._leased.add(app_id)
                self._launching += 1
        if closing:
            why = "the launcher is closing"
            return self._refuse(conn, DelegateCode.HOST_EXITING, why, peer, app_id)
        if held:
            why = f"{app_id} is already running for another 'superapp run'"
            return self._refuse(conn, DelegateCode.ALREADY_RUNNING, why, peer, app_id)
        try:
            self._hold(conn, stream, app_id, peer)
        finally:
            with self._cond:
                self._leased.discard(app_id)

    def _open(self, app_id: str) -> tuple[RunningApp, bool] | None:
        """A fresh launch, or the resume of an app the launcher holds in the background
        (whether it was resumed). None: it runs in the foreground already.

        Raises:
            AppStateError: the launch or the resume was refused (run lock, revoked, ...).
        """
        supervisor = self._supervisor
        cause = "resumed for 'superapp run'"
        if supervisor.discarded.get(app_id) is not None:  # its runtime ended: a new one
            return supervisor.discarded.resume(app_id, cause, wait=False), True
        running = supervisor.get(app_id)
        if running is not None and running.state in BACKGROUND_STATES:
            supervisor.background.resume(app_id, cause=cause)
            return running, True
        if running is not None:
            return None
        return supervisor.launch(app_id), False

    def _hold(
        self, conn: socket.socket, stream: BinaryIO, app_id: str, peer: dict[str, int]
    ) -> None:
        supervisor = self._supervisor
        try:
            from superapp.state import registry

            try:
                registry.get_app(self.paths, app_id)
                opened = self._open(app_id)
            finally:
                with self._cond:
                    self._launching -= 1
                    self._cond.notify_all()
            if opened is None:
                why = f"{app_id} is already running in the launcher"
                return self._refuse(conn, DelegateCode.ALREADY_RUNNING, why, peer, app_id)
            app, resumed = opened
        except NotInstalledError as err:
            return self._refuse(conn, DelegateCode.NOT_INSTALLED, str(err), peer, app_id)
        except RevokedError as err:
            return self._refuse(conn, DelegateCode.REFUSED, str(err), peer, app_id)
        except AppStateError as err:
            held = supervisor.get(app_id) is not None or running_record(self.paths, app_id)
            code = DelegateCode.ALREADY_RUNNING if held else DelegateCode.REFUSED
            return self._refuse(conn, code, str(err), peer, app_id)
        except SuperappError as err:
            return self._refuse(conn, DelegateCode.REFUSED, str(err), peer, app_id)
        except Exception:
            _log.exception("delegated launch of %s failed", app_id)
            return self._refuse(conn, DelegateCode.INTERNAL, "internal error", peer, app_id)
        ended = supervisor.ended(app_id)
        how = "resumed" if resumed else "opened"
        self._audit.record(
            _ACTION, app_id=app_id, outcome="success", reason=f"{how} for 'superapp run'",
            pid=app.pid, pooled=app.pooled, resumed=resumed, **peer,
        )  # fmt: skip
        done = threading.Event()
        _send(conn, DelegateReply(
            code=DelegateCode.LAUNCHED, pid=app.pid, host_pid=os.getpid(), pooled=app.pooled,
            resumed=resumed,
        ))  # fmt: skip
        watcher = threading.Thread(
            target=self._hangup, args=(stream, app_id, done, peer), name=f"lease-{app_id}",
            daemon=True,
        )  # fmt: skip
        watcher.start()
        while not ended.is_set():
            if app.loaded.wait(_LOADED_POLL_S):
                _send(conn, DelegateReply(code=DelegateCode.RUNNING))
                break
        ended.wait()
        state, detail = supervisor.state(app_id)
        with self._cond:
            if self._closing and not detail:
                detail = "the launcher closed"
        done.set()
        _send(conn, DelegateReply(code=DelegateCode.ENDED, state=state.value, detail=detail))
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)  # wakes ``_hangup``'s read
        watcher.join(REQUEST_TIMEOUT_S)  # before the stream it reads is closed

    def _hangup(
        self, stream: BinaryIO, app_id: str, done: threading.Event, peer: dict[str, int]
    ) -> None:
        """The caller's end closing (its SIGINT/SIGTERM, or its death) stops the app."""
        with contextlib.suppress(OSError, ValueError):  # ValueError: closed meanwhile
            stream.read(1)  # EOF, or anything more than the one request: the lease ends
        if done.is_set():
            return
        self._audit.record(
            _ACTION, app_id=app_id, outcome="success",
            reason="the delegating 'superapp run' ended: stopping the app", **peer,
        )  # fmt: skip
        with contextlib.suppress(AppStateError):
            self._supervisor.stop(app_id)

    def _refuse(
        self,
        conn: socket.socket,
        code: DelegateCode,
        reason: str,
        peer: dict[str, int],
        app_id: str | None = None,
    ) -> None:
        self._audit.record(
            _ACTION, app_id=app_id, outcome="failure", reason=reason, code=code.value, **peer
        )
        _send(conn, DelegateReply(code=code, detail=reason))


def _send(conn: socket.socket, reply: DelegateReply) -> None:
    with contextlib.suppress(OSError):  # a caller that is gone; its lease ends on EOF
        conn.sendall(reply.line())


def _invalid_reason(err: Exception) -> str:
    if isinstance(err, ValidationError):
        errors: list[Any] = err.errors(include_input=False, include_url=False)
        first = errors[0] if errors else {}
        # Only our own field's name: an extra field's name is the caller's text.
        where = "app_id" if tuple(first.get("loc", ())) == ("app_id",) else "request"
        return f"invalid request: {where}: {first.get('type', 'invalid')}"
    if isinstance(err, TimeoutError):
        return "invalid request: nothing sent in time"
    if isinstance(err, OSError):
        return "invalid request: connection error"
    return "invalid request: not one complete line"

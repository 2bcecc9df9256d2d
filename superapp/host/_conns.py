"""The accept loop both of the host's Unix sockets share: the per-host control socket
(``_server``) and the launcher's launch endpoint (``_delegate``).

Each accepted connection is served on a thread of its own, so one slow or silent peer never
holds up another; the number in flight is kept under the owner's condition, so a close can wait
for their last replies (``drain``); and a bug while serving one request is logged and costs
only that connection (its peer sees EOF), never the loop.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
from collections.abc import Callable

from superapp.confine import more_confined_than_self

__all__ = ["Connections", "peer_of", "refusal_of"]

_log = logging.getLogger("superapp.host")


def peer_of(conn: socket.socket) -> dict[str, int]:
    """The connected peer's pid and uid as the kernel reports them (``SO_PEERCRED``), in the
    shape both sockets audit them."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", creds)
    return {"peer_pid": pid, "peer_uid": uid}


def refusal_of(peer: dict[str, int]) -> str | None:
    """Why a peer may not use either socket, or None: it must be this user, and no more confined
    than this host (a mini-app's runtime of this user reaches a socket by its path, since
    Landlock does not cover named sockets here; issue 14)."""
    if peer["peer_uid"] != os.getuid():
        return "another user"
    if more_confined_than_self(peer["peer_pid"]):
        return "a confined process"
    return None


class Connections:
    """Connections being served, counted under ``cond`` (the owner may share it for its own
    state: the launch endpoint counts launches under way with it too)."""

    def __init__(self, cond: threading.Condition, failure: str) -> None:
        self.cond = cond
        self.active = 0
        self._failure = failure

    def accept(
        self, listening: Callable[[], socket.socket | None], serve: Callable[[socket.socket], None]
    ) -> None:
        """Accept until ``listening()`` is None or its socket is closed (the thread's body)."""
        while (sock := listening()) is not None:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with self.cond:
                self.active += 1
            threading.Thread(target=self._serve, args=(conn, serve), daemon=True).start()

    def drain(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until no connection is being served."""
        with self.cond:
            self.cond.wait_for(lambda: self.active == 0, timeout=timeout)

    def _serve(self, conn: socket.socket, serve: Callable[[socket.socket], None]) -> None:
        try:
            with conn:
                serve(conn)
        except Exception:  # a bug must not end the accept loop; the caller gets its EOF
            _log.exception(self._failure)
        finally:
            with self.cond:
                self.active -= 1
                self.cond.notify_all()

"""What a bound runtime asks its host over the control channel instead of opening the
registry itself (issue 14 point 1): the app's grants, on every check, and its inbox.

Asking on every check keeps today's promise that a grant revoked in the launcher or the CLI
applies to the very next call, without a restart and without a push the runtime could miss.
The host answers from one kept-open registry connection (``superapp.host._grantanswers``), so
the round trip costs a socket hop, not a database open. Silence or a closed channel fails
closed: every capability revoked (not an empty answer, under which a consent-free capability
the user had revoked would pass), an empty inbox.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from typing import Any

from superapp import protocol as control
from superapp.state.grants import Grant, GrantSource, GrantState, is_effective

__all__ = ["HostGrants", "HostRequests", "host_inbox"]

#: A grants or inbox answer comes from one indexed read in the host; this bounds a host that
#: is wedged, after which the check fails closed.
ANSWER_TIMEOUT_S = 10.0


class HostRequests:
    """Requests to the host matched with their replies by request id. Thread-safe."""

    def __init__(self, channel: control.Channel, timeout_s: float = ANSWER_TIMEOUT_S) -> None:
        self._channel = channel
        self._timeout_s = timeout_s
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[threading.Event, list[Any]]] = {}

    def ask(self, make: Callable[[int], Any]) -> Any | None:
        request_id = next(self._ids)
        event, box = threading.Event(), list[Any]()
        with self._lock:
            self._waiting[request_id] = (event, box)
        try:
            self._channel.send(make(request_id))
            event.wait(self._timeout_s)
        except control.ChannelClosedError:
            pass
        finally:
            with self._lock:
                self._waiting.pop(request_id, None)
        return box[0] if box else None

    def answer(self, msg: control.GrantsReply | control.InboxReply) -> None:
        with self._lock:
            waiting = self._waiting.get(msg.request_id)
        if waiting is not None:
            waiting[1].append(msg)
            waiting[0].set()


class HostGrants:
    """``bridge.ports.GrantsPort`` for the one app this runtime was bound to. Writes are the
    host's: "allow always" is recorded by the host when it answers the prompt, and the
    manifest's consent-free grants when it binds the runtime."""

    def __init__(self, requests: HostRequests, app_id: str) -> None:
        self._requests = requests
        self._app_id = app_id

    def _rows(self, app_id: str) -> dict[str, control.GrantRow]:
        if app_id != self._app_id:  # another app's grants are not this runtime's to read
            return {}
        reply = self._requests.ask(lambda rid: control.GrantsQuery(request_id=rid))
        if isinstance(reply, control.GrantsReply):
            return dict(reply.grants)
        return control.refusing_rows()

    def get(self, app_id: str, capability: str) -> Grant | None:
        row = self._rows(app_id).get(capability)
        if row is None:
            return None
        return Grant(app_id, capability, row.state, row.source, row.updated_at)

    def states(self, app_id: str) -> dict[str, GrantState]:
        return {cap: row.state for cap, row in self._rows(app_id).items()}

    def effective(self, app_id: str, capability: str, declared: Iterable[str]) -> bool:
        declared = frozenset(declared)
        if capability not in declared:
            return False
        row = self._rows(app_id).get(capability)
        return is_effective(capability, declared, row.state if row else None)

    def grant(self, app_id: str, capability: str, source: GrantSource = "user") -> None:
        """Recorded by the host already (it answered the prompt); nothing to write here."""

    def sync_declared(self, app_id: str, declared: Iterable[str]) -> None:
        """Done by the host when it bound this runtime."""

    def close(self) -> None:
        pass


def host_inbox(requests: HostRequests) -> Callable[[], list[tuple[str, Any, float]]]:
    """``share.inbox``'s source: the host takes the items from the app's inbox."""

    def take() -> list[tuple[str, Any, float]]:
        reply = requests.ask(lambda rid: control.InboxQuery(request_id=rid))
        if not isinstance(reply, control.InboxReply):
            return []
        return [(item.from_app, item.data, item.sent_at) for item in reply.items]

    return take

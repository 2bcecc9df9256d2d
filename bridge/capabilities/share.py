"""``share.*``: explicit sharing between mini-apps, with the user's confirmation.

``share.send`` (capability ``share:send``) asks the host, which checks that the receiver is
installed and asks the user in host-owned UI before delivering; ``share.inbox`` (no
capability) takes what other apps sent this one, each with the sender id the host verified.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, Field

from bridge.context import CallContext
from bridge.errors import ConsentDeniedError, InvalidParamsError, QuotaExceededError
from bridge.models import NoParams, Params, Result
from superapp.core.paths import is_valid_app_id
from superapp.state import inbox as inbox_store

__all__ = [
    "APIS",
    "INBOX_RESOURCE",
    "SHARE_RESOURCE",
    "Inbox",
    "InboxItem",
    "ShareBroker",
    "ShareSend",
    "ShareSent",
    "inbox",
    "send",
]

SHARE_RESOURCE = "share.broker"
_MAX = inbox_store.DEFAULT_LIMITS.max_payload_bytes

Outcome = Literal["delivered", "declined", "unknown_app", "inbox_full", "invalid"]


class ShareBroker(Protocol):
    def send(self, to: str, data_json: str) -> Outcome:
        """Ask the host to deliver ``data_json`` to ``to`` (blocks until the user answers)."""
        ...


def _app_id(value: str) -> str:
    if not is_valid_app_id(value):
        raise ValueError("not an app id (reverse-DNS, like com.example.notes)")
    return value


class ShareSend(Params):
    to: Annotated[str, Field(max_length=128), AfterValidator(_app_id)]
    data: Any


class ShareSent(Result):
    delivered: bool


class InboxItem(Result):
    from_app: str
    data: Any
    sent_at: float


def send(ctx: CallContext, params: ShareSend) -> ShareSent:
    """Send JSON ``data`` to another installed app, after the user confirms. Needs
    ``share:send``. The receiver sees this app's id, verified by the host."""
    data_json = json.dumps(params.data, separators=(",", ":"), allow_nan=False)
    if len(data_json.encode("utf-8")) > _MAX:
        raise InvalidParamsError(f"shared data is over {_MAX} bytes")
    if params.to == ctx.app_id:
        raise InvalidParamsError("an app cannot share with itself")
    broker: ShareBroker = ctx.resource(SHARE_RESOURCE, _no_broker)
    outcome = broker.send(params.to, data_json)
    if outcome == "delivered":
        return ShareSent(delivered=True)
    if outcome == "declined":
        raise ConsentDeniedError("the user did not allow this share")
    if outcome == "inbox_full":
        raise QuotaExceededError(f"{params.to} has too many unread shared items")
    if outcome == "unknown_app":
        raise InvalidParamsError(f"no installed app {params.to!r}")
    raise InvalidParamsError("this share cannot be delivered")


class Inbox(Result):
    items: list[InboxItem]


#: A runtime's inbox: a callable taking the app's oldest items from the host (issue 14: the
#: runtime never opens ``registry.sqlite3``), each ``(from_app, data, sent_at)``.
INBOX_RESOURCE = "share.inbox"


def inbox(ctx: CallContext, params: NoParams) -> Inbox:
    """Take what other apps shared with this one (oldest first, a few per call — call again
    while items come back); each item's ``fromApp`` is the sender as the host knows it, never
    what the sender claimed."""
    take = ctx.resource(INBOX_RESOURCE, lambda: None)
    if take is not None:
        return Inbox(items=[InboxItem(from_app=f, data=d, sent_at=t) for f, d, t in take()])
    return Inbox(
        items=[
            InboxItem(from_app=m.from_app, data=m.data, sent_at=m.sent_at)
            for m in inbox_store.take(ctx.paths, ctx.app_id)
        ]
    )


def _no_broker() -> ShareBroker:
    class _Refuse:
        def send(self, to: str, data_json: str) -> Outcome:
            return "declined"

    return _Refuse()


APIS = {"share.send": (ShareSend, send)}

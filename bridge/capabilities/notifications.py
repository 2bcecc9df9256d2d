"""``notifications.*``: system notifications, attributed to the app by the host."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bridge.context import CallContext
from bridge.hostui import host_ui
from bridge.limits import DEFAULT_LIMITS
from bridge.models import Params

__all__ = ["Notification", "show"]

_L = DEFAULT_LIMITS


class Notification(Params):
    title: Annotated[str, Field(min_length=1, max_length=_L.max_notification_title_chars)]
    body: Annotated[str, Field(max_length=_L.max_notification_body_chars)] = ""


def show(ctx: CallContext, params: Notification) -> None:
    """Show a system notification. Needs ``notifications``."""
    host_ui(ctx).notify(params.title, params.body)

"""``ui.*``: host-drawn UI inside the app's own window."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bridge.context import CallContext
from bridge.hostui import host_ui
from bridge.limits import DEFAULT_LIMITS
from bridge.models import Params

__all__ = ["Toast", "toast"]


class Toast(Params):
    text: Annotated[str, Field(min_length=1, max_length=DEFAULT_LIMITS.max_toast_chars)]


def toast(ctx: CallContext, params: Toast) -> None:
    """Show a short message that dismisses itself, drawn by the host in the app's window."""
    host_ui(ctx).toast(params.text)

"""``clipboard.*``: the system clipboard, text only."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bridge.context import CallContext
from bridge.hostui import host_ui
from bridge.limits import DEFAULT_LIMITS
from bridge.models import NoParams, Params, Result

__all__ = ["ClipboardText", "WriteText", "read_text", "write_text"]


class WriteText(Params):
    text: Annotated[str, Field(max_length=DEFAULT_LIMITS.max_clipboard_chars)]


class ClipboardText(Result):
    text: str


def write_text(ctx: CallContext, params: WriteText) -> None:
    """Put text on the system clipboard. Needs ``clipboard:write``."""
    host_ui(ctx).clipboard_write(params.text)


def read_text(ctx: CallContext, params: NoParams) -> ClipboardText:
    """The text on the system clipboard ("" if none). Needs ``clipboard:read`` (consent)."""
    return ClipboardText(text=host_ui(ctx).clipboard_read())

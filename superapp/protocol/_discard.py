"""Process-level discard (ADR 0014, issue 16): what crosses the channel around it.

Host → runtime: ``lifecycle`` with command ``save`` (the runtime's process is about to end).
Runtime → host: ``page_saved``, the answer: the page's URL as the engine has it, and the
state the page handed over (``superapp.lifecycle.saveState``) as JSON *text*. Both are
page-controlled: the host parses and judges them (``superapp.host._discard``) and keeps them
in its memory only. On resume, ``bind`` carries ``restore``: the in-app location the host
accepted and the state's JSON text, which the page reads once (``superapp.lifecycle.restored``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MAX_SAVED_URL", "MAX_SAVED_WIRE", "PageSaved", "Restore"]

#: Wire caps (the host's own, smaller limits are ``DiscardLimits``): a frame must fit in
#: ``MAX_MESSAGE_BYTES`` with room to spare.
MAX_SAVED_URL = 8192
MAX_SAVED_WIRE = 192 * 1024


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PageSaved(_Msg):
    """Runtime → host, answering ``lifecycle save``: the page's URL and its handed-over state."""

    type: Literal["page_saved"] = "page_saved"
    url: str = Field(max_length=MAX_SAVED_URL)
    #: JSON text of the page's value, or None when the page handed nothing over.
    state: str | None = Field(default=None, max_length=MAX_SAVED_WIRE)


class Restore(_Msg):
    """In ``bind`` of a runtime resuming a discarded app: where its page opens, what it gets."""

    #: Path, query and fragment inside ``app://<app_id>/`` (no leading slash), as the host
    #: normalised it; empty: the entry page.
    location: str = Field(default="", max_length=MAX_SAVED_URL)
    state: str | None = Field(default=None, max_length=MAX_SAVED_WIRE)

"""The host's control socket: what ``superapp stop|hide|suspend|discard|resume APP_ID`` sends to
the host that runs the app (``<state>/run/host-<pid>.sock``; server and client are
``superapp.host._server``).

One request per connection, one JSON line: exactly ``{"op": <op>, "app_id": <id>}`` — ``op``
one of ``CONTROL_OPS``, ``app_id`` in the id grammar (``superapp.core.paths.is_valid_app_id``,
the one definition every endpoint uses). Strict: no extra field, no coercion. One line back:
``{"ok": true[, "state": ...]}`` or ``{"ok": false, "code": <ControlCode>, "error": <text>}``;
the error text is the host's own (never the caller's bytes).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

from superapp.core.paths import is_valid_app_id

__all__ = ["CONTROL_OPS", "MAX_CONTROL_LINE", "AppIdText", "ControlCode", "ControlRequest"]

#: The longest request line the host reads (an app id is at most 128 characters).
MAX_CONTROL_LINE = 4096
#: Every request the control socket serves.
CONTROL_OPS = ("stop", "hide", "suspend", "discard", "resume")

ControlOp = Literal["stop", "hide", "suspend", "discard", "resume"]


def _app_id(value: str) -> str:
    if not is_valid_app_id(value):
        raise ValueError("not a valid app id")
    return value


#: An app id in the id grammar: the field type of every request naming an app on the host's
#: sockets (this one and the launcher's launch endpoint, ``_delegate``).
AppIdText = Annotated[str, AfterValidator(_app_id)]


class ControlCode(StrEnum):
    """Why a control request was refused (``"code"`` of a ``{"ok": false}`` reply)."""

    INVALID_REQUEST = "INVALID_REQUEST"  # not exactly {"op": <op>, "app_id": <valid id>}
    FORBIDDEN = "FORBIDDEN"  # another user, or a peer more confined than the host
    REFUSED = "REFUSED"  # a valid request the app's state refuses (not running, ...)
    INTERNAL = "INTERNAL"


class ControlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    op: ControlOp
    app_id: AppIdText

    def line(self) -> bytes:
        return self.model_dump_json().encode() + b"\n"

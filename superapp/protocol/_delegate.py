"""The launcher's launch endpoint: what ``superapp run APP_ID`` sends to a running launcher.

``superapp run`` from a terminal asks the launcher host already running on the same data
directory to launch the app (its normal, verified launch path, from its prewarmed pool when the
app fits) and waits until that app ends, as ``code --wait`` waits in a running editor. The
socket is ``<state>/run/launcher.sock`` (``launcher_socket``); the host side is
``superapp.host._delegate``, the client ``superapp.cli._delegate``.

The exchange, one JSON object per line:

* request (client → host), exactly one: ``{"app_id": "<id>"}``. Nothing else is accepted: no
  path, bundle, flag or option; an unknown field, a wrong type or an id outside the id grammar
  is ``INVALID_REQUEST``.
* replies (host → client): ``LAUNCHED`` (with the runtime's pid, whether it came from the
  pool, and whether the app was resumed from the background), then ``RUNNING`` once its page
  has loaded, then ``ENDED`` (its final state and detail); or one refusal code
  (``REFUSALS``) and the connection closes.
* the client half-closes its end (or dies: its end closes) to stop the app: the host stops it
  and still sends ``ENDED``. The connection is the app's lease: no orphan outlives it.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from superapp.core.paths import Paths
from superapp.protocol._hostctl import AppIdText

__all__ = [
    "MAX_DELEGATE_LINE",
    "REFUSALS",
    "DelegateCode",
    "DelegateReply",
    "LaunchRequest",
    "launcher_socket",
]

#: The longest line either side reads (an app id is at most 128 characters; a reply carries a
#: detail capped by ``DelegateReply``). Longer is ``INVALID_REQUEST``.
MAX_DELEGATE_LINE = 4096
#: ``DelegateReply.detail`` is cut to this many characters (it may carry an app's notice).
MAX_DETAIL = 1000


def launcher_socket(paths: Paths) -> Path:
    """Where the launcher host of this data directory listens (in the owner-only run folder)."""
    return paths.launcher_socket


class DelegateCode(StrEnum):
    LAUNCHED = "LAUNCHED"
    RUNNING = "RUNNING"
    ENDED = "ENDED"
    #: Refusals: the connection closes after one of these.
    INVALID_REQUEST = "INVALID_REQUEST"  # not exactly {"app_id": <valid id>}
    FORBIDDEN = "FORBIDDEN"  # another user, or a peer more confined than the host
    NOT_INSTALLED = "NOT_INSTALLED"
    ALREADY_RUNNING = "ALREADY_RUNNING"  # the per-app run lock is held (this host or another)
    REFUSED = "REFUSED"  # the launch was refused (revoked, bundle fails verification, ...)
    HOST_EXITING = "HOST_EXITING"  # the launcher is closing: run on your own host
    INTERNAL = "INTERNAL"


REFUSALS = frozenset(DelegateCode) - {DelegateCode.LAUNCHED, DelegateCode.RUNNING}


class LaunchRequest(BaseModel):
    """The one request: an app id, nothing else (strict: no coercion, no extra field)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    app_id: AppIdText


class DelegateReply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: DelegateCode
    #: LAUNCHED: the runtime's pid and the launcher host's; whether a pooled runtime was claimed;
    #: whether the launcher resumed the app from the background (hidden, suspended, discarded).
    pid: int | None = None
    host_pid: int | None = None
    pooled: bool | None = None
    resumed: bool | None = None
    #: ENDED: the app's final state (``AppState`` value) and its detail; a refusal's message.
    state: str | None = None
    detail: str = ""

    @field_validator("detail")
    @classmethod
    def _cap(cls, value: str) -> str:
        return value[:MAX_DETAIL]

    def line(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode() + b"\n"

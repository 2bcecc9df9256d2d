"""The control protocol between the host and one runtime process (DESIGN §1).

It is a ``socketpair`` created by the supervisor; the runtime inherits its end as a file
descriptor. There is no listening socket, so nothing else on the machine can connect, and the
host knows which app is on the other end because it spawned that process for that app: the
channel *is* the app's identity. Messages are typed (pydantic, discriminated by ``type``),
framed as one JSON object per line, and capped in size; a malformed or oversized message
(``decode_message``) closes the channel (the supervisor then stops the runtime).

Runtime → host: ``hello``, ``confinement``, ``warm``, ``loaded``, ``audit``,
``consent_request``, ``share_request``, ``grants_query``, ``inbox_query``, ``metrics``, ``notice``,
``console`` (developer mode only), ``window_state``, ``page_saved``. Host → runtime: ``bind``
(first, once), ``consent_answer``, ``share_answer``, ``grants_reply``, ``inbox_reply``,
``terminate``, ``lifecycle`` (``_bind``: how a generic runtime becomes one app's;
``superapp.host._background``: the host's life-cycle commands).

Versioned: ``hello`` carries ``protocol``, and a host refuses (audits, then stops) a runtime
whose version is not ``PROTOCOL_VERSION``; a frame that is not one of these messages is
refused the same way (``Channel.serve``'s ``on_refused``).
"""

from __future__ import annotations

import functools
import json
import math
import socket
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from superapp.core.consent import ConsentAnswer
from superapp.core.strictjson import refuse_constants
from superapp.protocol._bind import (
    Bind,
    GrantsQuery,
    GrantsReply,
    InboxQuery,
    InboxReply,
    Warm,
)
from superapp.protocol._compaction import PageOut, SelfCompaction
from superapp.protocol._discard import PageSaved

__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_NESTING",
    "PROTOCOL_VERSION",
    "Audit",
    "Channel",
    "ChannelClosedError",
    "Confinement",
    "ConfinementLayer",
    "ConsentReply",
    "ConsentRequest",
    "Console",
    "Hello",
    "Lifecycle",
    "Loaded",
    "Message",
    "Metrics",
    "Notice",
    "ShareAnswer",
    "ShareRequest",
    "Terminate",
    "WindowState",
    "decode_message",
]

#: A message larger than this is a protocol violation (consent reasons and audit fields are
#: small; nothing page-sized crosses this channel).
MAX_MESSAGE_BYTES = 256 * 1024
#: Nesting of arrays and objects a frame may have. Messages are flat and audit fields shallow;
#: what the host accepts it serialises again (audit log, answers), and pydantic refuses to
#: serialise deep values ("Maximum serialization depth exceeded", found by bench/fuzz.py).
MAX_NESTING = 32
#: Bumped whenever a message changes shape; host and runtime must agree (they ship together,
#: but a runtime left over from an upgrade must not be half-understood).
#: 3: ``confinement`` (issue 14), ``console`` (developer mode).
#: 4: runtimes start generic and are bound (``_bind``: ``bind``, ``warm``, ``grants_query``/
#: ``grants_reply``, ``inbox_query``/``inbox_reply``).
#:    ``lifecycle`` and ``window_state`` (issue 16: the host's life-cycle commands).
#: 5: process-level discard (ADR 0014): ``lifecycle save``, ``page_saved``, ``bind.restore``.
#: 6: self-compaction (``_compaction``): ``lifecycle.page_out``, ``window_state.compaction``.
PROTOCOL_VERSION = 6


class _Msg(BaseModel):
    # ``defer_build``: a model's validator and serializer are built when first used, not at
    # import. A runtime imports this module before ``hello`` and uses a handful of these; the
    # build of all of them was ~0.07 s of CPU on its start path (issue 16, bench/RESULTS.md).
    # Validation is the same whenever it is built.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Hello(_Msg):
    type: Literal["hello"] = "hello"
    protocol: int  # PROTOCOL_VERSION of the sender; no default, so an old runtime is refused
    pid: int
    sandbox: bool  # False when Chromium's sandbox had to be disabled (DESIGN §6.9)


class ConfinementLayer(_Msg):
    status: Literal["on", "partial", "off", "unavailable"]
    detail: Annotated[str, Field(max_length=500)] = ""


class Confinement(_Msg):
    """Which OS-level layers the runtime applied before any app code (``superapp.confine``),
    by layer name; the host audits each one that is not on and may refuse the app."""

    type: Literal["confinement"] = "confinement"
    layers: Annotated[dict[str, ConfinementLayer], Field(max_length=16)]


class Loaded(_Msg):
    type: Literal["loaded"] = "loaded"
    url: str
    elapsed_ms: float  # from the runtime's start to the first page load
    renderer_pid: int | None = None


class Audit(_Msg):
    type: Literal["audit"] = "audit"
    action: str
    outcome: Literal["success", "failure", "unknown"] = "unknown"
    reason: str = ""
    fields: dict[str, Any] = Field(default_factory=dict)


class ConsentRequest(_Msg):
    type: Literal["consent_request"] = "consent_request"
    request_id: int
    capability: str
    reason: str


class ConsentReply(_Msg):
    """The host's answer to a ``consent_request`` (the answer is the one ``ConsentAnswer``)."""

    type: Literal["consent_answer"] = "consent_answer"
    request_id: int
    answer: ConsentAnswer


class ShareRequest(_Msg):
    type: Literal["share_request"] = "share_request"
    request_id: int
    to: str
    data: str  # JSON text, already size-checked by the runtime


class ShareAnswer(_Msg):
    type: Literal["share_answer"] = "share_answer"
    request_id: int
    outcome: Literal["delivered", "declined", "unknown_app", "inbox_full", "invalid"]


class Metrics(_Msg):
    """The runtime's cumulative counters: ``net.*`` (its request guard), ``egress.*`` (its
    proxy) and ``storage.writes`` (committed writes of its storage handle); the monitor turns
    them into rates between two reports."""

    type: Literal["metrics"] = "metrics"
    counters: dict[str, int]


class Notice(_Msg):
    type: Literal["notice"] = "notice"
    level: Literal["info", "warning", "error"]
    message: str


class Console(_Msg):
    """Developer mode only: one line the page printed (``stream="console"``) or one CSP
    refusal naming the file, the construct and the fix (``stream="csp"``). Page-chosen
    text: escaped wherever it is shown (``superapp.audit.safe_text``). The host ignores it
    from an app that is not in developer mode."""

    type: Literal["console"] = "console"
    stream: Literal["console", "csp"] = "console"
    level: Literal["info", "warning", "error"] = "info"
    text: str = Field(max_length=4096)
    #: The file (a bundle path, or a URL outside the app) and line it came from.
    source: str = Field(default="", max_length=2048)
    line: int = Field(default=0, ge=0)


class Terminate(_Msg):
    type: Literal["terminate"] = "terminate"
    reason: str
    #: The platform revoked the app: calls until the window closes are refused ``REVOKED``.
    revoked: bool = False


#: The engine's page life-cycle states (Qt WebEngine's ``QWebEnginePage.LifecycleState``,
#: after Chromium's Page Lifecycle API), as the runtime reports them.
PageLifecycle = Literal["active", "frozen", "discarded"]


class Lifecycle(_Msg):
    """The host's life-cycle command (the host owns the state machine; the runtime obeys):
    ``hide`` the window (the page gets ``hide``), ``freeze`` or ``discard`` the hidden page,
    ``resume`` it (restored, shown, the page gets ``show``); ``save``: answer ``page_saved``
    (the process is about to end, ``superapp.protocol._discard``)."""

    type: Literal["lifecycle"] = "lifecycle"
    command: Literal["hide", "freeze", "discard", "resume", "save"]
    #: With ``freeze``: what the runtime pages out of its own process once the page is frozen
    #: (``_compaction``); ``none`` for every other command.
    page_out: PageOut = "none"


class WindowState(_Msg):
    """The runtime's window and page as they are now: sent when the window is shown or
    hidden (by the user or a ``lifecycle`` command), after each command, and at most every
    few seconds while the user is using the window (``input``: the idle clock restarts)."""

    type: Literal["window_state"] = "window_state"
    visible: bool
    page: PageLifecycle
    #: The page played sound recently: a hidden app playing music is not suspended by the
    #: hidden timer (the engine's ``recommendedState`` would keep any page with a DevTools
    #: client active, so it is not used).
    audible: bool = False
    input: bool = False
    #: With the ``frozen`` page that answers a ``freeze`` that asked for ``page_out``: what
    #: the runtime says it advised (a bounded claim, ``_compaction``).
    compaction: SelfCompaction | None = None


Message = Annotated[
    Hello
    | Confinement
    | Loaded
    | Audit
    | ConsentRequest
    | ConsentReply
    | ShareRequest
    | ShareAnswer
    | Metrics
    | Notice
    | Console
    | Terminate
    | Lifecycle
    | WindowState
    | Warm
    | Bind
    | GrantsQuery
    | GrantsReply
    | InboxQuery
    | InboxReply
    | PageSaved,
    Field(discriminator="type"),
]


@functools.cache
def _adapter() -> TypeAdapter[Message]:
    """The one decoder's schema, built on the first frame decoded (see ``_Msg``); a race of
    two first frames builds it twice, to the same result."""
    return TypeAdapter(Message)


class ChannelClosedError(Exception):
    """The peer went away or broke the protocol."""


_refuse_constant = refuse_constants()


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as infinity
        raise ValueError(f"{text[:20]} is not a finite number")
    return value


def _check_strings(root: object) -> None:
    """Refuse lone surrogates (a JSON escape can carry them, UTF-8 cannot) in any string or
    key, and nesting deeper than ``MAX_NESTING``: what the host accepts it writes back (audit
    log, launcher, answers). No recursion."""
    stack: list[tuple[object, int]] = [(root, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_NESTING:
                raise ValueError(f"nested deeper than {MAX_NESTING}")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
        elif isinstance(value, str) and not value.isascii():
            value.encode("utf-8")  # UnicodeEncodeError is a ValueError


def decode_message(line: bytes) -> Message:
    """One received frame (a line, with its ``\\n``) as a typed message.

    Strict JSON, as the bridge's codec: no NaN or infinities, no lone surrogates, and no
    nesting so deep that the parser runs out of stack (bench/fuzz.py, bench/RESULTS.md).

    Raises:
        ChannelClosedError: the frame is oversized, unterminated, not JSON, or not one of
            the messages above; the channel is then closed.
    """
    if len(line) > MAX_MESSAGE_BYTES or not line.endswith(b"\n"):
        raise ChannelClosedError("oversized or unterminated control message")
    try:
        value = json.loads(line, parse_constant=_refuse_constant, parse_float=_finite_float)
        _check_strings(value)
        msg = _adapter().validate_python(value)
    except (ValueError, ValidationError) as err:
        raise ChannelClosedError(f"malformed control message: {err}") from None
    except RecursionError:
        # Deep nesting ("[[[[…", found by bench/fuzz.py) exhausts the JSON scanner's stack
        # before any size check could matter; it must close the channel like any other
        # malformed frame, not end the reader thread with an uncaught error.
        raise ChannelClosedError("malformed control message: nested too deeply") from None
    return msg


class Channel:
    """One end of the control socket: thread-safe ``send``, a reader loop for ``recv``."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._send_lock = threading.Lock()
        self._rfile = sock.makefile("rb", buffering=65536)
        self._closed = False

    @classmethod
    def from_fd(cls, fd: int) -> Channel:
        return cls(socket.socket(fileno=fd))

    def send(self, msg: BaseModel) -> None:
        data = msg.model_dump_json().encode("utf-8") + b"\n"
        if len(data) > MAX_MESSAGE_BYTES:
            raise ValueError(f"control message too large ({len(data)} bytes)")
        with self._send_lock:
            try:
                self._sock.sendall(data)
            except OSError as err:
                raise ChannelClosedError(str(err)) from err

    def recv(self) -> Message:
        """The next message; raises ``ChannelClosedError`` at EOF or on a protocol violation."""
        line = self._rfile.readline(MAX_MESSAGE_BYTES + 1)
        if not line:
            raise ChannelClosedError("peer closed the channel")
        return decode_message(line)

    def serve(
        self,
        handler: Callable[[Message], None],
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        """Read until the channel closes, passing each message to ``handler``.

        A frame that breaks the protocol ends the loop like EOF does, after ``on_refused``
        is told why (the host audits it and stops the runtime).
        """
        while True:
            try:
                line = self._rfile.readline(MAX_MESSAGE_BYTES + 1)
            except (OSError, ValueError):  # closed under us (the app exited): same as EOF
                return
            if not line:
                return
            try:
                msg = decode_message(line)
            except ChannelClosedError as err:
                if on_refused is not None:
                    on_refused(str(err)[:300])
                return
            handler(msg)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._rfile.close()
        self._sock.close()

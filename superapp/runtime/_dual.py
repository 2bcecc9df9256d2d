"""Dual mode, Qt-free: the messages between an app's view and its logic, and the host's own
documents that make up the logic context (docs/dual.md, docs/adr/0013-dual-mode-contexts.md).

A dual-mode app runs in two contexts of one runtime process:

- the **view**: the visible page. No ``callNative`` (the door is not installed in it at all),
  no network sources in its CSP, the same navigation rules as a single-page app. It holds
  ``postToLogic(message)`` and ``onLogicMessage(callback)``.
- the **logic**: the manifest's ``superapp.logic`` scripts in a dedicated Web Worker started by
  a hidden page at ``app://<app_id>/__superapp/logic.html``. A worker has no ``document``, no
  ``window``, cannot open windows or navigate. It alone holds ``callNative``, plus
  ``postToView(message)`` and ``onViewMessage(callback)``.

Every message between them crosses this process, where :func:`check_message` decides, in
order: size (bytes of the UTF-8 text) → JSON decode (no NaN/Infinity, no duplicate keys) →
shape (plain data only: objects with string keys, arrays, strings, finite numbers, booleans,
null; at most ``max_depth`` deep and ``max_nodes`` values) → the canonical text forwarded.
What is forwarded is always data the receiver parses with ``JSON.parse``: no function, code
or object with behaviour can cross, and nothing a view sends is ever read as a bridge call.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from superapp.bundles import RESERVED_PREFIX
from superapp.core.errors import InvalidParamsError, PayloadTooLargeError, RateLimitedError
from superapp.core.strictjson import refuse_constants, unique_keys

__all__ = [
    "DEFAULT_DUAL_LIMITS",
    "LOGIC_HOST_SCRIPT",
    "LOGIC_PAGE",
    "LOGIC_WORKER",
    "RESERVED_PREFIX",
    "DualLimits",
    "MessageRate",
    "check_message",
    "envelope_id",
    "logic_csp",
    "logic_worker_source",
    "open_envelope",
    "reserved_document",
    "view_csp",
]

#: The hidden page that starts the logic worker, its script, and the worker's entry script.
LOGIC_PAGE: Final = RESERVED_PREFIX + "logic.html"
LOGIC_HOST_SCRIPT: Final = RESERVED_PREFIX + "logic-host.js"
LOGIC_WORKER: Final = RESERVED_PREFIX + "logic-worker.js"


@dataclass(frozen=True)
class DualLimits:
    #: Largest message (UTF-8 bytes of its JSON text) either side may send.
    max_message_bytes: int = 64 * 1024
    #: Deepest nesting of objects/arrays in one message.
    max_depth: int = 32
    #: Most values (every object, array, key's value and scalar) in one message.
    max_nodes: int = 10_000
    #: Messages held for a side whose context is not up yet; more are refused.
    max_queued: int = 256
    #: Each side's token bucket (the same figures as the door's per-app ``calls`` bucket):
    #: up to ``burst`` messages at once, refilled at ``per_second``; more are RATE_LIMITED.
    burst: float = 1000.0
    per_second: float = 500.0


class MessageRate:
    """One token bucket per sending side, Qt-free (time from ``clock``, so tests hold it)."""

    def __init__(self, limits: DualLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, side: str) -> None:
        """Spend one token of ``side``'s bucket.

        Raises:
            RateLimitedError: the bucket is empty.
        """
        now = self._clock()
        tokens, last = self._buckets.get(side, (self._limits.burst, now))
        tokens = min(self._limits.burst, tokens + max(0.0, now - last) * self._limits.per_second)
        if tokens < 1.0:
            self._buckets[side] = (tokens, now)
            raise RateLimitedError(f"too many messages from the app's {side}")
        self._buckets[side] = (tokens - 1.0, now)


DEFAULT_DUAL_LIMITS: Final = DualLimits()


_no_duplicates = unique_keys(
    lambda key: InvalidParamsError(f"key {key[:40]!r} appears twice in one object")
)
_no_constant = refuse_constants(lambda name: InvalidParamsError(f"{name} is not plain data"))


def _check_shape(value: Any, limits: DualLimits) -> None:
    """Walk ``value`` iteratively (no recursion a message could exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            raise PayloadTooLargeError(f"a message may hold at most {limits.max_nodes} values")
        if depth > limits.max_depth:
            raise InvalidParamsError(f"a message may be nested at most {limits.max_depth} deep")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif item is None or isinstance(item, (str, bool, int, float)):
            continue
        else:  # json.loads makes nothing else; kept so the rule is written down
            raise InvalidParamsError("a message may hold plain data only")


def _decode(text: object, limits: DualLimits) -> Any:
    if not isinstance(text, str):
        raise InvalidParamsError("a message must arrive as JSON text")
    if len(text) > limits.max_message_bytes or (
        len(text.encode("utf-8", "surrogatepass")) > limits.max_message_bytes
    ):
        raise PayloadTooLargeError(
            f"a message may be at most {limits.max_message_bytes} bytes as JSON"
        )
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidParamsError("a message must be JSON (plain data)") from None


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def check_message(text: object, limits: DualLimits = DEFAULT_DUAL_LIMITS) -> str:
    """The canonical JSON text of one view↔logic message, or the reason it is refused.

    Raises:
        PayloadTooLargeError: over ``max_message_bytes`` or ``max_nodes``.
        InvalidParamsError: not a string, not JSON, not plain data, or nested too deep.
    """
    value = _decode(text, limits)
    _check_shape(value, limits)
    return _encode(value)


def open_envelope(text: object, limits: DualLimits = DEFAULT_DUAL_LIMITS) -> tuple[int, str]:
    """``(id, canonical data text)`` of one envelope ``{"id": <int>, "data": <message>}`` as
    the shims send it; the id is the sender's, for its acknowledgement.

    Raises:
        PayloadTooLargeError / InvalidParamsError: as :func:`check_message`, or the envelope
        is not exactly ``{id, data}``.
    """
    value = _decode(text, limits)
    if not isinstance(value, dict) or set(value) != {"id", "data"} or type(value["id"]) is not int:
        raise InvalidParamsError('a message travels as {"id": <integer>, "data": <message>}')
    _check_shape(value["data"], limits)
    return value["id"], _encode(value["data"])


def envelope_id(text: object) -> int | None:
    """The sender's id in an envelope that was refused, when one can be read (for its ack)."""
    if not isinstance(text, str) or len(text) > DEFAULT_DUAL_LIMITS.max_message_bytes * 4:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, dict) and type(value.get("id")) is int:
        return int(value["id"])
    return None


# --- Content-Security-Policy of each context ------------------------------------------------

_COMMON = [
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    # Nothing of a dual-mode app may be framed (a frame of its origin would share its storage).
    "frame-ancestors 'none'",
]


def view_csp() -> str:
    """The view: its own files only, no network source of any kind (its data comes from the
    logic), no workers (it cannot start a logic of its own), no frames."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "connect-src 'none'",
            "img-src 'self' data: blob:",
            "media-src 'self' data: blob:",
            "font-src 'self' data:",
            "style-src 'self' 'unsafe-inline'",
            "frame-src 'none'",
            "worker-src 'none'",
            "manifest-src 'none'",
            *_COMMON,
        ]
    )


def logic_csp(*, worker: bool) -> str:
    """The hidden page (``worker=False``) may run the host's script and start the one logic
    worker; the worker (``worker=True``; a dedicated worker's CSP is its script's response
    header) may import the app's scripts and nothing else: no connection of its own
    (``net.request`` goes through ``callNative``), no nested workers."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'none'",
            "worker-src 'none'" if worker else "worker-src 'self'",
            *_COMMON,
        ]
    )


# --- the host's documents at reserved paths --------------------------------------------------

_LOGIC_HTML = (
    "<!doctype html><html><head><meta charset='utf-8'><title>logic</title>"
    f"<script src='/{LOGIC_HOST_SCRIPT}'></script></head><body></body></html>"
)


def logic_worker_source(worker_shim: str, scripts: tuple[str, ...]) -> str:
    """The worker's entry script: the host's shim, then the app's logic scripts in order.

    The script list is the signed manifest's, written as JSON string literals (so no path can
    break out of the array)."""
    urls = json.dumps(["/" + s for s in scripts])
    return worker_shim.replace("__SUPERAPP_LOGIC_SCRIPTS__", urls)


def reserved_document(
    path: str, *, logic_host_js: str, worker_js: str
) -> tuple[bytes, str, str] | None:
    """``(body, content type, CSP)`` for a host path under ``__superapp/``, or None (404)."""
    if path == LOGIC_PAGE:
        return _LOGIC_HTML.encode(), "text/html", logic_csp(worker=False)
    if path == LOGIC_HOST_SCRIPT:
        return logic_host_js.encode(), "text/javascript", logic_csp(worker=False)
    if path == LOGIC_WORKER:
        return worker_js.encode(), "text/javascript", logic_csp(worker=True)
    return None

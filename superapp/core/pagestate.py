"""A discarded page's hand-over, judged the same way by the runtime and the host (ADR 0014).

Process-level discard ends an app's runtime; before it does, the page may hand over a small
value (``superapp.lifecycle.saveState``) and the host records where the page was. Both come
from the page, so both are data to check, never code or paths:

- the **state** must be plain JSON (objects, arrays, strings, numbers, booleans, null: it is
  parsed, never evaluated), at most ``max_bytes`` as compact UTF-8 JSON and ``max_depth`` deep;
- the **location** must be a URL of the app's own origin (``app://<app_id>/``); what is kept is
  its path, query and fragment, re-normalised (no ``..``, no backslashes, no control
  characters); anything else is refused and the page restarts at its entry page.

The runtime checks the state when the page hands it over (the bridge's ``INVALID_PARAMS`` /
``PAYLOAD_TOO_LARGE``); the host checks both again when the runtime sends them, because a
runtime runs the page's code (DESIGN §6.10): the host never trusts the runtime's check.
"""

from __future__ import annotations

import json
import math
import urllib.parse
from dataclasses import dataclass

from superapp.core.errors import InvalidParamsError, PayloadTooLargeError
from superapp.core.strictjson import refuse_constants

__all__ = ["PageStateLimits", "check_state", "encode_state", "in_app_location"]


@dataclass(frozen=True)
class PageStateLimits:
    """How much of a discarded page the host keeps (in its memory only, never on disk)."""

    #: The handed-over value as compact UTF-8 JSON.
    max_bytes: int = 64 * 1024
    #: Nesting of arrays and objects.
    max_depth: int = 16
    #: The recorded location (path, query, fragment).
    max_location: int = 2048


_refuse_constant = refuse_constants(
    lambda name: InvalidParamsError(f"saved state is not plain JSON ({name})")
)


def _check_plain(value: object, limits: PageStateLimits) -> None:
    """Plain JSON data only, no deeper than the limit; iterative (no recursion to exhaust)."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth >= limits.max_depth:
                raise InvalidParamsError(f"saved state is nested deeper than {limits.max_depth}")
            for key, sub in item.items():
                if not isinstance(key, str):
                    raise InvalidParamsError("saved state has a key that is not a string")
                stack.append((sub, depth + 1))
        elif isinstance(item, list):
            if depth >= limits.max_depth:
                raise InvalidParamsError(f"saved state is nested deeper than {limits.max_depth}")
            stack.extend((sub, depth + 1) for sub in item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise InvalidParamsError("saved state is not plain JSON (a non-finite number)")
        elif item is not None and not isinstance(item, str | int | bool):
            raise InvalidParamsError(f"saved state is not plain JSON ({type(item).__name__})")


def encode_state(value: object, limits: PageStateLimits) -> str:
    """``value`` (already decoded from JSON by the bridge) as the compact JSON text kept.

    Raises:
        InvalidParamsError: not plain JSON, or nested too deeply.
        PayloadTooLargeError: over ``max_bytes``.
    """
    _check_plain(value, limits)
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        size = len(text.encode("utf-8"))
    except (ValueError, UnicodeEncodeError) as err:  # a lone surrogate, a NaN
        raise InvalidParamsError("saved state is not plain JSON") from err
    if size > limits.max_bytes:
        raise PayloadTooLargeError(
            f"saved state is {size} bytes; at most {limits.max_bytes} are kept"
        )
    return text


def check_state(text: str, limits: PageStateLimits) -> str:
    """JSON text from a runtime, parsed (never evaluated) and checked; returns it re-encoded.

    Raises:
        InvalidParamsError: not JSON, not plain, or nested too deeply.
        PayloadTooLargeError: over ``max_bytes``.
    """
    if len(text) > limits.max_bytes:  # characters ≤ bytes: refused before parsing
        raise PayloadTooLargeError(
            f"saved state is over {limits.max_bytes} bytes; at most that is kept"
        )
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidParamsError("saved state is nested too deeply") from None
    except ValueError:
        raise InvalidParamsError("saved state is not JSON") from None
    return encode_state(value, limits)


def in_app_location(app_id: str, url: str, limits: PageStateLimits) -> str | None:
    """The path, query and fragment of ``url`` if it is a page of ``app://<app_id>/``,
    re-normalised; None for anything else (another origin or scheme, credentials, a port,
    ``..``, backslashes, control characters, over the length limit)."""
    if len(url) > limits.max_location or not url.isprintable():
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "app" or parts.netloc != app_id:
        return None
    raw_path = parts.path.lstrip("/")
    if "\\" in url:
        return None
    segments = urllib.parse.unquote(raw_path).split("/") if raw_path else []
    if any(seg in ("..", ".") or "\\" in seg or "\x00" in seg for seg in segments):
        return None
    location = raw_path
    if parts.query:
        location += "?" + parts.query
    if parts.fragment:
        location += "#" + parts.fragment
    return location

"""The wire format: request text in, reply text out (DESIGN §5).

Request: ``{"id": <int>, "api": <str>, "params": <object>}`` (``params`` may be omitted or
null, meaning ``{}``). Reply: ``{"id": <same>, "ok": true, "result": ...}`` or
``{"id": ..., "ok": false, "error": {"code": <CODE>, "message": <str>}}``; ``id`` is null
when it could not be read.

Decoding is an ordered procedure; the first failing step decides the error:

1. Type: the request must be ``str`` (or UTF-8 ``bytes``)            → INVALID_PARAMS
2. Size: at most ``max_request_bytes`` UTF-8 bytes, measured before
   parsing (the id is still recovered from a well-formed prefix)      → PAYLOAD_TOO_LARGE
3. JSON: strict JSON — no NaN/Infinity, no duplicate keys, numbers
   that fit (an overflowing float such as 1e999 is refused)          → INVALID_PARAMS
4. Envelope: an object with exactly ``id``, ``api``, optional
   ``params``; ``id`` an integer in ±``max_id`` (not a boolean)       → INVALID_PARAMS
5. Shape: nesting at most ``max_depth``; every string and key valid
   Unicode (no lone surrogates, which cannot be stored or logged)     → INVALID_PARAMS

Nothing here looks at the API name beyond "is it a string": lookup is the dispatcher's.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from bridge.errors import BridgeError, ErrorCode, InvalidParamsError, PayloadTooLargeError
from bridge.limits import BridgeLimits
from superapp.core.strictjson import refuse_constants, unique_keys

__all__ = ["BadRequestError", "Request", "decode_request", "encode_error", "encode_result"]

# The shim always writes the id first, so a request refused for its size can still be
# answered under its own id (the page's promise then settles instead of hanging).
_ID_PREFIX = re.compile(r'\A\s*\{\s*"id"\s*:\s*(0|-?[1-9][0-9]{0,15})\s*[,}]')
_ENVELOPE_KEYS = frozenset({"id", "api", "params"})


@dataclass(frozen=True)
class Request:
    id: int
    api: str
    params: dict[str, Any]


class BadRequestError(Exception):
    """The request could not be decoded; ``request_id`` is None when the id was unreadable."""

    def __init__(self, request_id: int | None, error: BridgeError) -> None:
        super().__init__(error.message)
        self.request_id = request_id
        self.error = error


_refuse_constant = refuse_constants()
_no_duplicate_keys = unique_keys(lambda _key: ValueError("duplicate key in object"))


def _utf8_size(text: str, limit: int) -> int:
    # A code point is at most 4 UTF-8 bytes: skip the encode when it cannot matter.
    if len(text) * 4 <= limit:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _valid_id(value: object, limits: BridgeLimits) -> int | None:
    if type(value) is int and -limits.max_id <= value <= limits.max_id:
        return value
    return None


def _prefix_id(text: str, limits: BridgeLimits) -> int | None:
    match = _ID_PREFIX.match(text[:64])
    return _valid_id(int(match.group(1)), limits) if match else None


def peek_id(raw: object, limits: BridgeLimits) -> int | None:
    """The request's id read from the start of its text only (as the shim writes it), for
    answering a call refused before it is decoded; None if it is not there."""
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw[:64]).decode("ascii", "replace")
    return _prefix_id(raw, limits) if isinstance(raw, str) else None


def _check_string(value: str) -> None:
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("strings must be valid Unicode (no lone surrogates)") from None


def _check_tree(root: object, max_depth: int) -> None:
    """Depth, string validity and finite numbers, without recursion."""
    stack: list[tuple[object, int]] = [(root, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_string(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError("numbers must be finite")
        elif isinstance(value, dict):
            if depth > max_depth:
                raise ValueError(f"nesting deeper than {max_depth - 1} levels")
            for key, item in value.items():
                _check_string(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > max_depth:
                raise ValueError(f"nesting deeper than {max_depth - 1} levels")
            stack.extend((item, depth + 1) for item in value)


def decode_request(raw: object, limits: BridgeLimits) -> Request:
    """Decode one request text, following the procedure in the module docstring.

    Raises:
        BadRequestError: carrying the wire error and the id, if it could be read.
    """
    # 1. type
    if isinstance(raw, bytes | bytearray):
        if len(raw) > limits.max_request_bytes:
            raise BadRequestError(None, PayloadTooLargeError("request is too large"))
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError(None, InvalidParamsError("request is not UTF-8")) from None
    elif isinstance(raw, str):
        text = raw
    else:
        raise BadRequestError(None, InvalidParamsError("request must be JSON text"))
    # 2. size
    if _utf8_size(text, limits.max_request_bytes) > limits.max_request_bytes:
        raise BadRequestError(
            _prefix_id(text, limits),
            PayloadTooLargeError(f"request is larger than {limits.max_request_bytes} bytes"),
        )
    # 3. JSON
    try:
        envelope = json.loads(
            text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicate_keys
        )
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError, NaN/Infinity, duplicate keys and integers
        # past Python's digit limit; RecursionError is pathological nesting.
        raise BadRequestError(
            _prefix_id(text, limits), InvalidParamsError("request is not valid JSON")
        ) from None
    # 4. envelope
    if not isinstance(envelope, dict):
        raise BadRequestError(None, InvalidParamsError("request must be a JSON object"))
    request_id = _valid_id(envelope.get("id"), limits)
    if request_id is None:
        raise BadRequestError(
            None, InvalidParamsError(f"request id must be an integer within ±{limits.max_id}")
        )
    if not _ENVELOPE_KEYS.issuperset(envelope) or "api" not in envelope:
        raise BadRequestError(
            request_id, InvalidParamsError("request must have exactly id, api and params")
        )
    api = envelope["api"]
    if not isinstance(api, str):
        raise BadRequestError(request_id, InvalidParamsError("api must be a string"))
    params = envelope.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise BadRequestError(request_id, InvalidParamsError("params must be a JSON object"))
    # 5. shape
    try:
        _check_tree(envelope, limits.max_depth)
    except ValueError as err:
        raise BadRequestError(request_id, InvalidParamsError(str(err))) from None
    return Request(request_id, api, params)


def _dump(reply: dict[str, Any]) -> str:
    return json.dumps(reply, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def encode_result(request_id: int, result: object) -> str:
    """The success reply. Raises ValueError/TypeError if ``result`` is not strict JSON."""
    return _dump({"id": request_id, "ok": True, "result": result})


def encode_error(request_id: int | None, code: ErrorCode, message: str) -> str:
    """The error reply; never raises (messages are made by the host, ids are ints)."""
    return json.dumps(
        {"id": request_id, "ok": False, "error": {"code": code, "message": message}},
        ensure_ascii=True,
        separators=(",", ":"),
    )

"""HTTP/1.1 message framing for the egress proxy (RFC 9112 §6), just enough to relay.

The proxy keeps a client connection open across requests only if it knows exactly where each
request and each response ends: then every request on the connection is read as a request and
decided on its own. Anything ambiguous (both ``Content-Length`` and ``Transfer-Encoding``,
several lengths, a transfer coding other than ``chunked``) raises :class:`FramingError` and the
connection is closed — the classic request-smuggling shapes never reach an upstream.
"""

from __future__ import annotations

import asyncio
from typing import Final

__all__ = [
    "HOP_HEADERS",
    "FramingError",
    "header",
    "parse_head",
    "relay_request_body",
    "relay_response_body",
    "wants_close",
]

#: Headers that describe one hop, never forwarded (the proxy sets its own).
HOP_HEADERS: Final = frozenset(
    {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "upgrade"}
)
_CHUNK: Final = 64 * 1024
_HEX: Final = frozenset("0123456789abcdefABCDEF")


class FramingError(ValueError):
    """The message's length cannot be known without guessing."""


Headers = list[tuple[str, str]]


def parse_head(head: bytes) -> tuple[str, Headers]:
    """``(start line, headers)`` of a message head ending in an empty line.

    Raises:
        FramingError: a header line without a name or with space before the colon.
    """
    lines = head.decode("latin-1").split("\r\n")
    headers: Headers = []
    for raw in lines[1:]:
        if not raw:
            continue
        name, sep, value = raw.partition(":")
        if not sep or not name or name != name.strip():
            raise FramingError("malformed header")
        headers.append((name, value.strip()))
    return lines[0], headers


def header(headers: Headers, name: str) -> str | None:
    """The first value of ``name`` (lower-case), or None."""
    return next((v for k, v in headers if k.lower() == name), None)


def wants_close(version: str, headers: Headers) -> bool:
    """Whether this message ends its connection (``Connection: close``, or HTTP/1.0 without
    ``keep-alive``)."""
    tokens = {
        t.strip().lower()
        for k, v in headers
        if k.lower() in ("connection", "proxy-connection")
        for t in v.split(",")
    }
    if "close" in tokens:
        return True
    return version == "HTTP/1.0" and "keep-alive" not in tokens


def _length(headers: Headers) -> int | str | None:
    """``"chunked"``, a byte count, or None (no body framing given)."""
    codings = [v for k, v in headers if k.lower() == "transfer-encoding"]
    lengths = [v for k, v in headers if k.lower() == "content-length"]
    if codings:
        if lengths or len(codings) > 1 or codings[0].strip().lower() != "chunked":
            raise FramingError("unsupported or ambiguous transfer-encoding")
        return "chunked"
    if lengths:
        if len(set(lengths)) > 1 or not lengths[0].isdigit() or len(lengths[0]) > 15:
            raise FramingError("invalid content-length")
        return int(lengths[0])
    return None


async def _exact(src: asyncio.StreamReader, dst: asyncio.StreamWriter, n: int) -> None:
    while n > 0:
        data = await src.read(min(n, _CHUNK))
        if not data:
            raise asyncio.IncompleteReadError(b"", n)
        n -= len(data)
        dst.write(data)
        await dst.drain()


async def _chunked(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    while True:
        line = await src.readuntil(b"\r\n")
        size_text = line.split(b";", 1)[0].strip().decode("latin-1")
        if not size_text or len(size_text) > 15 or not set(size_text) <= _HEX:
            raise FramingError("invalid chunk size")
        size = int(size_text, 16)
        dst.write(line)
        if size == 0:
            while True:  # trailer section, up to the empty line
                trailer = await src.readuntil(b"\r\n")
                dst.write(trailer)
                if trailer == b"\r\n":
                    await dst.drain()
                    return
        await _exact(src, dst, size)
        if await src.readexactly(2) != b"\r\n":
            raise FramingError("chunk without its CRLF")
        dst.write(b"\r\n")


async def relay_request_body(
    src: asyncio.StreamReader, dst: asyncio.StreamWriter, headers: Headers
) -> None:
    """Copy exactly the request's body (none, ``Content-Length`` bytes, or chunks).

    Raises:
        FramingError: the body's length is ambiguous.
    """
    length = _length(headers)
    if length == "chunked":
        await _chunked(src, dst)
    elif isinstance(length, int):
        await _exact(src, dst, length)


async def relay_response_body(
    src: asyncio.StreamReader,
    dst: asyncio.StreamWriter,
    method: str,
    status: int,
    headers: Headers,
) -> bool:
    """Copy exactly the response's body; True when it was delimited by the upstream closing
    (then the client connection must close too).

    Raises:
        FramingError: the body's length is ambiguous.
    """
    if method == "HEAD" or 100 <= status < 200 or status in (204, 304):
        return False
    length = _length(headers)
    if length == "chunked":
        await _chunked(src, dst)
        return False
    if isinstance(length, int):
        await _exact(src, dst, length)
        return False
    while data := await src.read(_CHUNK):
        dst.write(data)
        await dst.drain()
    return True

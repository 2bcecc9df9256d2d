"""HTTP/1.1 framing of the egress proxy: exact message ends, and refusal of ambiguity."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import pytest

from superapp.net._http1 import (
    FramingError,
    parse_head,
    relay_request_body,
    relay_response_body,
    wants_close,
)


class _Sink:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None


def _reader(data: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


def _run(make: Any) -> Any:
    """Run ``make()`` inside a fresh event loop (stream readers need a running loop), on a
    thread of its own: in a full run, Playwright's sync API keeps an event loop running on
    the main thread, where ``asyncio.run`` refuses to start another."""

    async def main() -> Any:
        return await make()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def test_chunked_request_body_is_relayed_to_its_end_and_no_further() -> None:
    body = b"3;ext=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n"
    sink = _Sink()

    async def go() -> bytes:
        reader = _reader(body + b"GET http://next/ HTTP/1.1\r\n\r\n")
        await relay_request_body(reader, sink, [("Transfer-Encoding", "chunked")])  # type: ignore[arg-type]
        return await reader.read()

    assert _run(go) == b"GET http://next/ HTTP/1.1\r\n\r\n"
    assert sink.data == body


def test_content_length_body_is_relayed_exactly() -> None:
    sink = _Sink()
    _run(lambda: relay_request_body(_reader(b"abcdeREST"), sink, [("Content-Length", "5")]))  # type: ignore[arg-type]
    assert sink.data == b"abcde"


@pytest.mark.parametrize(
    "headers",
    [
        [("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
        [("Content-Length", "3"), ("Content-Length", "4")],
        [("Content-Length", "-1")],
        [("Content-Length", "0x10")],
        [("Transfer-Encoding", "gzip")],
        [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")],
    ],
    ids=["cl-and-te", "two-lengths", "negative", "hex", "gzip", "te-twice"],
)
def test_ambiguous_framing_is_refused(headers: list[tuple[str, str]]) -> None:
    with pytest.raises(FramingError):
        _run(lambda: relay_request_body(_reader(b"abc"), _Sink(), headers))  # type: ignore[arg-type]


def test_bad_chunk_size_is_refused() -> None:
    with pytest.raises(FramingError):
        _run(
            lambda: relay_request_body(
                _reader(b"zz\r\n"), _Sink(), [("Transfer-Encoding", "chunked")]
            )
        )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "status", "headers", "data", "relayed", "by_close"),
    [
        ("HEAD", 200, [("Content-Length", "10")], b"", b"", False),
        ("GET", 204, [], b"", b"", False),
        ("GET", 304, [("Content-Length", "10")], b"", b"", False),
        ("GET", 200, [("Content-Length", "2")], b"ok", b"ok", False),
        ("GET", 200, [("Transfer-Encoding", "chunked")], b"2\r\nok\r\n0\r\n\r\n",
         b"2\r\nok\r\n0\r\n\r\n", False),
        ("GET", 200, [], b"until close", b"until close", True),
    ],
    ids=["head", "204", "304", "length", "chunked", "close-delimited"],
)  # fmt: skip
def test_response_body_ends_where_the_message_says(
    method: str,
    status: int,
    headers: list[tuple[str, str]],
    data: bytes,
    relayed: bytes,
    by_close: bool,
) -> None:
    sink = _Sink()
    got = _run(lambda: relay_response_body(_reader(data), sink, method, status, headers))  # type: ignore[arg-type]
    assert (sink.data, got) == (relayed, by_close)


def test_truncated_body_is_an_incomplete_read() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        _run(lambda: relay_request_body(_reader(b"ab"), _Sink(), [("Content-Length", "5")]))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("version", "headers", "close"),
    [
        ("HTTP/1.1", [], False),
        ("HTTP/1.1", [("Connection", "Close")], True),
        ("HTTP/1.1", [("Proxy-Connection", "keep-alive, close")], True),
        ("HTTP/1.0", [], True),
        ("HTTP/1.0", [("Connection", "keep-alive")], False),
    ],
)
def test_wants_close(version: str, headers: list[tuple[str, str]], close: bool) -> None:
    assert wants_close(version, headers) is close


def test_head_with_a_nameless_header_is_refused() -> None:
    with pytest.raises(FramingError):
        parse_head(b"GET / HTTP/1.1\r\n: x\r\n\r\n")
    with pytest.raises(FramingError):
        parse_head(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n")

"""The recorder itself: it records what it gets, answers what tests need, never sleeps."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import struct
import threading
from dataclasses import dataclass

import pytest

from tests.helpers.recorder import Recorder
from tests.helpers.tls import make_tls


@dataclass
class _Resp:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def getheader(self, name: str) -> str | None:
        return self.headers.get(name)

    def read(self) -> bytes:
        return self.body


def _get(rec: Recorder, path: str, method: str = "GET", **headers: str) -> _Resp:
    conn = http.client.HTTPConnection(rec.host, rec.port, timeout=10)
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        return _Resp(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def test_records_method_path_and_headers(recorder: Recorder) -> None:
    resp = _get(recorder, "/a/b.js?x=1", **{"X-Probe": "yes"})
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "text/javascript"
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
    (hit,) = recorder.wait_for_hits(1)
    assert (hit.method, hit.path, hit.protocol) == ("GET", "/a/b.js?x=1", "http")
    assert hit.header("x-probe") == "yes"


def test_routes_and_builtins(recorder: Recorder) -> None:
    recorder.route("/custom", status=418, body="teapot", headers={"X-A": "1"})
    resp = _get(recorder, "/custom")
    assert (resp.status, resp.read(), resp.getheader("X-A")) == (418, b"teapot", "1")
    resp = _get(recorder, "/redirect?to=http://example.test/&code=307")
    assert (resp.status, resp.getheader("Location")) == (307, "http://example.test/")
    resp = _get(recorder, "/bytes/5")
    assert resp.read() == b"xxxxx"
    echo = json.loads(_get(recorder, "/echo", **{"X-B": "2"}).read())
    assert echo["method"] == "GET" and ["X-B", "2"] in echo["headers"]
    assert _get(recorder, "/pre", "OPTIONS").status == 204
    assert len(recorder.hits) == 5


def test_wait_for_hits_times_out_with_what_it_saw(recorder: Recorder) -> None:
    _get(recorder, "/one").read()
    with pytest.raises(TimeoutError, match="GET /one"):
        recorder.wait_for_hits(2, timeout=0.05)


def test_wait_for_hits_wakes_on_a_hit_from_another_thread(recorder: Recorder) -> None:
    worker = threading.Thread(target=lambda: _get(recorder, "/late").read())
    worker.start()
    (hit,) = recorder.wait_for_hits(1, where=lambda h: h.path == "/late")
    worker.join()
    assert hit.path == "/late"


def test_hang_is_released_when_the_recorder_closes() -> None:
    rec = Recorder().start()
    conn = http.client.HTTPConnection(rec.host, rec.port, timeout=10)
    conn.request("GET", "/hang")
    rec.wait_for_hits(1)
    rec.close()
    with pytest.raises((http.client.HTTPException, OSError)):
        conn.getresponse()
    conn.close()


def test_websocket_handshake_is_recorded_and_echoes(recorder: Recorder) -> None:
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection((recorder.host, recorder.port), timeout=10) as sock:
        sock.sendall(
            (
                f"GET /ws HTTP/1.1\r\nHost: {recorder.netloc}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += sock.recv(1024)
        assert reply.startswith(b"HTTP/1.1 101")
        mask = b"\x01\x02\x03\x04"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(b"hello"))
        sock.sendall(bytes([0x81, 0x80 | 5]) + mask + payload)
        frame = sock.recv(1024)
        assert frame[:2] == bytes([0x81, 5]) and frame[2:] == b"hello"
        sock.sendall(
            bytes([0x88, 0x82])
            + mask
            + bytes(b ^ mask[i] for i, b in enumerate(struct.pack("!H", 1000)))
        )
    (hit,) = recorder.wait_for_hits(1)
    assert (hit.protocol, hit.path) == ("ws", "/ws")


def test_tls_recorder_serves_https(recorder_factory) -> None:  # type: ignore[no-untyped-def]
    tls = make_tls("127.0.0.1")
    rec = recorder_factory(ssl_context=tls.server_context)
    conn = http.client.HTTPSConnection(rec.host, rec.port, timeout=10, context=tls.client_context)
    conn.request("GET", "/x.txt")
    assert conn.getresponse().read() == b"ok"
    conn.close()
    assert rec.origin.startswith("https://")
    assert rec.wait_for_hits(1)[0].path == "/x.txt"

"""A local HTTP + WebSocket server that records every request it receives — and, one layer
below, every TCP connection it accepts and every UDP datagram sent to its port.

The TCP and UDP listeners share one port number on 127.0.0.1, so a hostile page that names
``127.0.0.1:<port>`` (or a test host mapped to it) as a STUN/TURN server or an ICE candidate
is counted whichever transport the engine tries. :attr:`Recorder.connections` and
:attr:`Recorder.datagrams` count what arrives before any parsing: a bare preconnect, a TLS
hello or a STUN binding request is a contact even though it is no HTTP request.

Attack tests point hostile pages at it and assert it received nothing; the "allowlisted"
twin of each test asserts it did receive the request, so a guard that blocks everything
fails too. It listens on 127.0.0.1 on an ephemeral port (optionally with TLS) and answers:

==========================  ===============================================================
path                        answer
==========================  ===============================================================
``/redirect?to=URL&code=N`` ``N`` (default 302) with ``Location: URL``
``/status/N``               status ``N``, empty body
``/bytes/N``                ``N`` bytes of ``x`` (``application/octet-stream``)
``/stream/N``               ``N`` bytes with no ``Content-Length`` (ends at connection close)
``/echo``                   JSON: method, path, headers, body (base64-free text, UTF-8)
``/hang``                   never answers, until the recorder is closed (timeout tests)
``/set-cookie``             200 with a ``Set-Cookie`` header
any path, ``Upgrade:        WebSocket handshake, then echoes text and binary frames
websocket``
anything else               200, body and ``Content-Type`` from the extension (``.js``,
                            ``.css``, ``.png``, ``.gif``, ``.woff2``, ``.html``, ``.json``,
                            other: ``text/plain`` ``ok``); ``route()`` overrides a path
==========================  ===============================================================

Every answer carries ``Access-Control-Allow-Origin: *`` and ``OPTIONS`` preflights succeed,
so an allowlisted ``fetch`` from an ``app://`` page works. The hit is recorded *before* the
answer is sent, so a test that saw the answer sees the hit.

Waiting never sleeps blindly: :meth:`Recorder.wait_for_hits` blocks on a condition variable
that every hit notifies.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Final
from urllib.parse import parse_qs, urlsplit

__all__ = ["Hit", "Recorder", "Route", "recorder_server"]

_WS_GUID: Final = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: A 1×1 transparent PNG and GIF, so <img> loads succeed when allowed.
_PNG: Final = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
_GIF: Final = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_BY_EXTENSION: Final[Mapping[str, tuple[str, bytes]]] = {
    ".js": ("text/javascript", b"/* recorder */\n"),
    ".mjs": ("text/javascript", b"export {};\n"),
    ".css": ("text/css", b"/* recorder */\n"),
    ".png": ("image/png", _PNG),
    ".gif": ("image/gif", _GIF),
    ".woff2": ("font/woff2", b"wOF2"),
    ".woff": ("font/woff", b"wOFF"),
    ".html": ("text/html; charset=utf-8", b"<!doctype html><title>recorder</title>ok"),
    ".json": ("application/json", b"{}"),
    ".txt": ("text/plain; charset=utf-8", b"ok"),
}


@dataclass(frozen=True)
class Hit:
    """One request the recorder received."""

    method: str
    path: str
    #: Header names as received; look up with :meth:`header` (case-insensitive).
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    #: ``http`` or ``ws`` (a WebSocket handshake).
    protocol: str = "http"
    client: str = ""

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), None)


@dataclass(frozen=True)
class Route:
    """A fixed answer for one path (query ignored)."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


class Recorder:
    """The server. Use as a context manager, or :meth:`start` / :meth:`close`."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._cond = threading.Condition()
        self._hits: list[Hit] = []
        self._routes: dict[str, Route] = {}
        self._closing = threading.Event()
        self._open: set[socket.socket] = set()
        self._ssl = ssl_context
        self._connections = 0
        self._datagrams: list[tuple[str, bytes]] = []
        self._server, self._udp = _bind_pair(self)
        self._thread: threading.Thread | None = None
        self._udp_thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> Recorder:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="recorder", daemon=True
        )
        self._thread.start()
        self._udp_thread = threading.Thread(
            target=self._serve_udp, name="recorder-udp", daemon=True
        )
        self._udp_thread.start()
        return self

    def _serve_udp(self) -> None:
        while not self._closing.is_set():
            try:
                data, addr = self._udp.recvfrom(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._cond:
                self._datagrams.append((str(addr[0]), data))
                self._cond.notify_all()

    def close(self) -> None:
        """Stop serving and release every open connection (idempotent)."""
        if self._closing.is_set():
            return
        self._closing.set()
        with self._cond:
            open_socks = list(self._open)
        for sock in open_socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        if self._udp_thread is not None:
            self._udp_thread.join()
        self._udp.close()

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- addresses -----------------------------------------------------------------------
    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def netloc(self) -> str:
        """``127.0.0.1:<port>``: the entry to put in a manifest's allowlist."""
        return f"{self.host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{'https' if self._ssl else 'http'}://{self.netloc}"

    def url(self, path: str = "/") -> str:
        return self.origin + (path if path.startswith("/") else "/" + path)

    def ws_url(self, path: str = "/ws") -> str:
        scheme = "wss" if self._ssl else "ws"
        return f"{scheme}://{self.netloc}" + (path if path.startswith("/") else "/" + path)

    # --- configuration -------------------------------------------------------------------
    def route(
        self,
        path: str,
        *,
        status: int = 200,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``path`` with a fixed response from now on."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._cond:
            self._routes[path] = Route(status, data, dict(headers or {}))

    # --- contacts below HTTP ----------------------------------------------------------------
    @property
    def connections(self) -> int:
        """TCP connections accepted so far (counted on accept, before TLS or any byte)."""
        with self._cond:
            return self._connections

    @property
    def datagrams(self) -> list[tuple[str, bytes]]:
        """``(sender address, payload)`` of every UDP datagram received on :attr:`port`."""
        with self._cond:
            return list(self._datagrams)

    @property
    def contacts(self) -> int:
        """Everything that reached this port: TCP connections plus UDP datagrams."""
        with self._cond:
            return self._connections + len(self._datagrams)

    # --- hits ----------------------------------------------------------------------------
    @property
    def hits(self) -> list[Hit]:
        """A snapshot of every hit so far, in arrival order."""
        with self._cond:
            return list(self._hits)

    def clear(self) -> None:
        with self._cond:
            self._hits.clear()

    def wait_for_hits(
        self,
        count: int = 1,
        *,
        timeout: float = 10.0,
        where: Callable[[Hit], bool] | None = None,
    ) -> list[Hit]:
        """Block until ``count`` hits (matching ``where``) arrived; return them.

        Raises:
            TimeoutError: with the hits seen so far, if they do not arrive in ``timeout`` s.
        """

        def matching() -> list[Hit]:
            return [h for h in self._hits if where is None or where(h)]

        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := matching()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f"{h.method} {h.path}" for h in self._hits]
                    raise TimeoutError(f"expected {count} hit(s) in {timeout} s, saw {seen}")
                self._cond.wait(left)
            return found[:count]

    # --- used by the handler -------------------------------------------------------------
    def _record(self, hit: Hit) -> None:
        with self._cond:
            self._hits.append(hit)
            self._cond.notify_all()

    def _route_for(self, path: str) -> Route | None:
        with self._cond:
            return self._routes.get(path)

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._cond:
            (self._open.add if add else self._open.discard)(sock)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], recorder: Recorder
    ) -> None:
        self.recorder = recorder
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        sock, addr = super().get_request()
        with self.recorder._cond:
            self.recorder._connections += 1
            self.recorder._cond.notify_all()
        ctx = self.recorder._ssl
        if ctx is not None:
            sock = ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30

    def setup(self) -> None:
        super().setup()
        self.server.recorder._track(self.connection, True)

    def finish(self) -> None:
        self.server.recorder._track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def handle(self) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            if isinstance(self.connection, ssl.SSLSocket):
                self.connection.do_handshake()
            super().handle()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read hits, not logs."""

    # every method goes through one place
    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _serve(self) -> None:
        recorder = self.server.recorder
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        is_ws = (self.headers.get("Upgrade") or "").lower() == "websocket"
        recorder._record(
            Hit(
                method=self.command,
                path=self.path,
                headers=tuple(self.headers.items()),
                body=body,
                protocol="ws" if is_ws else "http",
                client=self.client_address[0],
            )
        )
        if is_ws:
            self._websocket()
            return
        split = urlsplit(self.path)
        route = recorder._route_for(split.path)
        if route is not None:
            self._answer(route.status, route.body, route.headers)
        elif self.command == "OPTIONS":
            self._answer(204, b"", {})
        else:
            self._builtin(split.path, parse_qs(split.query), body)

    def _builtin(self, path: str, query: Mapping[str, list[str]], body: bytes) -> None:
        if path == "/redirect":
            code = int(query.get("code", ["302"])[0])
            self._answer(code, b"", {"Location": query.get("to", ["/"])[0]})
        elif path.startswith("/status/"):
            self._answer(int(path.rsplit("/", 1)[1]), b"", {})
        elif path.startswith("/bytes/"):
            n = int(path.rsplit("/", 1)[1])
            self._answer(200, b"x" * n, {"Content-Type": "application/octet-stream"})
        elif path.startswith("/stream/"):
            self._stream(int(path.rsplit("/", 1)[1]))
        elif path == "/echo":
            echo = {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": body.decode("utf-8", "replace"),
            }
            data = json.dumps(echo).encode("utf-8")
            self._answer(200, data, {"Content-Type": "application/json"})
        elif path == "/hang":
            self.server.recorder._closing.wait()
            self.close_connection = True
        elif path == "/set-cookie":
            self._answer(200, b"ok", {"Set-Cookie": "session=secret; Path=/"})
        else:
            dot = path.rfind(".")
            ctype, data = _BY_EXTENSION.get(
                path[dot:] if dot != -1 else "", ("text/plain; charset=utf-8", b"ok")
            )
            self._answer(200, data, {"Content-Type": ctype})

    def _stream(self, n: int) -> None:
        """``n`` bytes with no Content-Length: the body ends when the connection closes."""
        self.send_response(200, "OK")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for start in range(0, n, 4096):
            self.wfile.write(b"s" * min(4096, n - start))
        self.wfile.flush()

    def _answer(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        try:
            self.send_response(status, HTTPStatus(status).phrase)
        except ValueError:
            self.send_response(status, "Status")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "*")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.send_header("Cache-Control", "no-store")
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Type" not in headers:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        if not any(k.lower() == "content-length" for k in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    # --- WebSocket (RFC 6455): handshake, then echo ----------------------------------------
    def _websocket(self) -> None:
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()  # noqa: S324 - fixed by RFC 6455
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        for opcode, payload in _frames(self.rfile.read):
            if opcode == 0x8:  # close
                self._send_frame(0x8, payload[:2])
                return
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
            elif opcode in (0x1, 0x2):
                self._send_frame(opcode, payload)

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([n])
        elif n < 1 << 16:
            head += bytes([126]) + struct.pack("!H", n)
        else:
            head += bytes([127]) + struct.pack("!Q", n)
        self.wfile.write(head + payload)
        self.wfile.flush()


def _frames(read: Callable[[int], bytes]) -> Iterator[tuple[int, bytes]]:
    """Client frames (masked), reassembling nothing: the tests send small messages."""
    while True:
        head = read(2)
        if len(head) < 2:
            return
        opcode, n = head[0] & 0x0F, head[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", read(8))[0]
        mask = read(4) if head[1] & 0x80 else b"\0\0\0\0"
        data = read(n)
        yield opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _bind_pair(recorder: Recorder) -> tuple[_Server, socket.socket]:
    """A TCP server and a UDP socket on the same free port of 127.0.0.1."""
    for _attempt in range(20):
        server = _Server(("127.0.0.1", 0), _Handler, recorder)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("127.0.0.1", int(server.server_address[1])))
        except OSError:
            udp.close()
            server.server_close()
            continue
        udp.settimeout(0.05)
        return server, udp
    raise OSError("no port free for both TCP and UDP")


@contextlib.contextmanager
def recorder_server(*, ssl_context: ssl.SSLContext | None = None) -> Iterator[Recorder]:
    """A started :class:`Recorder`, closed on exit."""
    with Recorder(ssl_context=ssl_context) as rec:
        yield rec

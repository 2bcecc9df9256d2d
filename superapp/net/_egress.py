"""The per-runtime egress proxy: the wall below the engine (DESIGN §6.3).

The request interceptor sees requests; the engine also opens connections that are not
requests (peer-to-peer media transports, speculative connects). So every runtime starts this
proxy on 127.0.0.1 before the engine, and the engine is started with
``--proxy-server=http://127.0.0.1:PORT --proxy-bypass-list=<-loopback>`` (no bypass, not even
for loopback) and WebRTC restricted to proxied transports. Whatever the engine opens then
arrives here, and this proxy decides it again, knowing nothing of what the page claimed:

1. Read the request head (size and time limited). ``OPTIONS *`` carrying this proxy's secret
   token is the liveness probe (:meth:`EgressProxy.check_live`); nothing else is answered
   without a decision.
2. ``CONNECT host:port`` (https, wss, ws and proxied WebRTC relays) is allowed when the app's
   :class:`NetPolicy` allows ``https://host:port/`` or ``http://host:port/`` (the interceptor
   has already judged the scheme of each request inside). Absolute-form ``http://`` requests
   are decided as such; anything else is refused.
3. The host is resolved **here** (the engine never resolves names), and every answer is
   vetted: a name in a special-use domain, or any answer that is not a public address
   (loopback, private, link-local, …: ``_special.local_address``), refuses the connection —
   a listed name that resolves locally (DNS rebinding) included. The connection goes to a
   vetted address, never to the name again.
4. A refusal answers ``403`` and is reported through ``on_refused`` (the runtime audits it as
   ``net.blocked`` with ``via=egress``); nothing is sent upstream.
5. Plain ``http`` is forwarded with keep-alive only while every message's end is known
   (``_http1``): each request on a connection is read and decided on its own, so no request
   can ride an earlier decision; anything ambiguous closes the connection.

Test hosts (end-to-end tests only): ``test_hosts`` maps exact ``.test`` names to a loopback
port (from ``SUPERAPP_TEST_HOSTS``), and ``test_dns`` makes the resolver answer a fixed
address for a ``.test`` name (``SUPERAPP_TEST_DNS``), which is then vetted like any answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import secrets
import socket
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from superapp.core.errors import EgressUnavailableError
from superapp.net._connect import addresses_of
from superapp.net._host import HostError, IPAddress
from superapp.net._http1 import (
    HOP_HEADERS,
    FramingError,
    Headers,
    header,
    parse_head,
    relay_request_body,
    relay_response_body,
    wants_close,
)
from superapp.net._policy import NetPolicy, RequestKind
from superapp.net._special import local_address, local_target
from superapp.net._url import Authority, parse_authority, split_port, split_scheme

__all__ = [
    "AsyncResolver",
    "EgressLimits",
    "EgressProxy",
    "EgressUnavailableError",
    "RefusalSink",
]

#: ``(url, rule, reason, kind)`` of one refused connection.
RefusalSink = Callable[[str, str, str, str], None]
AsyncResolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]

_LOOPBACK: Final = ipaddress.IPv4Address("127.0.0.1")
_PROBE_HEADER: Final = "x-superapp-egress"


@dataclass(frozen=True)
class EgressLimits:
    """Every limit of the egress proxy, with its default."""

    #: Request and response heads larger than this are refused.
    max_head_bytes: int = 64 * 1024
    #: A client must send its whole request head within this time.
    head_timeout_s: float = 15.0
    #: Resolving and connecting to one upstream address.
    connect_timeout_s: float = 10.0
    #: Client connections open at once; more are refused (a page cannot exhaust the process).
    max_connections: int = 256
    relay_chunk_bytes: int = 64 * 1024
    #: How long a kept-alive client connection may sit idle between forwarded requests.
    idle_timeout_s: float = 60.0
    #: How long :meth:`EgressProxy.check_live` waits for the probe's answer.
    probe_timeout_s: float = 5.0


class _Unreachable(Exception):
    """Allowed, but the upstream could not be resolved or reached (answered 502)."""


class _Refused(Exception):
    def __init__(self, url: str, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.url, self.rule, self.reason = url, rule, reason


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    return addresses_of(await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM))


class EgressProxy:
    """One app's egress proxy. :meth:`start` it, point the engine at :attr:`port`."""

    def __init__(
        self,
        policy: NetPolicy,
        on_refused: RefusalSink,
        *,
        limits: EgressLimits | None = None,
        resolver: AsyncResolver = system_resolver,
        test_hosts: Mapping[str, int] | None = None,
        test_dns: Mapping[str, tuple[IPAddress, int | None]] | None = None,
    ) -> None:
        self.policy = policy
        self.limits = limits or EgressLimits()
        self._on_refused = on_refused
        self._resolver = resolver
        self._test_hosts = {k: v for k, v in (test_hosts or {}).items() if k.endswith(".test")}
        self._test_dns = {k: v for k, v in (test_dns or {}).items() if k.endswith(".test")}
        self._token = secrets.token_hex(16)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._open = 0
        self._transports: set[asyncio.WriteTransport] = set()
        self._lock = threading.Lock()
        #: ``connections``, ``tunnels``, ``forwards``, ``refused``: read by the runtime's metrics.
        self.counters: Counter[str] = Counter()
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------------
    def start(self, sock: socket.socket | None = None) -> int:
        """Listen on 127.0.0.1 (an ephemeral port, or ``sock``: a listening socket bound
        before the runtime's lockdown took its bind right away) and serve from a thread."""
        if self._thread is not None:
            raise RuntimeError("the egress proxy was already started")
        started = threading.Event()
        failure: list[BaseException] = []
        loop = self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._client, sock=sock, limit=self.limits.max_head_bytes)
                    if sock is not None
                    else asyncio.start_server(
                        self._client, str(_LOOPBACK), 0, limit=self.limits.max_head_bytes
                    )
                )
                self.port = int(self._server.sockets[0].getsockname()[1])
            except OSError as exc:
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._server.wait_closed())
                loop.close()

        self._thread = threading.Thread(target=run, name="egress-proxy", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            raise EgressUnavailableError(f"the egress proxy could not listen: {failure[0]}")
        return self.port

    def close(self) -> None:
        """Stop listening and drop every connection (idempotent)."""
        loop = self._loop
        if self._thread is None or loop is None or loop.is_closed():
            return

        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            # Abort every transport (both sides of every relay): each connection's task then
            # ends on its own, so none is left pending when the loop stops.
            for transport in list(self._transports):
                transport.abort()
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if pending:
                await asyncio.wait(pending, timeout=2)

        try:
            asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:  # the loop already ended
            return
        self._thread.join(5)

    def check_live(self) -> None:
        """Prove the proxy answers on :attr:`port` (and that it is this proxy: the probe
        carries a secret only this object knows).

        Raises:
            EgressUnavailableError: not listening, not answering, or someone else's port.
        """
        if not self.port:
            raise EgressUnavailableError("the egress proxy was never started")
        probe = f"OPTIONS * HTTP/1.1\r\n{_PROBE_HEADER}: {self._token}\r\n\r\n".encode()
        try:
            with socket.create_connection(
                (str(_LOOPBACK), self.port), timeout=self.limits.probe_timeout_s
            ) as sock:
                sock.sendall(probe)
                answer = b""
                while b"\r\n\r\n" not in answer and len(answer) < 4096:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
        except OSError as exc:
            raise EgressUnavailableError(f"the egress proxy is not answering: {exc}") from None
        if self._token.encode() not in answer or not answer.startswith(b"HTTP/1.1 204"):
            raise EgressUnavailableError("the egress proxy's port answers with something else")

    # --- one client connection -------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self._open += 1
            over = self._open > self.limits.max_connections
        self.counters["connections"] += 1
        self._transports.add(writer.transport)
        try:
            if over:
                await self._answer(writer, 503, "too many connections")
                return
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._open -= 1
            self._transports.discard(writer.transport)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.limits.head_timeout_s)
        line, headers = parse_head(head)
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await self._answer(writer, 400, "malformed request")
            return
        method, target, version = parts
        if method == "OPTIONS" and target == "*":
            if secrets.compare_digest(header(headers, _PROBE_HEADER) or "", self._token):
                writer.write(
                    f"HTTP/1.1 204 No Content\r\n{_PROBE_HEADER}: {self._token}\r\n"
                    "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
                )
                await writer.drain()
                return
            await self._answer(writer, 400, "not a proxy request")
            return
        try:
            if method == "CONNECT":
                await self._tunnel(target, reader, writer)
            else:
                await self._forward((method, target, version), headers, reader, writer)
        except _Refused as refused:
            self.counters["refused"] += 1
            self._on_refused(refused.url, refused.rule, refused.reason, "connect")
            await self._answer(writer, 403, "blocked by superapp")
        except _Unreachable:
            self.counters["unreachable"] += 1
            await self._answer(writer, 502, "upstream unreachable")

    async def _tunnel(
        self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        shown = target[:300]
        try:
            if not split_port(target)[1] or any(c in target for c in "/\\?#@"):
                raise HostError("malformed", "CONNECT needs exactly host:port")
            auth = parse_authority("https", "//" + target)
        except HostError as exc:
            raise _Refused(shown, exc.rule, exc.reason) from None
        port = auth.port or 443
        url = f"https://{auth.host}:{port}/"
        https = self.policy.decide(url, kind=RequestKind.OTHER, top_level=False)
        plain = self.policy.decide(
            f"http://{auth.host}:{port}/", kind=RequestKind.OTHER, top_level=False
        )
        if not (https.allowed or plain.allowed):
            raise _Refused(f"{auth.host}:{port}", https.rule, https.reason)
        upstream_r, upstream_w = await self._connect(auth, port, f"{auth.host}:{port}")
        self.counters["tunnels"] += 1
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await self._relay(reader, writer, upstream_r, upstream_w)

    async def _forward(
        self,
        request: tuple[str, str, str],
        headers: Headers,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Absolute-form ``http://`` requests, kept alive only while every message's end is
        known (``_http1``): each request on the connection is decided on its own, and the
        upstream connection is reused only for the same decided host and port."""
        method, target, version = request
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        key: tuple[str, int] | None = None
        try:
            while True:
                auth = self._decide_forward(target)
                port = auth.port or 80
                if upstream is None or key != (auth.host.name, port):
                    if upstream is not None:
                        self._drop(upstream[1])
                    upstream = await self._connect(auth, port, auth.url())
                    key = (auth.host.name, port)
                self.counters["forwards"] += 1
                up_r, up_w = upstream
                # Host is the decided authority, never what the client wrote beside it.
                kept = [(k, v) for k, v in headers if k.lower() not in HOP_HEADERS | {"host"}]
                authority = f"{auth.host}:{auth.port}" if auth.explicit_port else str(auth.host)
                lines = [f"{method} {auth.target} HTTP/1.1", f"Host: {authority}"]
                lines += [f"{k}: {v}" for k, v in kept]
                up_w.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
                await relay_request_body(reader, up_w, headers)
                client_close = wants_close(version, headers)
                if not await self._response(method, up_r, writer, client_close):
                    return
                if up_r.at_eof():  # the upstream ended the connection after a full answer
                    self._drop(up_w)
                    upstream = None
                head = await asyncio.wait_for(
                    reader.readuntil(b"\r\n\r\n"), self.limits.idle_timeout_s
                )
                line, headers = parse_head(head)
                parts = line.split(" ")
                if len(parts) != 3 or parts[0] == "CONNECT":
                    return
                method, target, version = parts
        finally:
            if upstream is not None:
                self._drop(upstream[1])

    def _decide_forward(self, target: str) -> Authority:
        shown = target[:2048]
        scheme, rest = split_scheme(target)
        if scheme != "http":
            raise _Refused(shown, "malformed", "only absolute http:// requests are forwarded")
        decision = self.policy.decide(target, kind=RequestKind.OTHER, top_level=False)
        if not decision.allowed:
            raise _Refused(decision.url or shown, decision.rule, decision.reason)
        try:
            return parse_authority("http", rest)
        except HostError as exc:
            raise _Refused(shown, exc.rule, exc.reason) from None

    async def _response(
        self,
        method: str,
        up_r: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client_close: bool,
    ) -> bool:
        """Relay one response; True when both connections may carry another request."""
        while True:
            status_line, resp_headers = parse_head(await up_r.readuntil(b"\r\n\r\n"))
            parts = status_line.split(" ", 2)
            if len(parts) < 2 or not parts[1].isdigit():
                raise FramingError("malformed status line")
            status = int(parts[1])
            if status == 101:
                raise FramingError("protocol switch on a forwarded request")
            kept = [(k, v) for k, v in resp_headers if k.lower() not in HOP_HEADERS]
            out = [status_line, *(f"{k}: {v}" for k, v in kept)]
            if 100 <= status < 200:  # interim answer: pass it on, the real one follows
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
                continue
            close = client_close or wants_close(parts[0], resp_headers)
            if close:
                out.append("Connection: close")
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
            by_close = await relay_response_body(up_r, writer, method, status, resp_headers)
            await writer.drain()
            return not (close or by_close)

    def _drop(self, upstream_w: asyncio.StreamWriter) -> None:
        self._transports.discard(upstream_w.transport)
        upstream_w.close()

    # --- resolving and connecting ------------------------------------------------------------
    async def _connect(
        self, auth: Authority, port: int, shown: str
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host = auth.host
        mapped = self._test_hosts.get(host.name) if not host.is_ip else None
        if mapped is not None:  # end-to-end tests only: a .test name served on loopback
            addresses: list[tuple[IPAddress, int]] = [(_LOOPBACK, mapped)]
        elif host.ip is not None and self.policy.allows_dev_local(host.ip, port):
            addresses = [(host.ip, port)]  # superapp dev --allow-local (the policy's, dev only)
        else:
            fixed = self._test_dns.get(host.name)
            to_port = fixed[1] if fixed is not None and fixed[1] is not None else port
            addresses = [(ip, to_port) for ip in await self._resolve(auth, port, shown)]
        for ip, to_port in addresses:
            try:
                upstream = await asyncio.wait_for(
                    asyncio.open_connection(str(ip), to_port, limit=self.limits.max_head_bytes),
                    self.limits.connect_timeout_s,
                )
                self._transports.add(upstream[1].transport)
                return upstream
            except (OSError, TimeoutError):
                continue
        raise _Unreachable(shown)

    async def _resolve(self, auth: Authority, port: int, shown: str) -> list[IPAddress]:
        host = auth.host
        special = local_target(host)
        if special is not None:
            raise _Refused(shown, *special)
        if host.ip is not None:
            return [host.ip]
        fixed = self._test_dns.get(host.name)
        try:
            answers = (
                [fixed[0]]
                if fixed is not None
                else list(
                    await asyncio.wait_for(
                        self._resolver(host.name, port), self.limits.connect_timeout_s
                    )
                )
            )
        except (OSError, UnicodeError, TimeoutError):
            raise _Unreachable(shown) from None
        for ip in answers:
            why = local_address(ip)
            if why is not None:
                raise _Refused(
                    shown, "private-address", f"{host} resolves to {ip}: {why} (refused)"
                )
        if not answers:
            raise _Unreachable(shown)
        return answers

    # --- relaying -----------------------------------------------------------------------------
    async def _relay(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstream_r: asyncio.StreamReader,
        upstream_w: asyncio.StreamWriter,
    ) -> None:
        await self._both(self._pipe(reader, upstream_w), self._pipe(upstream_r, writer), upstream_w)

    async def _both(
        self,
        up: Awaitable[None],
        down: Awaitable[None],
        upstream_w: asyncio.StreamWriter,
    ) -> None:
        try:
            tasks = [asyncio.ensure_future(up), asyncio.ensure_future(down)]
            # The answer coming back decides the end: when it is done, so is the exchange.
            await tasks[1]
            tasks[0].cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await tasks[0]
        finally:
            self._transports.discard(upstream_w.transport)
            upstream_w.close()

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await src.read(self.limits.relay_chunk_bytes):
                dst.write(data)
                await dst.drain()
            if dst.can_write_eof():
                dst.write_eof()

    @staticmethod
    async def _answer(writer: asyncio.StreamWriter, status: int, text: str) -> None:
        body = text.encode()
        writer.write(
            f"HTTP/1.1 {status} {text}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        with contextlib.suppress(OSError):
            await writer.drain()

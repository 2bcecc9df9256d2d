"""How ``net.request`` reaches a server: resolution, connections to vetted addresses only,
and the deadline.

``NetClient`` (``_client``) decides and vets every hop; this module only carries the result out:
``system_resolver`` returns every address (the caller vets all of them), the connection
classes connect to those addresses and never to the name again (so a second DNS answer cannot
rebind) while TLS still verifies the certificate against the name, and ``Watchdog`` shuts the
socket when the call's one deadline passes, so a server that drips bytes cannot hold a call
open. ``failure`` turns what went wrong into the one error a page may see (no host paths, no
library text).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from superapp.core.errors import ConnectionFailedError, NetError, RequestTimeoutError
from superapp.net._host import IPAddress
from superapp.net._url import Authority

__all__ = [
    "Resolver",
    "VettedHTTPConnection",
    "VettedHTTPSConnection",
    "Watchdog",
    "addresses_of",
    "failure",
    "response_headers",
    "system_resolver",
    "time_left",
]

Resolver = Callable[[str, int], Sequence[IPAddress]]

_DROPPED_RESPONSE_HEADERS: Final = frozenset({"set-cookie", "set-cookie2"})


def addresses_of(infos: Iterable[tuple[Any, ...]]) -> list[IPAddress]:
    """The distinct addresses of ``getaddrinfo`` results, in their order (IPv6 scope ids
    dropped): what ``net.request`` and the egress proxy vet before connecting."""
    out: list[IPAddress] = []
    for *_rest, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in out:
            out.append(ip)
    return out


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver returns for ``host``, in its order."""
    return addresses_of(
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    )


def time_left(deadline: float) -> float:
    """Seconds until ``deadline`` (monotonic); past it, the call has timed out."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise RequestTimeoutError("the request timed out")
    return left


def failure(exc: BaseException, watchdog: Watchdog, auth: Authority | None) -> NetError:
    if watchdog.fired or isinstance(exc, TimeoutError):
        return RequestTimeoutError("the request timed out")
    where = f" to {auth.host}" if auth is not None else ""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ConnectionFailedError(
            f"TLS certificate of {auth.host if auth else 'the server'} is not valid"
        )
    if isinstance(exc, ssl.SSLError):
        return ConnectionFailedError(f"TLS connection{where} failed")
    if isinstance(exc, http.client.HTTPException):
        return ConnectionFailedError(f"the server{where} sent a malformed response")
    return ConnectionFailedError(f"connection{where} failed")


def response_headers(resp: http.client.HTTPResponse) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in resp.getheaders():
        lower = name.lower()
        if lower in _DROPPED_RESPONSE_HEADERS:
            continue
        out[lower] = f"{out[lower]}, {value}" if lower in out else value
    return out


class Watchdog:
    """Shuts the connection's socket when the deadline passes (a hard stop for slow peers)."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float) -> None:
        self.fired = False
        self._conn = conn
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self._conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


class VettedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted addresses only; ``self.host`` stays the name (Host header).

    ``to_port`` (the test-only host map, see ``NetClient``) connects to another port than the
    URL's, which stays in the ``Host`` header as the URL has it."""

    def __init__(
        self, host: str, port: int, addresses: Sequence[IPAddress], timeout: float,
        *, to_port: int | None = None,
    ) -> None:  # fmt: skip
        super().__init__(host, port, timeout=timeout)
        self._addresses = tuple(addresses)
        self._to_port = to_port

    def connect(self) -> None:
        error: OSError | None = None
        port = self._to_port or self.port
        for ip in self._addresses:
            try:
                self.sock = socket.create_connection((str(ip), port), self.timeout)
            except OSError as exc:
                error = exc
                continue
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return
        raise error or OSError("no address to connect to")


class VettedHTTPSConnection(VettedHTTPConnection):
    """As above, then TLS with SNI and certificate check against the host name."""

    default_port = 443

    def __init__(
        self,
        host: str,
        port: int,
        addresses: Sequence[IPAddress],
        timeout: float,
        context: ssl.SSLContext,
        *,
        to_port: int | None = None,
    ) -> None:
        super().__init__(host, port, addresses, timeout, to_port=to_port)
        self._context = context

    def connect(self) -> None:
        super().connect()
        assert self.sock is not None  # noqa: S101 - set by super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)

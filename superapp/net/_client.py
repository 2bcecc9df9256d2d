"""The host-side HTTP client behind ``net.request``: one per app, no shared state.

Each call follows this procedure, in order:

1. Take one of the app's concurrency slots without waiting; none free → :class:`NetBusyError`.
2. Check the request itself: method, header names and values (forbidden headers refused,
   see :data:`FORBIDDEN_HEADERS`), body size, timeout within the limit.
3. For each hop (the first URL, then every redirect):

   a. :meth:`NetPolicy.decide` with kind ``fetch``; refused → audit ``net.blocked`` and
      :class:`RequestBlockedError`. Only ``http``/``https`` may be requested.
   b. Resolve the canonical host (an IP literal is its own answer). Every answer is vetted:
      ``forbidden`` addresses (unspecified, multicast, reserved) are refused always;
      ``private`` ones (loopback, RFC 1918, link-local, ...) only when the URL's host is an
      IP literal the allowlist names exactly. A *name* resolving to a private address is
      refused (DNS rebinding), unless the operator sets ``private_names_allowed`` and the
      name is listed exactly — never through a wildcard. Any bad answer refuses the hop
      (rule ``address-forbidden`` / ``private-address``), audited.
   c. Connect to a vetted address, never to the name again, so a second DNS answer cannot
      rebind; TLS still verifies the certificate against the host name (SNI = host name) and
      the ``Host`` header is the host name.
   d. Send; read the status and headers. A redirect (301/302/303/307/308 with a Location) is
      resolved against the current URL and becomes the next hop (303, and 301/302 after POST,
      become GET without a body; ``Authorization`` is dropped when the origin changes). The
      redirect's body is not read.
   e. Otherwise read the body, refusing it past ``max_response_bytes``.

One deadline covers the whole call, redirects included; a watchdog shuts the socket when it
passes, so a server that drips bytes cannot hold a call open (resolution, vetted connections
and the watchdog are ``_connect``; this module is the procedure). No cookies are stored or sent,
no proxy settings from the environment are used, and responses are not decompressed.

Test hosts (end-to-end tests only), as in the egress proxy: ``test_hosts`` maps exact
``.test`` names to a port on 127.0.0.1 (the runtime passes ``SUPERAPP_TEST_HOSTS``, which
the test's host inherits). A mapped name still has to pass step a (the policy); it then skips
step b and connects to loopback at the mapped port. Nothing else reaches a private address
this way: other names in the map are dropped, and without the map a ``.test`` name is
resolved and vetted like any other.
"""

from __future__ import annotations

import http.client
import ipaddress
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urljoin

from superapp.core.errors import (
    ConnectionFailedError,
    NetBusyError,
    NetError,
    RequestBlockedError,
    RequestInvalidError,
    RequestTimeoutError,
    RequestTooLargeError,
    ResponseTooLargeError,
)
from superapp.core.ports import AuditSink
from superapp.net._connect import (
    Resolver,
    VettedHTTPConnection,
    VettedHTTPSConnection,
    Watchdog,
    failure,
    response_headers,
    system_resolver,
    time_left,
)
from superapp.net._host import IPAddress, address_class
from superapp.net._policy import NetDecision, NetPolicy, RequestKind
from superapp.net._url import Authority, parse_authority, split_scheme

__all__ = [
    "FORBIDDEN_HEADERS",
    "METHODS",
    "ConnectionFailedError",
    "NetBusyError",
    "NetClient",
    "NetError",
    "NetLimits",
    "NetRequest",
    "NetResponse",
    "RequestBlockedError",
    "RequestInvalidError",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "Resolver",
    "ResponseTooLargeError",
    "resolve_location",
    "system_resolver",
]

METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Request headers a mini-app may not set: hop-by-hop and framing headers (the client owns
#: the connection), cookies (there is no cookie jar), and what a browser forbids a page to
#: forge (Fetch standard "forbidden request-header names"). ``Authorization`` is allowed: an
#: app may send its own credentials to its own API; it is dropped on a cross-origin redirect.
FORBIDDEN_HEADERS: Final = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "proxy-authorization",
        "proxy-connection",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "x-http-method",
        "x-http-method-override",
        "x-method-override",
    }
)
_FORBIDDEN_PREFIXES: Final = ("proxy-", "sec-")
_TOKEN: Final = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_LOOPBACK: Final = ipaddress.IPv4Address("127.0.0.1")


@dataclass(frozen=True)
class NetLimits:
    """Every limit of ``net.request``, with its default."""

    #: Deadline for a whole call (all redirects, body included) when the app names none.
    default_timeout_s: float = 15.0
    #: The longest deadline an app may ask for.
    max_timeout_s: float = 60.0
    #: Response bodies larger than this are refused (PAYLOAD_TOO_LARGE).
    max_response_bytes: int = 8 * 1024 * 1024
    #: Request bodies larger than this are refused before anything is sent.
    max_request_body_bytes: int = 1024 * 1024
    max_redirects: int = 5
    #: Calls one app may have in flight; the next is refused at once (RATE_LIMITED).
    max_concurrent: int = 4
    max_request_headers: int = 64
    max_header_value_bytes: int = 8 * 1024
    max_url_length: int = 8 * 1024
    read_chunk_bytes: int = 64 * 1024
    #: Longest URL written into an audit event.
    max_audit_url: int = 2048
    user_agent: str = "superapp-net/0.1"
    #: Let a host name listed exactly (not a wildcard) resolve to a loopback/private address
    #: (intranet deployments, tests). Off: only a listed IP literal reaches a private address.
    private_names_allowed: bool = False


@dataclass(frozen=True)
class NetRequest:
    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout_s: float | None = None
    follow_redirects: bool = True


@dataclass(frozen=True)
class NetResponse:
    status: int
    reason: str
    #: The canonical URL of the last hop.
    url: str
    redirected: bool
    #: Lower-case names; repeated headers joined with ", "; Set-Cookie removed.
    headers: Mapping[str, str]
    body: bytes


class NetClient:
    """Performs one app's ``net.request`` calls under its :class:`NetPolicy`."""

    def __init__(
        self,
        policy: NetPolicy,
        audit: AuditSink,
        *,
        limits: NetLimits | None = None,
        resolver: Resolver = system_resolver,
        ssl_context: ssl.SSLContext | None = None,
        test_hosts: Mapping[str, int] | None = None,
    ) -> None:
        self.policy = policy
        self.limits = limits or NetLimits()
        self._audit = audit
        self._resolver = resolver
        self._ssl = ssl_context or ssl.create_default_context()
        # Only the reserved .test domain (RFC 6761): a map cannot send a real name to loopback.
        self._test_hosts = {k: v for k, v in (test_hosts or {}).items() if k.endswith(".test")}
        self._slots = threading.BoundedSemaphore(self.limits.max_concurrent)

    def request(self, req: NetRequest) -> NetResponse:
        """Perform ``req`` (see the module docstring for the procedure).

        Raises:
            RequestBlockedError: a hop was refused by the policy or a DNS answer (audited).
            RequestInvalidError / RequestTooLargeError: the request itself is not acceptable.
            NetBusyError: the app already has ``max_concurrent`` calls in flight.
            RequestTimeoutError / ResponseTooLargeError / ConnectionFailedError.
        """
        if not self._slots.acquire(blocking=False):
            raise NetBusyError(
                f"too many net.request calls in flight (at most {self.limits.max_concurrent})"
            )
        try:
            return self._run(req)
        finally:
            self._slots.release()

    # --- procedure -----------------------------------------------------------------------
    def _run(self, req: NetRequest) -> NetResponse:
        method, headers, body, timeout = self._checked(req)
        deadline = time.monotonic() + timeout
        url = req.url
        origin: tuple[str, str, int | None] | None = None
        for hop in range(self.limits.max_redirects + 1):
            auth, decision = self._decide(url)
            if origin is not None and origin != (auth.scheme, auth.host.name, auth.port):
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            origin = (auth.scheme, auth.host.name, auth.port)
            mapped = self._test_hosts.get(auth.host.name) if not auth.host.is_ip else None
            if mapped is not None:  # end-to-end tests only: a .test name served on loopback
                addresses: list[IPAddress] = [_LOOPBACK]
            else:
                addresses = self._vet(url, auth, decision)
            conn, resp = self._send(auth, addresses, method, headers, body, deadline, mapped)
            try:
                location = resp.getheader("location")
                if req.follow_redirects and resp.status in _REDIRECTS and location:
                    if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                        method, body = ("HEAD" if method == "HEAD" else "GET"), None
                        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                    url = resolve_location(auth, location)
                    continue
                data = self._read_body(conn, resp, method, deadline)
                return NetResponse(
                    status=resp.status,
                    reason=resp.reason,
                    url=auth.url(),
                    redirected=hop > 0,
                    headers=response_headers(resp),
                    body=data,
                )
            finally:
                conn.close()
        raise ConnectionFailedError(f"more than {self.limits.max_redirects} redirects")

    def _checked(self, req: NetRequest) -> tuple[str, dict[str, str], bytes | None, float]:
        lim = self.limits
        method = req.method.upper()
        if method not in METHODS:
            raise RequestInvalidError(f"method {req.method[:20]!r} is not allowed")
        if len(req.url) > lim.max_url_length:
            raise RequestInvalidError(f"the URL is longer than {lim.max_url_length} characters")
        if len(req.headers) > lim.max_request_headers:
            raise RequestInvalidError(f"more than {lim.max_request_headers} request headers")
        headers: dict[str, str] = {}
        for name, value in req.headers.items():
            lower = name.lower()
            if not name or not set(name) <= _TOKEN:
                raise RequestInvalidError(f"{name[:40]!r} is not a valid header name")
            if lower in FORBIDDEN_HEADERS or lower.startswith(_FORBIDDEN_PREFIXES):
                raise RequestInvalidError(f"the {name} header may not be set by a mini-app")
            if len(value) > lim.max_header_value_bytes or any(
                (ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F or ord(c) > 0xFF for c in value
            ):
                raise RequestInvalidError(f"the value of header {name} is not allowed")
            if lower in (k.lower() for k in headers):
                raise RequestInvalidError(f"header {name} is given twice")
            headers[name] = value
        body = req.body
        if body is not None:
            if method in ("GET", "HEAD"):
                raise RequestInvalidError(f"a {method} request cannot have a body")
            if len(body) > lim.max_request_body_bytes:
                raise RequestTooLargeError(
                    f"the request body is larger than {lim.max_request_body_bytes} bytes"
                )
        timeout = lim.default_timeout_s if req.timeout_s is None else req.timeout_s
        if not 0 < timeout <= lim.max_timeout_s:
            raise RequestInvalidError(f"the timeout must be between 0 and {lim.max_timeout_s} s")
        return method, headers, body, timeout

    def _decide(self, url: str) -> tuple[Authority, NetDecision]:
        decision = self.policy.decide(
            url, kind=RequestKind.FETCH, top_level=False, initiator=self.policy.origin
        )
        if not decision.allowed:
            raise self._blocked(url, decision.rule, decision.reason)
        scheme, rest = split_scheme(decision.url or url)
        if decision.url is None or scheme not in ("http", "https"):
            raise RequestInvalidError("net.request can only fetch http: and https: URLs")
        return parse_authority(scheme, rest), decision

    def _vet(self, url: str, auth: Authority, decision: NetDecision) -> list[IPAddress]:
        host = auth.host
        port = auth.port or 443
        if host.ip is not None:
            addresses: list[IPAddress] = [host.ip]
        else:
            try:
                addresses = list(self._resolver(host.name, port))
            except (OSError, UnicodeError):
                raise ConnectionFailedError(f"could not resolve {host}") from None
            if not addresses:
                raise ConnectionFailedError(f"could not resolve {host}")
        for ip in addresses:
            cls = address_class(ip)
            if cls == "forbidden":
                raise self._blocked(
                    url, "address-forbidden", f"{host} resolves to {ip}, which is never reachable"
                )
            if cls == "private" and not self._may_be_private(host.is_ip, decision):
                raise self._blocked(
                    url,
                    "private-address",
                    f"{host} resolves to the local or private address {ip}; list the IP "
                    "address itself to reach a local service",
                )
        return addresses

    def _may_be_private(self, is_ip: bool, decision: NetDecision) -> bool:
        if not decision.exact:
            return False
        return is_ip or self.limits.private_names_allowed

    def _blocked(self, url: str, rule: str, reason: str) -> RequestBlockedError:
        shown = url[: self.limits.max_audit_url]
        self._audit.record(
            "net.blocked",
            app_id=self.policy.app_id,
            outcome="failure",
            reason=reason,
            url=shown,
            rule=rule,
            kind=RequestKind.FETCH.value,
            via="net.request",
        )
        return RequestBlockedError(shown, rule, reason)

    def _send(
        self,
        auth: Authority,
        addresses: list[IPAddress],
        method: str,
        headers: Mapping[str, str],
        body: bytes | None,
        deadline: float,
        to_port: int | None = None,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        remaining = time_left(deadline)
        port = auth.port or 443
        conn: http.client.HTTPConnection
        if auth.scheme == "https":
            conn = VettedHTTPSConnection(
                auth.host.name, port, addresses, remaining, self._ssl, to_port=to_port
            )
        else:
            conn = VettedHTTPConnection(auth.host.name, port, addresses, remaining, to_port=to_port)
        watchdog = Watchdog(conn, remaining)
        try:
            conn.putrequest(method, auth.target, skip_accept_encoding=True)
            conn.putheader("User-Agent", self.limits.user_agent)
            conn.putheader("Accept-Encoding", "identity")
            for name, value in headers.items():
                conn.putheader(name, value.encode("latin-1"))
            if body is not None or method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body or b"")))
            conn.endheaders(body)
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            conn.close()
            raise failure(exc, watchdog, auth) from None
        finally:
            watchdog.cancel()
        return conn, resp

    def _read_body(
        self,
        conn: http.client.HTTPConnection,
        resp: http.client.HTTPResponse,
        method: str,
        deadline: float,
    ) -> bytes:
        if method == "HEAD":
            return b""
        cap = self.limits.max_response_bytes
        length = resp.getheader("content-length")
        if length and length.strip().isdigit() and int(length) > cap:
            raise ResponseTooLargeError(f"the response is larger than {cap} bytes")
        chunks: list[bytes] = []
        size = 0
        watchdog = Watchdog(conn, time_left(deadline))
        try:
            while True:
                chunk = resp.read(self.limits.read_chunk_bytes)
                if not chunk:
                    break
                size += len(chunk)
                if size > cap:
                    raise ResponseTooLargeError(f"the response is larger than {cap} bytes")
                chunks.append(chunk)
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            raise failure(exc, watchdog, None) from None
        finally:
            watchdog.cancel()
        return b"".join(chunks)


def resolve_location(base: Authority, location: str) -> str:
    """The URL a ``Location`` header points to, resolved as a browser would (WHATWG).

    ``urljoin`` alone differs from the browser for special schemes: it keeps ``\\`` as a
    path character and reads ``http:\\\\host`` as a relative path. The result is decided
    like any URL, so a difference could only ever keep us on an allowed host; matching the
    browser keeps the audit log and the app's view the same as the engine's.
    """
    scheme, rest = split_scheme(location)
    if scheme:
        if scheme != base.scheme or rest[:2].replace("\\", "/") == "//":
            return location.strip()
        location = rest
    else:
        location = location.strip(_C0_SPACE).translate(_TAB_NL)
    if location[:2].replace("\\", "/") == "//":
        return f"{base.scheme}://{location[2:]}"
    cut = min((i for i in (location.find("?"), location.find("#")) if i != -1), default=None)
    path, tail = (location, "") if cut is None else (location[:cut], location[cut:])
    return urljoin(base.url(), path.replace("\\", "/") + tail)


_C0_SPACE: Final = "".join(chr(c) for c in range(0x21))
_TAB_NL: Final = str.maketrans("", "", "\t\n\r")

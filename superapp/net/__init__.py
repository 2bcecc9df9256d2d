"""Network confinement: the per-app allowlist and the host-side HTTP client (DESIGN §6.3).

``NetPolicy.decide`` is the one matcher every enforcement point shares (the engine's request
interceptor, its navigation hooks, ``net.request``); ``NetClient`` performs ``net.request``
calls, re-deciding every redirect hop and vetting every DNS answer; ``BlockLog`` writes the
``net.blocked`` audit events of the engine's refusals without letting a page flood the log.
"""

from __future__ import annotations

from superapp.net._blocklog import BlockLog, BlockLogLimits
from superapp.net._client import (
    FORBIDDEN_HEADERS,
    METHODS,
    ConnectionFailedError,
    NetBusyError,
    NetClient,
    NetError,
    NetLimits,
    NetRequest,
    NetResponse,
    RequestBlockedError,
    RequestInvalidError,
    RequestTimeoutError,
    RequestTooLargeError,
    Resolver,
    ResponseTooLargeError,
    resolve_location,
    system_resolver,
)
from superapp.net._host import Host, HostError, IPAddress, address_class, normalise_host
from superapp.net._policy import Decision, HostPattern, NetPolicy, RequestKind, parse_host_entry

__all__ = [
    "FORBIDDEN_HEADERS",
    "METHODS",
    "BlockLog",
    "BlockLogLimits",
    "ConnectionFailedError",
    "Decision",
    "Host",
    "HostError",
    "HostPattern",
    "IPAddress",
    "NetBusyError",
    "NetClient",
    "NetError",
    "NetLimits",
    "NetPolicy",
    "NetRequest",
    "NetResponse",
    "RequestBlockedError",
    "RequestInvalidError",
    "RequestKind",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "Resolver",
    "ResponseTooLargeError",
    "address_class",
    "normalise_host",
    "parse_host_entry",
    "resolve_location",
    "system_resolver",
]

"""Network confinement: the per-app allowlist and the host-side HTTP client (DESIGN §6.3).

``NetPolicy.decide`` is the one matcher every enforcement point shares (the engine's request
interceptor, its navigation hooks, ``net.request``); ``NetClient`` performs ``net.request``
calls, re-deciding every redirect hop and vetting every DNS answer;
``EgressProxy`` is the wall below the engine, which every connection the engine opens must
pass (names resolved and vetted there); ``local_target`` names what no app may reach.
"""

from __future__ import annotations

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
from superapp.net._devlocal import LocalOrigin, parse_allow_local
from superapp.net._egress import (
    EgressLimits,
    EgressProxy,
    EgressUnavailableError,
)
from superapp.net._host import Host, HostError, IPAddress, address_class, normalise_host
from superapp.net._policy import HostPattern, NetDecision, NetPolicy, RequestKind, parse_host_entry
from superapp.net._special import SPECIAL_USE_NAMES, local_address, local_target

__all__ = [
    "FORBIDDEN_HEADERS",
    "METHODS",
    "SPECIAL_USE_NAMES",
    "ConnectionFailedError",
    "EgressLimits",
    "EgressProxy",
    "EgressUnavailableError",
    "Host",
    "HostError",
    "HostPattern",
    "IPAddress",
    "LocalOrigin",
    "NetBusyError",
    "NetClient",
    "NetDecision",
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
    "local_address",
    "local_target",
    "normalise_host",
    "parse_allow_local",
    "parse_host_entry",
    "resolve_location",
    "system_resolver",
]

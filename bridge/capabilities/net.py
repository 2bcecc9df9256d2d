"""``net.request``: host-proxied HTTP to the app's ``allowed_hosts`` (capability ``net:request``).

The request is made by :class:`superapp.net.NetClient` (the procedure — allowlist on every
redirect hop, vetted DNS answers, one deadline, size caps — is in its module docstring).
This module validates the params, owns the per-app client, and maps the client's errors to
wire codes by the one table (``superapp.core.errors.WIRE_CODES``, in :func:`_wire_errors`):

==========================  =====================  ==========================================
client error                wire code              when
==========================  =====================  ==========================================
RequestBlockedError         NETWORK_BLOCKED        the policy or a DNS answer refused a hop
RequestInvalidError         INVALID_PARAMS         forbidden header, body on GET, bad scheme
RequestTooLargeError        PAYLOAD_TOO_LARGE      request body over the limit
ResponseTooLargeError       PAYLOAD_TOO_LARGE      response body over the limit
NetBusyError                RATE_LIMITED           too many calls of this app in flight
RequestTimeoutError         NETWORK_BLOCKED        deadline passed (see :class:`NetworkFailedError`)
ConnectionFailedError       NETWORK_BLOCKED        DNS, connect, TLS or protocol failure
==========================  =====================  ==========================================

Messages name the URL and the reason only; never a host path or a traceback.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from bridge.context import CallContext
from bridge.errors import InvalidParamsError, NetworkFailedError, wire_error
from bridge.models import Params, Result
from superapp.core.errors import NetError
from superapp.net import (
    NetClient,
    NetLimits,
    NetPolicy,
    NetRequest,
    NetResponse,
)

__all__ = [
    "APIS",
    "CLIENT_RESOURCE",
    "POLICY_RESOURCE",
    "TEST_HOSTS_RESOURCE",
    "HttpResponse",
    "NetRequestParams",
    "NetworkFailedError",
    "client_for",
    "request",
]

#: ``ctx`` resource keys. The runtime pre-seeds ``POLICY_RESOURCE`` with the policy built
#: from the manifest (it knows ``allow_http_hosts``); the engine's interceptor uses the same
#: object. Without it the policy is built from ``ctx.allowed_hosts`` (https only).
POLICY_RESOURCE = "net.policy"
CLIENT_RESOURCE = "net.client"
#: End-to-end tests only: the runtime seeds this with ``SUPERAPP_TEST_HOSTS`` (``.test`` name →
#: loopback port, as the egress proxy maps them); absent, nothing is mapped.
TEST_HOSTS_RESOURCE = "net.test_hosts"

_LIMITS = NetLimits()
Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class NetRequestParams(Params):
    url: Annotated[str, Field(min_length=1, max_length=_LIMITS.max_url_length)]
    method: Method = "GET"
    headers: Annotated[
        dict[str, str], Field(default_factory=dict, max_length=_LIMITS.max_request_headers)
    ]
    #: Text (sent as UTF-8) or base64, per ``body_encoding``.
    body: str | None = None
    body_encoding: Literal["text", "base64"] = "text"
    #: Deadline for the whole call in milliseconds (default and maximum in ``NetLimits``).
    timeout_ms: Annotated[int, Field(ge=1, le=int(_LIMITS.max_timeout_s * 1000))] | None = None
    #: ``follow`` re-checks every hop against the allowlist; ``manual`` returns the 3xx.
    redirect: Literal["follow", "manual"] = "follow"
    #: ``text`` decodes the body with the response's charset (UTF-8 by default).
    response_type: Literal["text", "base64"] = "text"


class HttpResponse(Result):
    status: int
    status_text: str
    url: str
    redirected: bool
    headers: dict[str, str]
    body: str
    body_encoding: Literal["text", "base64"]


def client_for(ctx: CallContext) -> NetClient:
    """The app's client (created on first use, one per app process)."""

    # ctx.resource holds the context's lock while a factory runs: resolve the policy first,
    # never from inside the client's factory.
    policy = ctx.resource(
        POLICY_RESOURCE, lambda: NetPolicy.from_manifest(ctx.app_id, ctx.allowed_hosts)
    )
    test_hosts: Mapping[str, int] = ctx.resource(TEST_HOSTS_RESOURCE, dict)
    return ctx.resource(
        CLIENT_RESOURCE,
        lambda: NetClient(policy, ctx.audit, limits=_LIMITS, test_hosts=test_hosts),
    )


def request(ctx: CallContext, params: NetRequestParams) -> HttpResponse:
    """Make an HTTP request to an allowlisted host. Needs ``net:request``.

    Raises:
        NetworkBlockedError: the URL or a redirect hop is not allowed (audited ``net.blocked``).
        InvalidParamsError, PayloadTooLargeError, RateLimitedError, NetworkFailedError.
    """
    body = _body(params)
    client = client_for(ctx)
    req = NetRequest(
        url=params.url,
        method=params.method,
        headers=params.headers,
        body=body,
        timeout_s=None if params.timeout_ms is None else params.timeout_ms / 1000,
        follow_redirects=params.redirect == "follow",
    )
    with _wire_errors():
        resp = client.request(req)
    return _result(resp, params.response_type)


def _body(params: NetRequestParams) -> bytes | None:
    if params.body is None:
        return None
    if params.body_encoding == "text":
        return params.body.encode("utf-8")
    try:
        return base64.b64decode(params.body, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParamsError("body is not valid base64") from None


def _result(resp: NetResponse, response_type: Literal["text", "base64"]) -> HttpResponse:
    if response_type == "base64":
        text = base64.b64encode(resp.body).decode("ascii")
    else:
        text = resp.body.decode(_charset(resp.headers.get("content-type", "")), errors="replace")
    return HttpResponse(
        status=resp.status,
        status_text=resp.reason,
        url=resp.url,
        redirected=resp.redirected,
        headers=dict(resp.headers),
        body=text,
        body_encoding=response_type,
    )


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset":
            charset = value.strip().strip('"').lower()
            try:
                "".encode(charset)
            except LookupError:
                return "utf-8"
            return charset
    return "utf-8"


@contextmanager
def _wire_errors() -> Iterator[None]:
    """Client errors become wire errors, by the one table (``superapp.core.errors``)."""
    try:
        yield
    except NetError as exc:
        raise wire_error(exc) from None


APIS: Mapping[str, tuple[type[BaseModel], Callable[[CallContext, Any], Any]]] = {
    "net.request": (NetRequestParams, request),
}

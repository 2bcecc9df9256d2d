"""The dispatcher: one request text in, one reply text out, for one app (DESIGN §5).

``Dispatcher.dispatch(raw)`` never raises. It runs these steps in this order; the first
that fails decides the reply, and every refusal is written to the audit log
(``bridge.denied``: app id, api, code, reason):

0.  call budget         every call, valid or not, spends from the app's
                          ``limits.calls`` bucket                            RATE_LIMITED
1.  size limit            request over ``max_request_bytes``                 PAYLOAD_TOO_LARGE
2.  decode                strict JSON envelope (see ``bridge._codec``)       INVALID_PARAMS
3.  lookup                ``api`` not a key of the static table              UNKNOWN_API
4.  validate              pydantic, ``extra="forbid"``, strict types         INVALID_PARAMS
5.  capability            declared in the manifest                           PERMISSION_DENIED
                          and granted (grants table, read every call)
6.  consent               asked through the ConsentBroker if not granted     CONSENT_DENIED
7.  rate limit            token bucket per (app, api), by rate class         RATE_LIMITED
8.  handler               ``handler(ctx, params)``                           its BridgeError
9.  audit                 ``bridge.call`` for APIs that read personal data
10. encode                strict JSON, reply over ``max_reply_bytes``        PAYLOAD_TOO_LARGE

Errors become wire codes at one boundary, ``Dispatcher.dispatch``, by the one table
``superapp.core.errors.WIRE_CODES``: a ``BridgeError`` gives its code and message, a listed host
error the code and message of its row; anything else (and a host error whose row is INTERNAL)
is INTERNAL with a fixed message to the page and the traceback in the host log (logger
``bridge``). A reply's ``id`` is the
request's, or null when it could not be read.

Audit flooding: identical denials (same api and code) beyond ``limits.audit_denials`` are
counted, not written; the next written one carries ``suppressed=<count>``, and ``close()``
writes what is left. Unknown API names are audited under one key, so random names cannot
grow memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from bridge._authz import AUTHZ_RESOURCE, Authorizer
from bridge._codec import (
    BadRequestError,
    decode_request,
    encode_error,
    encode_result,
    peek_id,
)
from bridge._ratelimit import TokenBuckets
from bridge.context import CallContext
from bridge.errors import (
    BridgeError,
    InvalidParamsError,
    PayloadTooLargeError,
    RateLimitedError,
    UnknownApiError,
    to_bridge_error,
)
from bridge.limits import DEFAULT_LIMITS, BridgeLimits
from bridge.ports import ConsentBroker, GrantsPort
from bridge.table import API_TABLE, ApiSpec
from superapp.state.grants import GrantStore

__all__ = ["Dispatcher"]

_log = logging.getLogger("bridge")
_UNKNOWN = "<unknown>"
_ALL_CALLS = "<all calls>"  # the key of the per-app call budget (no api name looks like it)
_MAX_LABEL = 80
_MAX_MESSAGE = 300


def _label(api: str) -> str:
    """A page-supplied name made safe for a message or log line: short and ASCII."""
    short = api[:_MAX_LABEL] + ("…" if len(api) > _MAX_LABEL else "")
    return short.encode("ascii", "backslashreplace").decode("ascii")


def _explain(err: ValidationError) -> str:
    parts = []
    for item in err.errors(include_url=False, include_input=False, include_context=False)[:3]:
        loc = ".".join(_label(str(p))[:40] for p in item["loc"])
        parts.append(f"{loc}: {item['msg']}" if loc else item["msg"])
    more = err.error_count() - len(parts)
    message = "invalid params: " + "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
    return message[:_MAX_MESSAGE]


class Dispatcher:
    """Answers ``callNative`` requests for the one app of ``ctx``. Thread-safe."""

    def __init__(
        self,
        ctx: CallContext,
        *,
        grants: GrantsPort,
        consent: ConsentBroker,
        limits: BridgeLimits = DEFAULT_LIMITS,
        table: Mapping[str, ApiSpec] = API_TABLE,
        clock: Callable[[], float] = time.monotonic,
        owns_grants: bool = False,
    ) -> None:
        self.ctx = ctx
        self.limits = limits
        self._table = table
        self._grants = grants
        self._owns_grants = owns_grants
        self._clock = clock
        self._rates = TokenBuckets(clock)
        self._audit_buckets = TokenBuckets(clock)
        self._suppressed: dict[tuple[str, str], int] = {}
        self._audit_lock = threading.Lock()
        self._authz = Authorizer(ctx, grants, consent, limits, clock)
        ctx.set_resource(AUTHZ_RESOURCE, self._authz)
        grants.sync_declared(ctx.app_id, ctx.declared)

    @classmethod
    def open(
        cls,
        ctx: CallContext,
        consent: ConsentBroker,
        limits: BridgeLimits = DEFAULT_LIMITS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> Dispatcher:
        """A dispatcher with its own connection to ``<data>/registry.sqlite3``."""
        return cls(
            ctx,
            grants=GrantStore(ctx.paths.registry_db),
            consent=consent,
            limits=limits,
            clock=clock,
            owns_grants=True,
        )

    def close(self) -> None:
        """Write pending audit summaries; close the grants store if this dispatcher opened it."""
        with self._audit_lock:
            pending, self._suppressed = self._suppressed, {}
        for (api, code), count in pending.items():
            if count:
                self._write_audit(
                    "bridge.denied.suppressed",
                    api,
                    code,
                    f"{count} further {code} denials were not written one by one",
                    suppressed=count,
                )
        if self._owns_grants:
            self._grants.close()

    # --- the one boundary -------------------------------------------------------------
    def dispatch(self, raw: object) -> str:
        """Answer one request text (see the module docstring). Never raises."""
        request_id: int | None = None
        api = _UNKNOWN
        try:
            # Before anything else, so that refusals that come earlier than step 7 (oversize,
            # undecodable, unknown api, invalid params) cannot be flooded without limit.
            if not self._rates.take((self.ctx.app_id, _ALL_CALLS), self.limits.calls):
                # Answered under the request's id (read from the text's start only), so the
                # page's promise settles without the request being decoded.
                request_id = peek_id(raw, self.limits)
                raise RateLimitedError("too many calls; slow down")
            try:
                request = decode_request(raw, self.limits)
            except BadRequestError as bad:
                request_id = bad.request_id
                raise bad.error from None
            request_id = request.id
            spec = self._table.get(request.api)
            if spec is None:
                api = _label(request.api)
                raise UnknownApiError(f"unknown api {api!r}")
            api = request.api
            result = self._call(spec, api, request.params)
            return self._encode(spec, api, request_id, result)
        except Exception as exc:
            # The one mapping table (superapp.core.errors.WIRE_CODES): a BridgeError as it is,
            # a listed host error by its row; anything else is INTERNAL, detail only in the log.
            err = to_bridge_error(exc)
            if err is not None and (isinstance(exc, BridgeError) or err.code != "INTERNAL"):
                self._audit_denial(api, err)
                return encode_error(request_id, err.code, err.message)
            _log.exception("callNative %s from %s failed", api, self.ctx.app_id, exc_info=exc)
            self._audit_denial(api, None)
            message = "internal error" if err is None else err.message
            return encode_error(request_id, "INTERNAL", message)

    # --- steps 4-9 --------------------------------------------------------------------
    def _call(self, spec: ApiSpec, api: str, params: dict[str, Any]) -> object:
        try:
            model = spec.params.model_validate(params)
        except ValidationError as err:
            raise InvalidParamsError(_explain(err)) from None
        if spec.capability is not None:
            self._authz.check(spec.capability)
        if not self._rates.take((self.ctx.app_id, api), self.limits.rates[spec.rate]):
            raise RateLimitedError(f"too many {api} calls; slow down")
        result = spec.handler(self.ctx, model)
        if spec.audit_success:
            self._write_audit("bridge.call", api, None, "", outcome="success")
        return result

    def _encode(self, spec: ApiSpec, api: str, request_id: int, result: object) -> str:
        if isinstance(result, BaseModel):
            result = result.model_dump(mode="json")
        reply = encode_result(request_id, result)
        # Measured in UTF-8 bytes; encoding also refuses (as INTERNAL) lone surrogates from
        # a handler, which the page's side of the transport could not carry.
        if len(reply.encode("utf-8")) > self.limits.max_reply_bytes:
            raise PayloadTooLargeError(f"result is larger than {self.limits.max_reply_bytes} bytes")
        return reply

    # --- audit ------------------------------------------------------------------------
    def _audit_denial(self, api: str, err: BridgeError | None) -> None:
        code = "INTERNAL" if err is None else err.code
        reason = "internal error (see host log)" if err is None else err.message
        # Names not in the table share one key, so random names cannot grow this state.
        key = (api if api in self._table else _UNKNOWN, code)
        if not self._audit_buckets.take(key, self.limits.audit_denials):
            with self._audit_lock:
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        with self._audit_lock:
            suppressed = self._suppressed.pop(key, 0)
        extra: dict[str, Any] = {"suppressed": suppressed} if suppressed else {}
        action = "bridge.failed" if err is None else "bridge.denied"
        self._write_audit(action, api, code, reason, **extra)

    def _write_audit(
        self,
        action: str,
        api: str,
        code: str | None,
        reason: str,
        *,
        outcome: Any = "failure",
        **fields: Any,
    ) -> None:
        if code is not None:
            fields["code"] = code
        try:
            self.ctx.audit.record(
                action, app_id=self.ctx.app_id, outcome=outcome, reason=reason, api=api, **fields
            )
        except Exception:
            # The call's outcome stands; losing an audit line is itself logged loudly.
            _log.exception("could not write audit event %s for %s", action, self.ctx.app_id)

    @property
    def authorizer(self) -> Authorizer:
        return self._authz

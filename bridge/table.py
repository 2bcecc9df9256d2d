"""The static API table: every name ``callNative`` answers, and what guards it.

A name that is not a key of ``API_TABLE`` is ``UNKNOWN_API``; nothing is ever looked up by
attribute on a name the page sent. Each entry says which capability the call needs (None:
every app may call it), how its params are validated, which handler runs, its rate class,
and which extra error codes it documents. What it returns is the handler's return annotation
(read by the generator of ``assets/superapp.d.ts`` and ``docs/api.md``).

Capability families owned by other modules (storage, files, net) export
``APIS: Mapping[str, tuple[type[BaseModel], handler]]``; their capability and rate class are
assigned here, so the guard of every API is visible in this one file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from bridge.capabilities import (
    app,
    clipboard,
    files,
    lifecycle,
    net,
    notifications,
    share,
    storage,
    ui,
    user,
)
from bridge.context import CallContext
from bridge.errors import CODES, ErrorCode
from bridge.limits import RateClass
from bridge.models import NoParams

__all__ = ["API_TABLE", "ApiSpec", "Handler", "errors_of"]

Handler = Callable[[CallContext, Any], object]


@dataclass(frozen=True)
class ApiSpec:
    capability: str | None
    params: type[BaseModel]
    handler: Handler
    rate: RateClass
    #: Error codes this API raises beyond the ones every API can (see ``errors_of``).
    errors: tuple[ErrorCode, ...] = ()
    #: Write a ``bridge.call`` audit event for every successful call too (personal data).
    audit_success: bool = False


#: Codes any API can answer with.
_COMMON: frozenset[ErrorCode] = frozenset(
    {"INVALID_PARAMS", "RATE_LIMITED", "PAYLOAD_TOO_LARGE", "INTERNAL"}
)


def errors_of(spec: ApiSpec) -> tuple[ErrorCode, ...]:
    """Every code ``spec``'s API can answer with, in the order of ``CODES``.

    An API behind a capability can be PERMISSION_DENIED (not declared) and CONSENT_DENIED
    (not granted, or revoked, and the user says no when asked).
    """
    codes = set(_COMMON) | set(spec.errors)
    if spec.capability is not None:
        codes |= {"PERMISSION_DENIED", "CONSENT_DENIED"}
    return tuple(code for code in CODES if code in codes)


_STORAGE_ERRORS: tuple[ErrorCode, ...] = ("QUOTA_EXCEEDED", "PAYLOAD_TOO_LARGE")
_NET_ERRORS: tuple[ErrorCode, ...] = ("NETWORK_BLOCKED", "PAYLOAD_TOO_LARGE")


def _family(
    apis: Mapping[str, tuple[type[BaseModel], Handler]],
    capability: str,
    rate: RateClass,
    errors: tuple[ErrorCode, ...],
) -> dict[str, ApiSpec]:
    return {
        name: ApiSpec(capability, model, handler, rate, errors=errors)
        for name, (model, handler) in apis.items()
    }


API_TABLE: Mapping[str, ApiSpec] = MappingProxyType(
    {
        "app.info": ApiSpec(None, NoParams, app.info, "cheap"),
        "app.requestCapability": ApiSpec(
            None,
            app.RequestCapability,
            app.request_capability,
            "consent",
            errors=("PERMISSION_DENIED", "CONSENT_DENIED"),
        ),
        "app.close": ApiSpec(None, NoParams, app.close, "ui"),
        "ui.toast": ApiSpec(None, ui.Toast, ui.toast, "ui"),
        # An app's own hand-over for a process-level discard (ADR 0014): no capability.
        "lifecycle.saveState": ApiSpec(
            None,
            lifecycle.SaveState,
            lifecycle.save_state,
            "io",
            errors=("PAYLOAD_TOO_LARGE",),
        ),
        "lifecycle.restored": ApiSpec(None, NoParams, lifecycle.restored, "cheap"),
        "user.profile": ApiSpec(
            "user:readProfile",
            NoParams,
            user.profile,
            "consent",
            audit_success=True,
        ),
        "clipboard.writeText": ApiSpec(
            "clipboard:write", clipboard.WriteText, clipboard.write_text, "clipboard"
        ),
        "clipboard.readText": ApiSpec(
            "clipboard:read",
            NoParams,
            clipboard.read_text,
            "clipboard",
            audit_success=True,
        ),
        "notifications.show": ApiSpec(
            "notifications", notifications.Notification, notifications.show, "notify"
        ),
        "share.send": ApiSpec(
            "share:send",
            share.ShareSend,
            share.send,
            "consent",
            errors=("CONSENT_DENIED", "QUOTA_EXCEEDED"),
            audit_success=True,
        ),
        # Receiving needs no capability: an app may always read what others chose to send it,
        # and each item names its sender as the host verified it.
        "share.inbox": ApiSpec(None, NoParams, share.inbox, "io"),
        **_family(storage.APIS, "storage", "io", _STORAGE_ERRORS),
        **_family(files.APIS, "files", "io", _STORAGE_ERRORS),
        **_family(net.APIS, "net:request", "net", _NET_ERRORS),
    }
)

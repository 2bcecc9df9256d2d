"""The static API table: every name ``callNative`` answers, and what guards it.

A name that is not a key of ``API_TABLE`` is ``UNKNOWN_API``; nothing is ever looked up by
attribute on a name the page sent. Each entry says which capability the call needs (None:
every app may call it), how its params are validated, which handler runs, its rate class,
and what it returns (a type, for the generated TypeScript definitions and docs/api.md).

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

from bridge.capabilities import app, clipboard, notifications, ui, user
from bridge.context import CallContext
from bridge.errors import ErrorCode
from bridge.limits import RateClass
from bridge.models import NoParams

__all__ = ["API_TABLE", "ApiSpec", "Handler"]

Handler = Callable[[CallContext, Any], object]


@dataclass(frozen=True)
class ApiSpec:
    capability: str | None
    params: type[BaseModel]
    handler: Handler
    rate: RateClass
    #: The result's type (a pydantic model, None, a plain type, or Any when unknown).
    result: Any = None
    #: Error codes this API raises beyond the ones every API can (see ``errors_of``).
    errors: tuple[ErrorCode, ...] = ()
    #: Write a ``bridge.call`` audit event for every successful call too (personal data).
    audit_success: bool = False


API_TABLE: Mapping[str, ApiSpec] = MappingProxyType(
    {
        "app.info": ApiSpec(None, NoParams, app.info, "cheap", result=app.AppInfo),
        "app.requestCapability": ApiSpec(
            None,
            app.RequestCapability,
            app.request_capability,
            "consent",
            result=app.CapabilityGrant,
            errors=("PERMISSION_DENIED", "CONSENT_DENIED"),
        ),
        "app.close": ApiSpec(None, NoParams, app.close, "ui"),
        "ui.toast": ApiSpec(None, ui.Toast, ui.toast, "ui"),
        "user.profile": ApiSpec(
            "user:readProfile",
            NoParams,
            user.profile,
            "consent",
            result=user.UserProfile,
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
            result=clipboard.ClipboardText,
            audit_success=True,
        ),
        "notifications.show": ApiSpec(
            "notifications", notifications.Notification, notifications.show, "notify"
        ),
    }
)

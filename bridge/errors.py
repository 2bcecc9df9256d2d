"""Errors a page can see. Each carries its wire ``code`` (DESIGN §5).

::

    BridgeError (SuperappError)
    ├── UnknownApiError        UNKNOWN_API
    ├── InvalidParamsError     INVALID_PARAMS
    ├── PermissionDeniedError  PERMISSION_DENIED   capability not declared / not granted
    ├── ConsentDeniedError     CONSENT_DENIED      the user said no
    ├── RateLimitedError       RATE_LIMITED
    ├── QuotaExceededError     QUOTA_EXCEEDED
    ├── PayloadTooLargeError   PAYLOAD_TOO_LARGE
    ├── NetworkBlockedError    NETWORK_BLOCKED
    ├── RevokedError           REVOKED
    └── InternalError          INTERNAL            never carries detail to the page

The message of a ``BridgeError`` goes to the page, so it must never contain a host path,
a traceback or another app's data. Anything that is not a ``BridgeError`` becomes
``INTERNAL`` at the dispatcher boundary, with the detail only in the host log.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from superapp.errors import SuperappError

__all__ = [
    "CODES",
    "BridgeError",
    "ConsentDeniedError",
    "ErrorCode",
    "InternalError",
    "InvalidParamsError",
    "NetworkBlockedError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitedError",
    "RevokedError",
    "UnknownApiError",
]

ErrorCode = Literal[
    "UNKNOWN_API",
    "INVALID_PARAMS",
    "PERMISSION_DENIED",
    "CONSENT_DENIED",
    "RATE_LIMITED",
    "QUOTA_EXCEEDED",
    "PAYLOAD_TOO_LARGE",
    "NETWORK_BLOCKED",
    "REVOKED",
    "INTERNAL",
]

CODES: tuple[ErrorCode, ...] = (
    "UNKNOWN_API",
    "INVALID_PARAMS",
    "PERMISSION_DENIED",
    "CONSENT_DENIED",
    "RATE_LIMITED",
    "QUOTA_EXCEEDED",
    "PAYLOAD_TOO_LARGE",
    "NETWORK_BLOCKED",
    "REVOKED",
    "INTERNAL",
)


class BridgeError(SuperappError):
    code: ClassVar[ErrorCode] = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownApiError(BridgeError):
    code = "UNKNOWN_API"


class InvalidParamsError(BridgeError):
    code = "INVALID_PARAMS"


class PermissionDeniedError(BridgeError):
    code = "PERMISSION_DENIED"


class ConsentDeniedError(BridgeError):
    code = "CONSENT_DENIED"


class RateLimitedError(BridgeError):
    code = "RATE_LIMITED"


class QuotaExceededError(BridgeError):
    code = "QUOTA_EXCEEDED"


class PayloadTooLargeError(BridgeError):
    code = "PAYLOAD_TOO_LARGE"


class NetworkBlockedError(BridgeError):
    code = "NETWORK_BLOCKED"


class RevokedError(BridgeError):
    code = "REVOKED"


class InternalError(BridgeError):
    code = "INTERNAL"

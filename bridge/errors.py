"""Errors a page can see. Each carries its wire ``code`` (DESIGN §5).

A re-export: the classes, and the one table that maps every host error to one of them, live in
``superapp.core.errors`` (the whole tree is drawn there). Anything that is neither a
``BridgeError`` nor listed there becomes ``INTERNAL`` at the dispatcher boundary, with the
detail only in the host log.
"""

from __future__ import annotations

from superapp.core.errors import (
    CODES,
    BridgeError,
    ConsentDeniedError,
    ErrorCode,
    InternalError,
    InvalidParamsError,
    NetworkBlockedError,
    NetworkFailedError,
    PayloadTooLargeError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitedError,
    RevokedError,
    UnknownApiError,
    to_bridge_error,
    wire_error,
)

__all__ = [
    "CODES",
    "BridgeError",
    "ConsentDeniedError",
    "ErrorCode",
    "InternalError",
    "InvalidParamsError",
    "NetworkBlockedError",
    "NetworkFailedError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitedError",
    "RevokedError",
    "UnknownApiError",
    "to_bridge_error",
    "wire_error",
]

"""Errors of the kill switch.

::

    RevocationError (SuperappError)     one-line message; ``rule`` names what failed
    ├── FetchError                      the document could not be fetched (rule "fetch")
    ├── DocumentFormatError             not a revocation document we understand ("format")
    ├── UnknownKeyError                 signed by no trusted platform key ("unknown_key")
    ├── BadSignatureError               a trusted key's signature does not verify ("bad_signature")
    ├── ThresholdError                  too few distinct trusted keys signed ("threshold")
    ├── RollbackError                   older than (or conflicting with) what we hold ("rollback")
    ├── KeysetRollbackError             rotates back to an older key set ("keyset_rollback")
    └── ExpiredError                    past its ``expires`` time ("expired")
"""

from __future__ import annotations

from typing import ClassVar

from superapp.errors import SuperappError

__all__ = [
    "BadSignatureError",
    "DocumentFormatError",
    "ExpiredError",
    "FetchError",
    "KeysetRollbackError",
    "RevocationError",
    "RollbackError",
    "ThresholdError",
    "UnknownKeyError",
]


class RevocationError(SuperappError):
    rule: ClassVar[str] = "revocation"


class FetchError(RevocationError):
    rule = "fetch"


class DocumentFormatError(RevocationError):
    rule = "format"


class UnknownKeyError(RevocationError):
    rule = "unknown_key"


class BadSignatureError(RevocationError):
    rule = "bad_signature"


class ThresholdError(RevocationError):
    rule = "threshold"


class RollbackError(RevocationError):
    rule = "rollback"


class KeysetRollbackError(RevocationError):
    rule = "keyset_rollback"


class ExpiredError(RevocationError):
    rule = "expired"

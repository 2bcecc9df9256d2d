"""Errors of the kill switch (defined in ``superapp.core.errors``, re-exported here).

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

from superapp.core.errors import (
    BadSignatureError,
    DocumentFormatError,
    ExpiredError,
    FetchError,
    KeysetRollbackError,
    RevocationError,
    RollbackError,
    ThresholdError,
    UnknownKeyError,
)

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

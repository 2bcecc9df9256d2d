"""The kill switch: a signed revocation document the platform publishes and every host enforces.

The document model and its verification procedure are in ``_document``; the host side
(fetch, verify, persist, audit, query) is ``RevocationChecker``. Decision record:
docs/adr/0005-revocation-expiry.md.
"""

from __future__ import annotations

from superapp.revocation._checker import RefreshResult, RevocationChecker, RevocationStatus
from superapp.revocation._document import (
    DOC_TYPE,
    Keyset,
    Revocation,
    RevocationList,
    VerifiedDocument,
    canonical_bytes,
    encode_document,
    sign_document,
    verify_document,
)
from superapp.revocation._errors import (
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
from superapp.revocation._fetch import fetch_document
from superapp.revocation._keys import (
    generate_private_key,
    key_id,
    load_private_key,
    public_key_b64,
    save_private_key,
)

__all__ = [
    "DOC_TYPE",
    "BadSignatureError",
    "DocumentFormatError",
    "ExpiredError",
    "FetchError",
    "Keyset",
    "KeysetRollbackError",
    "RefreshResult",
    "Revocation",
    "RevocationChecker",
    "RevocationError",
    "RevocationList",
    "RevocationStatus",
    "RollbackError",
    "ThresholdError",
    "UnknownKeyError",
    "VerifiedDocument",
    "canonical_bytes",
    "encode_document",
    "fetch_document",
    "generate_private_key",
    "key_id",
    "load_private_key",
    "public_key_b64",
    "save_private_key",
    "sign_document",
    "verify_document",
]

"""The host's exception tree: a re-export of ``superapp.core.errors`` (drawn there).

Kept so that ``from superapp.errors import ...`` keeps working; new code imports
``superapp.core.errors``.
"""

from __future__ import annotations

from superapp.core.errors import (
    AppStateError,
    AuditError,
    BundleError,
    InstallError,
    ManifestError,
    NotInstalledError,
    PolicyError,
    RuntimeStartError,
    SignatureError,
    StorageError,
    SuperappError,
    TrustError,
    UsageError,
)

__all__ = [
    "AppStateError",
    "AuditError",
    "BundleError",
    "InstallError",
    "ManifestError",
    "NotInstalledError",
    "PolicyError",
    "RuntimeStartError",
    "SignatureError",
    "StorageError",
    "SuperappError",
    "TrustError",
    "UsageError",
]

"""Capability names and which need consent: a re-export of ``superapp.core.capabilities``."""

from __future__ import annotations

from superapp.core.capabilities import (
    CAPABILITIES,
    CONSENT_REQUIRED,
    WEB_PERMISSION_CAPABILITIES,
    is_known,
)

__all__ = ["CAPABILITIES", "CONSENT_REQUIRED", "WEB_PERMISSION_CAPABILITIES", "is_known"]

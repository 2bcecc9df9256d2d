"""Capability names (manifest ``req_permissions[].name``) and which of them need consent.

This is the single list the manifest validator, the dispatcher's table, the grants store and
the engine's web-permission policy all read (DESIGN §5).
"""

from __future__ import annotations

from typing import Final

__all__ = ["CAPABILITIES", "CONSENT_REQUIRED", "WEB_PERMISSION_CAPABILITIES", "is_known"]

#: Every capability a manifest may declare.
CAPABILITIES: Final[frozenset[str]] = frozenset(
    {
        "storage",
        "files",
        "net:request",
        "user:readProfile",
        "clipboard:write",
        "clipboard:read",
        "notifications",
        "share:send",
        "media:camera",
        "media:microphone",
        "location:read",
    }
)

#: Capabilities the user must consent to (in host-owned UI) before they are granted.
#: The others are granted at install/launch when the manifest declares them.
CONSENT_REQUIRED: Final[frozenset[str]] = frozenset(
    {
        "user:readProfile",
        "clipboard:read",
        "share:send",
        "media:camera",
        "media:microphone",
        "location:read",
    }
)

#: Capabilities that gate the web platform's own permission prompts in the engine.
WEB_PERMISSION_CAPABILITIES: Final[frozenset[str]] = frozenset(
    {"media:camera", "media:microphone", "location:read", "notifications", "clipboard:read"}
)


def is_known(name: str) -> bool:
    return name in CAPABILITIES

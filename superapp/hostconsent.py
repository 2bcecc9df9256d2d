"""How a host without a window answers consent requests.

``superapp run`` and ``superapp dev`` have no launcher to show a prompt in, so they follow a
non-interactive policy: ``SUPERAPP_CONSENT=deny`` (the default: nothing sensitive is granted
behind the user's back) or ``allow`` (tests and kiosks that pre-approve). ``allow`` means
"allow once": it never persists a grant.
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["consent_from_env", "share_confirm_from_env"]


def consent_from_env() -> Callable[[str, str, str], str]:
    mode = os.environ.get("SUPERAPP_CONSENT", "deny").strip().lower()
    answer = "allow_once" if mode == "allow" else "deny"
    return lambda app_id, capability, reason: answer


def share_confirm_from_env() -> Callable[[str, str, str], bool]:
    """Confirmation of ``share.send`` for a host without a window: the same policy."""
    allowed = os.environ.get("SUPERAPP_CONSENT", "deny").strip().lower() == "allow"
    return lambda sender, receiver_name, receiver: allowed

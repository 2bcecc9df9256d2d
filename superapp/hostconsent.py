"""How a host without a window answers consent requests.

``superapp run`` and ``superapp dev`` have no launcher to show a prompt in, so they follow a
non-interactive policy from ``SUPERAPP_CONSENT``:

- ``deny`` (the default): nothing sensitive is granted behind the user's back;
- ``allow`` or ``allow_once`` (tests and kiosks that pre-approve): this one use, never remembered;
- ``allow_always``: granted and remembered until revoked (tests of persistence).

Each question is still shown: one line on the host's standard output,
``superapp: consent-prompt {json}``, holding exactly what the launcher's dialog would show
(``ConsentPrompt.record()``) and the policy's answer. JSON escapes every control character,
so the app's name and reason cannot write to the terminal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from superapp.consent import ConsentAnswer
from superapp.consentprompt import ConsentPrompt

__all__ = ["consent_from_env", "share_confirm_from_env"]

_ANSWERS = {"allow": "allow_once", "allow_once": "allow_once", "allow_always": "allow_always"}


def consent_from_env() -> Callable[[ConsentPrompt], ConsentAnswer]:
    mode = os.environ.get("SUPERAPP_CONSENT", "deny").strip().lower()
    answer = ConsentAnswer(_ANSWERS.get(mode, "deny"))

    def ask(prompt: ConsentPrompt) -> ConsentAnswer:
        line = dict(prompt.record(), answer=answer.value, answered_by="SUPERAPP_CONSENT")
        print("superapp: consent-prompt " + json.dumps(line), flush=True)
        return answer

    return ask


def share_confirm_from_env() -> Callable[[str, str, str], bool]:
    """Confirmation of ``share.send`` for a host without a window: the same policy."""
    allowed = _ANSWERS.get(os.environ.get("SUPERAPP_CONSENT", "deny").strip().lower()) is not None
    return lambda sender, receiver_name, receiver: allowed

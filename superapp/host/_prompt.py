"""What the host's consent prompt says, built by the host from what it verified itself,
and how a host without a window answers it.

The prompt names the app by what the host knows (the registry's record of the verified,
installed bundle: its name, icon and publisher; for developer mode, the folder's manifest,
marked unsigned), says in plain words what the app will get (never the raw capability id
alone), quotes the manifest's own reason (signed text, never text from the page at run time)
and offers three answers: Allow once, Allow always, Deny. Only "Allow always" is remembered.

Whoever shows it (the launcher's dialog, or the terminal of ``superapp run``) renders this one
object, so tests can check what the user was shown from its ``record()``.

How a host without a window answers (``consent_from_env``):

``superapp run`` and ``superapp dev`` show the launcher's dialog from their own main thread
(``superapp.cli._dev``, ``superapp.launcher._dev_prompt``). When ``SUPERAPP_CONSENT`` is set,
they follow this non-interactive policy instead (scripted runs, kiosks, tests):

- ``deny`` (also any unknown value): nothing sensitive is granted behind the user's back;
- ``allow`` or ``allow_once`` (tests and kiosks that pre-approve): this one use, never remembered;
- ``allow_always``: granted and remembered until revoked (tests of persistence).

Each question is still shown: one line on the host's standard output,
``superapp: consent-prompt {json}``, holding exactly what the launcher's dialog would show
(``ConsentPrompt.record()``) and the policy's answer. JSON escapes every control character,
so the app's name and reason cannot write to the terminal.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from superapp.core.capabilities import CAPABILITIES
from superapp.core.consent import ConsentAnswer
from superapp.core.paths import Paths

__all__ = [
    "ANSWERS",
    "DESCRIPTIONS",
    "ConsentPrompt",
    "build_prompt",
    "consent_from_env",
    "describe",
    "share_confirm_from_env",
]

_log = logging.getLogger(__name__)

#: What each capability gives the app, in words a user can judge ("<App> wants to ...").
DESCRIPTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "storage": "keep its own data on this device",
        "files": "keep its own files on this device",
        "net:request": "connect to the internet servers its publisher listed",
        "user:readProfile": "see your profile: your display name, email address and picture",
        "clipboard:write": "replace what you have copied (write to your clipboard)",
        "clipboard:read": "read what you have copied (your clipboard)",
        "notifications": "show notifications on your desktop",
        "share:send": "send data to another app you have installed",
        "media:camera": "use your camera",
        "media:microphone": "use your microphone",
        "location:read": "know where you are (your location)",
    }
)

#: The answers, as shown (label) and as the host's protocol spells them, in display order.
ANSWERS: Final[tuple[tuple[str, str], ...]] = (
    ("Allow once", "allow_once"),
    ("Allow always", "allow_always"),
    ("Deny", "deny"),
)

_MAX_ICON_BYTES = 1024 * 1024


def describe(capability: str) -> str:
    """Plain words for ``capability``; an unknown id is shown as such, never hidden."""
    return DESCRIPTIONS.get(capability, f"use the permission “{capability}”")


@dataclass(frozen=True)
class ConsentPrompt:
    app_id: str
    app_name: str
    #: The publisher as the trust store knows its key, or a warning for unsigned apps.
    publisher: str
    #: True for an installed app whose signature the host verified.
    verified: bool
    capability: str
    reason: str
    icon_png: bytes | None = field(default=None, repr=False)
    #: Set when the question is asked for an update waiting for consent ("1.1.0 → 1.2.0"):
    #: the update runs only if the user allows (superapp.fleet, issue 17).
    update: str = ""

    @property
    def description(self) -> str:
        return describe(self.capability)

    @property
    def headline(self) -> str:
        if self.update:
            return f"The update of {self.app_name} ({self.update}) wants to {self.description}."
        return f"{self.app_name} wants to {self.description}."

    @property
    def publisher_line(self) -> str:
        if self.verified:
            return f"Published by {self.publisher} · {self.app_id}"
        return f"Unsigned app in developer mode · {self.app_id}"

    @property
    def reason_line(self) -> str:
        return f"The app says: “{self.reason}”" if self.reason else "The app gives no reason."

    def record(self) -> dict[str, Any]:
        """What the prompt shows, as data (for tests and the host's own log)."""
        return {
            "app_id": self.app_id,
            "app_name": self.app_name,
            "publisher": self.publisher,
            "verified": self.verified,
            "capability": self.capability,
            "headline": self.headline,
            "publisher_line": self.publisher_line,
            "reason_line": self.reason_line,
            "answers": [label for label, _ in ANSWERS],
            "has_icon": self.icon_png is not None,
            "update": self.update,
        }


def _read_icon(path: Path | None) -> bytes | None:
    try:
        if path is not None and path.is_file() and path.stat().st_size <= _MAX_ICON_BYTES:
            return path.read_bytes()
    except OSError:
        pass
    return None


def build_prompt(
    paths: Paths, app_id: str, capability: str, reason: str, dev_src: Path | None = None
) -> ConsentPrompt:
    """The prompt for ``app_id`` asking for ``capability``, from the host's own records."""
    if capability not in CAPABILITIES:
        _log.warning("consent asked for unknown capability %r", capability)
    if dev_src is not None:
        from superapp import bundles

        name, icon = app_id, None
        try:
            manifest = bundles.load_manifest_dir(dev_src)
            name = manifest.name
            if manifest.icons:
                icon = _read_icon(dev_src / manifest.icons[0].src)
        except Exception:  # a broken folder still gets a prompt, named by its id
            _log.warning("could not read the manifest of %s for its consent prompt", app_id)
        return ConsentPrompt(app_id, name, "", False, capability, reason, icon)
    from superapp.state import registry

    try:
        app = registry.get_app(paths, app_id)
    except Exception:
        return ConsentPrompt(app_id, app_id, "", False, capability, reason)
    publisher = app.publisher_name or f"key {app.key_id[:16]}"
    icon = _read_icon(app.icon_path)
    return ConsentPrompt(app_id, app.name, publisher, True, capability, reason, icon)


_ENV_ANSWERS = {"allow": "allow_once", "allow_once": "allow_once", "allow_always": "allow_always"}


def consent_from_env() -> Callable[[ConsentPrompt], ConsentAnswer]:
    mode = os.environ.get("SUPERAPP_CONSENT", "deny").strip().lower()
    answer = ConsentAnswer(_ENV_ANSWERS.get(mode, "deny"))

    def ask(prompt: ConsentPrompt) -> ConsentAnswer:
        line = dict(prompt.record(), answer=answer.value, answered_by="SUPERAPP_CONSENT")
        print("superapp: consent-prompt " + json.dumps(line), flush=True)
        return answer

    return ask


def share_confirm_from_env() -> Callable[[str, str, str], bool]:
    """Confirmation of ``share.send`` for a host without a window: the same policy."""
    mode = os.environ.get("SUPERAPP_CONSENT", "deny").strip().lower()
    allowed = _ENV_ANSWERS.get(mode) is not None
    return lambda sender, receiver_name, receiver: allowed

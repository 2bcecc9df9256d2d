"""The page's console in developer mode, on its own stream (``superapp dev``).

Chromium's own stderr mixes dbus, GPU and sandbox noise with the page's messages; the page's
console goes instead to the runtime's standard output (the host's terminal), one line each,
``superapp: console: <source>:<line>: <message>``, escaped (``safe_text``: no control
sequences, no line breaks from the page reach the terminal).

The seam: ``DevConsole.explainers`` are called with each message and may return a hint line
(for instance what a CSP refusal means and what to use instead), printed after it as
``superapp: console: hint: …``. Installed apps have no console stream.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TextIO

from superapp.audit import safe_text

__all__ = ["CONSOLE_PREFIX", "DevConsole", "Explainer"]

CONSOLE_PREFIX = "superapp: console: "
#: Gets the page's message (``source:line: text``); returns a hint, or None.
Explainer = Callable[[str], str | None]


class DevConsole:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.explainers: list[Explainer] = []

    def __call__(self, text: str) -> None:
        lines = [CONSOLE_PREFIX + safe_text(text)]
        for explain in self.explainers:
            hint = explain(text)
            if hint:
                lines.append(CONSOLE_PREFIX + "hint: " + safe_text(hint))
        stream = self._stream if self._stream is not None else sys.stdout
        with self._lock:
            stream.write("\n".join(lines) + "\n")
            stream.flush()

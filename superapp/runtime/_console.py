"""The page's console, for the developer, in developer mode only (issue 15, point 6).

The engine's own stderr mixes Chromium's messages (dbus, GPU, sandbox) with the page's. In
developer mode the runtime forwards what the page printed (``console.*``, uncaught errors) and
each CSP refusal (``_cspreport``) to the host as typed ``console`` control messages; the
``superapp dev`` command prints them on a stream of their own, escaped. An installed app's
console goes nowhere: nothing of it leaves the runtime.

The engine also prints its own sentence for a refused inline script or handler; it is left
out here, since the refusal arrives as the ``csp`` line that names the construct and the fix.
(Its sentence for a refused ``eval`` stays: only it names the calling script's file.)

A page can print in a loop: lines beyond ``ConsoleLimits`` are dropped (counted, and the count
is said once lines flow again), so the control channel is never flooded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from superapp import protocol as control
from superapp.runtime._cspreport import CspRefusal

__all__ = ["ConsoleForwarder", "ConsoleLimits"]

Level = Literal["info", "warning", "error"]
#: The engine's sentences for refused inline code, which the ``csp`` line says better. Its
#: sentence for a refused ``eval`` stays: the engine names the calling file only there.
_ENGINE_INLINE_REFUSED = ("Refused to execute inline", "Executing inline")


@dataclass(frozen=True)
class ConsoleLimits:
    #: Lines per second forwarded on average, and the burst allowed above it.
    lines_per_s: float = 50.0
    burst: int = 200
    #: Characters of one line's text and of its source URL.
    max_text: int = 2000
    max_source: int = 512


class ConsoleForwarder:
    def __init__(
        self,
        origin: str,
        send: Callable[[control.Console], None],
        limits: ConsoleLimits = ConsoleLimits(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._origin = origin
        self._send = send
        self._limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(limits.burst)
        self._last = clock()
        self.dropped = 0

    def console(self, level: Level, message: str, line: int, source: str) -> None:
        """One message the page printed (``QWebEnginePage.javaScriptConsoleMessage``)."""
        if source.startswith(self._origin + "/") and message.startswith(_ENGINE_INLINE_REFUSED):
            return  # the relay's report of the same refusal says it better (csp stream)
        self._emit("console", level, message, source, line)

    def refusal(self, refusal: CspRefusal) -> None:
        """One CSP refusal, as the developer reads it."""
        self._emit("csp", "error", refusal.text(), refusal.file, refusal.line)

    def _take(self) -> tuple[bool, int]:
        with self._lock:
            now = self._clock()
            rate, burst = self._limits.lines_per_s, self._limits.burst
            self._tokens = min(float(burst), self._tokens + (now - self._last) * rate)
            self._last = now
            if self._tokens < 1.0:
                self.dropped += 1
                return False, 0
            self._tokens -= 1.0
            dropped, self.dropped = self.dropped, 0
            return True, dropped

    def _emit(
        self, stream: Literal["console", "csp"], level: Level, text: str, source: str, line: int
    ) -> None:
        ok, dropped = self._take()
        if not ok:
            return
        lim = self._limits
        if source.startswith(self._origin + "/"):
            source = source[len(self._origin) + 1 :]
        try:
            if dropped:
                self._send(
                    control.Console(
                        stream="console",
                        level="warning",
                        text=f"({dropped} console lines dropped: the page printed too fast)",
                    )
                )
            self._send(
                control.Console(
                    stream=stream,
                    level=level,
                    text=text[: lim.max_text],
                    source=source[: lim.max_source],
                    line=max(0, line),
                )
            )
        except control.ChannelClosedError:
            pass

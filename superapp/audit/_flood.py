"""The per-app flood gate: repeated events an app causes become "N more like this".

Every event a running app causes reaches the host's audit log through one door,
``AuditLog.record_app`` (the supervisor calls it for each ``audit`` message on the app's
control channel). Before this gate, a page that varied a blocked URL wrote one entry per
request (~1,700 entries, 4 MB in 20 s), enough to rotate the retained log away in minutes.

Rules, per app, in fixed windows of ``window_s`` that start with the app's first event:

1. An event's *kind* is its action plus its host-defined category: the ``rule`` field
   (``net.blocked``, ``permission.denied``), else ``code`` (``bridge.denied``), else ``kind``,
   else nothing. Page-chosen text (URLs, reasons) never makes a new kind, so kinds are few.
2. The first ``per_kind`` events of each kind in a window are written, as long as the app has
   written fewer than ``per_app`` events in the window; later ones are counted only.
3. At most ``max_kinds`` kinds are tracked per app per window; further ones share one key.
4. When the window ends (checked at the app's next event) or the app stops (``close``), one
   ``audit.suppressed`` entry for the app says how many events of each kind were not written
   one by one ("1234 more like this"). It is written outside the gate: it is the record.

The gate only decides; ``AuditLog`` writes. The clock is injectable so tests step time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FloodGate", "FloodLimits", "Suppressed", "kind_of"]

_OTHER_KINDS = "(other kinds)"
_MAX_KIND_CHARS = 64


@dataclass(frozen=True)
class FloodLimits:
    """Limits of the flood gate. The host policy's ``[audit]`` section fills these in."""

    #: Length of one counting window, in seconds.
    window_s: float = 10.0
    #: Entries written per app, per kind (action + rule/code), per window.
    per_kind: int = 5
    #: Entries written per app per window, all kinds together.
    per_app: int = 50
    #: Kinds tracked per app per window; events of further kinds share one key.
    max_kinds: int = 32

    def __post_init__(self) -> None:
        if self.window_s <= 0:
            raise ValueError("audit flood window_s must be greater than 0")
        if min(self.per_kind, self.per_app, self.max_kinds) < 1:
            raise ValueError("audit flood per_kind, per_app and max_kinds must be at least 1")


@dataclass(frozen=True)
class Suppressed:
    """What one app's window left out: ``counts`` maps ``"action kind"`` to events not written."""

    app_id: str
    counts: Mapping[str, int]
    window_s: float

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def kind_of(action: str, fields: Mapping[str, Any]) -> str:
    """``"net.blocked host-not-allowed"``: the action and its host-defined category."""
    category = fields.get("rule") or fields.get("code") or fields.get("kind") or ""
    text = f"{action[:_MAX_KIND_CHARS]} {str(category)[:_MAX_KIND_CHARS]}"
    return text.rstrip()


@dataclass
class _Window:
    start: float
    written: int = 0
    per_kind: dict[str, int] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)


class FloodGate:
    """Decides, per app, which events are written one by one. Thread-safe."""

    def __init__(
        self, limits: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or FloodLimits()
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def admit(self, app_id: str, kind: str) -> tuple[bool, Suppressed | None]:
        """Count one event; True when it is to be written. The second value is the summary
        of the app's previous window when that window just ended (write it first)."""
        lim = self.limits
        now = self._clock()
        ended: Suppressed | None = None
        with self._lock:
            win = self._windows.get(app_id)
            if win is None or now - win.start >= lim.window_s:
                if win is not None:
                    ended = self._summary(app_id, win)
                win = self._windows[app_id] = _Window(now)
            if kind not in win.per_kind and len(win.per_kind) >= lim.max_kinds:
                kind = _OTHER_KINDS
            seen = win.per_kind.get(kind, 0)
            win.per_kind[kind] = seen + 1
            if seen < lim.per_kind and win.written < lim.per_app:
                win.written += 1
                return True, ended
            win.suppressed[kind] = win.suppressed.get(kind, 0) + 1
            return False, ended

    def close(self, app_id: str) -> Suppressed | None:
        """The app stopped: its pending summary, and forget it."""
        with self._lock:
            win = self._windows.pop(app_id, None)
            return self._summary(app_id, win) if win is not None else None

    def _summary(self, app_id: str, win: _Window) -> Suppressed | None:
        if not win.suppressed:
            return None
        return Suppressed(app_id, dict(win.suppressed), self.limits.window_s)

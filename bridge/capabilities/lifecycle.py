"""``lifecycle.*``: what a page hands over before its process may end, and gets back (ADR 0014).

A page in the background may be *discarded*: the host ends its whole runtime to free the
memory and, when the user comes back, launches it again at the same in-app URL. In its
``hide`` listener a page hands over a small value (``superapp.lifecycle.saveState``); the page
of the new runtime reads it once (``superapp.lifecycle.restored``). The value is plain JSON,
checked here (``superapp.core.pagestate``) and again by the host, which keeps it in memory
only. No capability is needed: an app only ever gets its own value back.
"""

from __future__ import annotations

import threading

from pydantic import JsonValue

from bridge.context import CallContext
from bridge.models import NoParams, Params, Result
from superapp.core.pagestate import PageStateLimits, encode_state

__all__ = [
    "HANDOVER_RESOURCE",
    "Handover",
    "Restored",
    "SaveState",
    "restored",
    "save_state",
]

HANDOVER_RESOURCE = "lifecycle.handover"


class Handover:
    """The runtime's copy: the page's latest hand-over, and the restored value until read."""

    def __init__(self, restored_state: str | None = None, was_discarded: bool = False) -> None:
        self.limits = PageStateLimits()
        self._lock = threading.Lock()
        self._saved: str | None = None
        self._restored = restored_state
        self._pending = was_discarded

    def save(self, text: str | None) -> None:
        with self._lock:
            self._saved = text

    @property
    def saved(self) -> str | None:
        with self._lock:
            return self._saved

    def take(self) -> tuple[bool, str | None]:
        """(was discarded, its state's JSON text), once; then (False, None)."""
        with self._lock:
            out = (self._pending, self._restored)
            self._pending, self._restored = False, None
            return out


def _handover(ctx: CallContext) -> Handover:
    return ctx.resource(HANDOVER_RESOURCE, Handover)


class SaveState(Params):
    #: Any plain JSON value (null clears what was handed over before).
    state: JsonValue


class Restored(Result):
    #: True for the first call of a page the host restored after discarding its process.
    was_discarded: bool
    #: The value the page handed over before (null if it handed over nothing).
    state: JsonValue = None


def save_state(ctx: CallContext, params: SaveState) -> None:
    """Hand over a small plain-JSON value (at most 64 KiB as JSON, 16 levels deep) that a
    discarded page gets back once from ``lifecycle.restored``; the latest call wins. Call it
    in the ``hide`` listener. Kept in memory only, never written to disk."""
    handover = _handover(ctx)
    text = None if params.state is None else encode_state(params.state, handover.limits)
    handover.save(text)


def restored(ctx: CallContext, params: NoParams) -> Restored:
    """Once, for a page the host restored after discarding its process: ``wasDiscarded`` and
    the value it handed over; afterwards (and for any other page) ``wasDiscarded`` is false."""
    import json

    was, text = _handover(ctx).take()
    return Restored(was_discarded=was, state=json.loads(text) if text is not None else None)

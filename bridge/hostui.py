"""The seam between bridge handlers and the app's window.

Handlers that need the window (``app.close``, ``ui.toast``, ``clipboard.*``,
``notifications.show``) get a ``HostUi`` through ``ctx.resource(UI_RESOURCE, ...)``. The
runtime installs its Qt implementation with ``ctx.set_resource(UI_RESOURCE, ui)`` before the
first call; it is called from the dispatcher's worker threads, so it must hand work to the
Qt main thread itself. ``DummyUi`` records what it was asked to do, for logic tests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from bridge.context import CallContext

__all__ = ["UI_RESOURCE", "DummyUi", "HostUi", "host_ui"]

UI_RESOURCE = "ui"


class HostUi(Protocol):
    def close(self) -> None:
        """Close the app's window (the runtime then exits)."""
        ...

    def toast(self, text: str) -> None:
        """Show a short, self-dismissing message in the app's window, host-styled."""
        ...

    def clipboard_write(self, text: str) -> None: ...

    def clipboard_read(self) -> str: ...

    def notify(self, title: str, body: str) -> None:
        """A system notification, attributed to the app by the host."""
        ...


@dataclass
class DummyUi:
    """A HostUi without a window: remembers every request; the clipboard is a string."""

    clipboard: str = ""
    closed: int = 0
    toasts: list[str] = field(default_factory=list)
    notifications: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def close(self) -> None:
        with self._lock:
            self.closed += 1

    def toast(self, text: str) -> None:
        with self._lock:
            self.toasts.append(text)

    def clipboard_write(self, text: str) -> None:
        with self._lock:
            self.clipboard = text

    def clipboard_read(self) -> str:
        with self._lock:
            return self.clipboard

    def notify(self, title: str, body: str) -> None:
        with self._lock:
            self.notifications.append((title, body))


def _no_ui() -> HostUi:
    # A programming error in the runtime (it must install its UI before dispatching):
    # the page sees INTERNAL, the host log sees this.
    raise RuntimeError("no HostUi installed in the CallContext (ctx.set_resource('ui', ...))")


def host_ui(ctx: CallContext) -> HostUi:
    return ctx.resource(UI_RESOURCE, _no_ui)

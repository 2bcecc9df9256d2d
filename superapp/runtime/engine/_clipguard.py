"""The system clipboard is written only by the user or with ``clipboard:write`` (issue 12).

``JavascriptCanAccessClipboard`` is off, yet Chromium lets a page copy on a click
(``document.execCommand('copy')`` with user activation, in any of its frames) and the engine
writes that to the system clipboard from this process, through ``QClipboard``. This guard sits
there, below every path the page has:

- it remembers what the clipboard held before (read when another program changes it, and at
  start), in this process only; the page never sees it;
- when this process becomes the clipboard's writer with new content, the write stands if the
  user just asked for a copy (a copy/cut key press in the window, or the page's Copy/Cut
  action), if it came from the host itself (``clipboard.writeText``, which checks the
  capability), or if the app holds ``clipboard:write``; otherwise the previous content is put
  back at once, the attempt is audited (``clipboard.write_refused``) and the user is told in
  host chrome.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QMimeData, QObject
from PySide6.QtGui import QClipboard, QGuiApplication, QKeyEvent, QKeySequence

__all__ = ["ClipboardGuard", "ClipboardLimits", "install_clipboard_guard"]

_MODE = QClipboard.Mode.Clipboard
_USER_COPY_KEYS = (QKeySequence.StandardKey.Copy, QKeySequence.StandardKey.Cut)


@dataclass(frozen=True)
class ClipboardLimits:
    #: How long after the user's copy key press (or Copy/Cut action) a write counts as theirs.
    user_gesture_s: float = 1.0
    #: What of the previous content is kept to put back: at most this many formats ...
    max_formats: int = 16
    #: ... and this many bytes in all (bigger content is put back as its text only).
    max_bytes: int = 8 * 1024 * 1024


Snapshot = tuple[tuple[str, bytes], ...]


def _snapshot(data: QMimeData | None, limits: ClipboardLimits) -> Snapshot:
    if data is None:
        return ()
    out: list[tuple[str, bytes]] = []
    total = 0
    for fmt in data.formats()[: limits.max_formats]:
        blob = bytes(data.data(fmt).data())
        total += len(blob)
        if total > limits.max_bytes:
            return (("text/plain", data.text().encode("utf-8")),) if data.hasText() else ()
        out.append((fmt, blob))
    return tuple(out)


def _mime(snapshot: Snapshot) -> QMimeData:
    data = QMimeData()
    for fmt, blob in snapshot:
        data.setData(fmt, blob)
    return data


class ClipboardGuard(QObject):
    """Create on the Qt main thread, after the QApplication exists."""

    def __init__(
        self,
        is_granted: Callable[[], bool],
        on_refused: Callable[[], None],
        limits: ClipboardLimits = ClipboardLimits(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._is_granted = is_granted
        self._on_refused = on_refused
        self._limits = limits
        self._clock = clock
        self._user_until = 0.0
        self._host_writing = False
        self._clipboard = QGuiApplication.clipboard()
        self._before: Snapshot = _snapshot(self._clipboard.mimeData(_MODE), limits)
        self._clipboard.dataChanged.connect(self._changed)

    # --- who may write ----------------------------------------------------------------
    def user_copied(self) -> None:
        """The user asked for a copy (a Copy/Cut action of the page): the next write is theirs."""
        self._user_until = self._clock() + self._limits.user_gesture_s

    def host_write(self, write: Callable[[], None]) -> None:
        """Run the host's own write (``clipboard.writeText``, which checked the capability)
        and keep what it wrote, whether Qt reports the change during ``write`` or later."""
        self._host_writing = True
        try:
            write()
        finally:
            self._host_writing = False
        self._before = _snapshot(self._clipboard.mimeData(_MODE), self._limits)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and any(event.matches(key) for key in _USER_COPY_KEYS)
        ):
            self.user_copied()
        return False

    # --- the check --------------------------------------------------------------------
    def _changed(self) -> None:
        current = _snapshot(self._clipboard.mimeData(_MODE), self._limits)
        if not self._clipboard.ownsClipboard():
            self._before = current  # another program (or the user elsewhere) wrote it
            return
        if current == self._before:
            return  # our own restore, or nothing new
        if self._host_writing or self._clock() <= self._user_until or self._is_granted():
            self._before = current
            return
        self._clipboard.setMimeData(_mime(self._before), _MODE)
        self._on_refused()


def install_clipboard_guard(view: Any, page: Any, guard: ClipboardGuard) -> None:
    """Count the user's copy keys in the web view, and the page's Copy/Cut actions (context
    menu), as the user's own copies.

    The key filter goes on the widget that receives the view's keys (its focus proxy, which
    the engine creates with the first render); an application-wide filter crashed PySide.
    """
    from PySide6.QtWebEngineCore import QWebEnginePage

    for action in (QWebEnginePage.WebAction.Copy, QWebEnginePage.WebAction.Cut):
        page.action(action).triggered.connect(guard.user_copied)
    watched: list[Any] = []

    def watch_keys(_ok: bool = True) -> None:
        proxy = view.focusProxy()
        if proxy is not None and not any(w is proxy for w in watched):
            proxy.installEventFilter(guard)
            watched.append(proxy)

    page.loadFinished.connect(watch_keys)
    watch_keys()

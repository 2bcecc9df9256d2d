"""The Qt side of ``bridge.hostui.HostUi``: things the host draws, not the page.

Handlers call these from the dispatcher's worker threads; every Qt call is handed to the
main thread through a queued signal. Toasts and notifications are Qt widgets laid over the
window, styled by the host and labelled with the app's name, so a page cannot restyle, move
or click them, and cannot make them look like they come from somewhere else.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel

from superapp.runtime.engine._chrome import UI_LOG_ENV

__all__ = ["QtUi"]

_TOAST_MS = 3500
_STYLE = (
    "QLabel { background: rgba(32,33,36,235); color: white; border-radius: 8px;"
    " padding: 10px 16px; font-size: 13px; }"
)


class QtUi(QObject):
    _invoke = Signal(object)

    def __init__(
        self, app_name: str, get_window: Callable[[], Any], icon_png: bytes | None = None
    ) -> None:
        super().__init__()
        self._app_name = app_name
        self._icon_png = icon_png
        self._strip: Any = None
        #: ``_clipguard.ClipboardGuard`` once the window exists (the host's own writes pass it)
        self.clipboard_guard: Any = None
        self._get_window = get_window
        self._invoke.connect(self._run, Qt.ConnectionType.QueuedConnection)
        self._label: QLabel | None = None
        self._timer: QTimer | None = None

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()

    def _on_main(self, fn: Callable[[], Any], timeout: float = 5.0) -> Any:
        done = threading.Event()
        box: list[Any] = [None]

        def call() -> None:
            try:
                box[0] = fn()
            finally:
                done.set()

        self._invoke.emit(call)
        if not done.wait(timeout):
            raise TimeoutError("the window did not answer")
        return box[0]

    # --- HostUi ------------------------------------------------------------------------
    def close(self) -> None:
        window = self._get_window()
        if window is not None:
            window.destroy()

    def toast(self, text: str) -> None:
        self._invoke.emit(lambda: self._show(text))

    def notify(self, title: str, body: str) -> None:
        self._invoke.emit(lambda: self._show(f"{self._app_name}: {title}\n{body}"))

    def clipboard_write(self, text: str) -> None:
        def write() -> None:
            QGuiApplication.clipboard().setText(text)

        guard = self.clipboard_guard
        self._on_main(write if guard is None else lambda: guard.host_write(write))

    def clipboard_read(self) -> str:
        text: str = self._on_main(lambda: QGuiApplication.clipboard().text())
        return text

    def notice(self, text: str) -> None:
        """Tell the user something about the app in host chrome above its web view (the
        strip of ``_chrome``); callable from any thread."""
        self._invoke.emit(lambda: self._show_notice(text))

    # --- drawing -----------------------------------------------------------------------
    def _show_notice(self, text: str) -> None:
        window = self._get_window()
        view = getattr(window, "native", None)
        if view is None:
            return
        if self._strip is None:
            from superapp.runtime.engine._chrome import HostStrip

            self._strip = HostStrip(view, self._app_name, self._icon_png)
        self._strip.show_notice(text)

    def _show(self, text: str) -> None:
        window = self._get_window()
        view = getattr(window, "native", None)
        if view is None:
            return
        if self._label is None:
            self._label = QLabel(view)
            self._label.setStyleSheet(_STYLE)
            self._label.setWordWrap(True)
            # The text comes from the page: never let Qt interpret it as rich text (HTML).
            self._label.setTextFormat(Qt.TextFormat.PlainText)
            self._label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            self._timer = QTimer(self._label)
            self._timer.setSingleShot(True)
            self._timer.timeout.connect(self._label.hide)
        label, timer = self._label, self._timer
        if timer is None:  # created together with the label above
            return
        label.setText(text)
        label.setMaximumWidth(max(200, view.width() - 48))
        label.adjustSize()
        label.move((view.width() - label.width()) // 2, view.height() - label.height() - 24)
        label.raise_()
        label.show()
        timer.start(_TOAST_MS)
        if os.environ.get(UI_LOG_ENV) == "1":
            # Tests only (as the host strip's, ``_chrome``; the plugin's ``toasts``): what the
            # widget shows, read back from it, as one JSON line (escapes every control character).
            shown = {"surface": "toast", "text": label.text(), "visible": label.isVisible()}
            print("superapp-ui: " + json.dumps(shown), file=sys.stderr, flush=True)

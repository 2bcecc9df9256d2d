"""Host chrome around an app's web view: a strip the page can neither draw into nor imitate.

The strip is a ``QToolBar`` of the app's ``QMainWindow``, docked above the web view: it takes
its own rows of pixels, so nothing the page renders can cover it, restyle it or click it.
It shows the app's verified icon and name (from the bundle the runtime verified, never from
the page) next to what the host wants to tell the user, e.g. that the app tried to open a
dialog and was refused. It is non-modal and hides itself after a while.

With ``SUPERAPP_UI_LOG=1`` (tests only) every time the strip is shown its widgets' actual
texts are written to stderr as one JSON line (``superapp-ui: {...}``), so tests can read what
the user saw; JSON escapes every control character, so page-influenced text stays inert.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QToolBar,
    QToolButton,
    QWidget,
)

__all__ = ["UI_LOG_ENV", "HostStrip"]

UI_LOG_ENV = "SUPERAPP_UI_LOG"
_HIDE_MS = 8000
_ICON_PX = 20
_STYLE = (
    "QToolBar#superappHostStrip { background: #fff4ce; border-bottom: 1px solid #c8a600;"
    " spacing: 8px; padding: 4px 8px; }"
    "QLabel#superappHostBadge { color: #5c4a00; font-weight: bold; }"
    "QLabel#superappHostText { color: #202124; }"
)


class HostStrip(QToolBar):
    """One strip per window. ``show_notice`` must run on the Qt main thread."""

    def __init__(self, window: Any, app_name: str, icon_png: bytes | None) -> None:
        super().__init__("superapp", window)
        self.setObjectName("superappHostStrip")
        self.setStyleSheet(_STYLE)
        self.setMovable(False)
        self.setFloatable(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        self.toggleViewAction().setEnabled(False)
        self._app_name = app_name
        body = QWidget(self)
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        self._icon = QLabel(body)
        self._icon.setFixedSize(QSize(_ICON_PX, _ICON_PX))
        if icon_png:
            pixmap = QPixmap()
            if pixmap.loadFromData(icon_png):
                keep = Qt.AspectRatioMode.KeepAspectRatio
                smooth = Qt.TransformationMode.SmoothTransformation
                self._icon.setPixmap(pixmap.scaled(_ICON_PX, _ICON_PX, keep, smooth))
        self._badge = QLabel(body)
        self._badge.setObjectName("superappHostBadge")
        self._text = QLabel(body)
        self._text.setObjectName("superappHostText")
        for label in (self._badge, self._text):
            # App names and anything derived from the app are plain text, never rich text.
            label.setTextFormat(Qt.TextFormat.PlainText)
        self._text.setWordWrap(True)
        self._badge.setText(f"superapp · {app_name}")
        row.addWidget(self._icon)
        row.addWidget(self._badge)
        row.addWidget(self._text, 1)
        self.addWidget(body)
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        self.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self)
        self.hide()

    def show_notice(self, text: str) -> None:
        self._text.setText(text)
        self.show()
        self.raise_()
        self._timer.start(_HIDE_MS)
        if os.environ.get(UI_LOG_ENV) == "1":
            # After the window has laid the strip out, so its geometry is the one shown.
            QTimer.singleShot(50, self._log_shown)

    def _log_shown(self) -> None:
        window = self.parentWidget()
        view = window.centralWidget() if isinstance(window, QMainWindow) else None
        icon = self._icon.pixmap()
        record = {
            "surface": "host-strip",
            "badge": self._badge.text(),
            "text": self._text.text(),
            "has_icon": icon is not None and not icon.isNull(),
            "visible": self.isVisible(),
            # The strip and the web view (the window's central widget) share no pixel.
            "overlaps_web_view": bool(view is None or self.geometry().intersects(view.geometry())),
        }
        print("superapp-ui: " + json.dumps(record), file=sys.stderr, flush=True)

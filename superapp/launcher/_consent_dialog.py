"""The host's consent prompt: a window of its own that no app can draw into or imitate.

It is a separate top-level dialog of the host process (the launcher), not a message box over
the app's window and not HTML: a page cannot script it, restyle it, or draw it inside its own
window convincingly, because it carries what the page does not control: the host's badge,
the app's verified icon, name and publisher (from the registry), plain words for what is
shared, the manifest's signed reason, and three answers (Allow once, Allow always, Deny; Deny
is the default, and closing the window denies). All text is plain text, never rich text.

``SUPERAPP_TEST_CONSENT_ANSWER=allow_once|allow_always|deny`` (tests only): once the dialog is
on screen, its widgets' texts are written to stdout as one JSON line (``superapp-ui: {...}``)
and the named button is clicked, through the same path as the user's click.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from superapp.host import ANSWERS, ConsentPrompt

__all__ = ["TEST_ANSWER_ENV", "ConsentDialog", "MainThread"]

TEST_ANSWER_ENV = "SUPERAPP_TEST_CONSENT_ANSWER"
_ICON_PX = 48
_STYLE = (
    "QDialog { background: #ffffff; }"
    "QLabel#hostBadge { background: #1a73e8; color: white; font-weight: bold;"
    " padding: 6px 10px; }"
    "QLabel#appName { font-size: 16px; font-weight: bold; }"
    "QLabel#unsigned { color: #b3261e; }"
)


def _plain(text: str, parent: QWidget, name: str = "") -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setText(text)
    if name:
        label.setObjectName(name)
    return label


class ConsentDialog(QDialog):
    def __init__(self, prompt: ConsentPrompt) -> None:
        super().__init__(None)
        self.answer = "deny"
        self.setWindowTitle("superapp — permission request")
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setStyleSheet(_STYLE)
        self.setMinimumWidth(420)
        outer = QVBoxLayout(self)
        self._labels = [_plain("superapp · permission request", self, "hostBadge")]
        outer.addWidget(self._labels[0])
        head = QHBoxLayout()
        icon = QLabel(self)
        icon.setFixedSize(_ICON_PX, _ICON_PX)
        pixmap = QPixmap()
        if prompt.icon_png and pixmap.loadFromData(prompt.icon_png):
            keep = Qt.AspectRatioMode.KeepAspectRatio
            smooth = Qt.TransformationMode.SmoothTransformation
            icon.setPixmap(pixmap.scaled(_ICON_PX, _ICON_PX, keep, smooth))
        self.has_icon = not pixmap.isNull()
        names = QVBoxLayout()
        who = [
            _plain(prompt.app_name, self, "appName"),
            _plain(prompt.publisher_line, self, "" if prompt.verified else "unsigned"),
        ]
        for label in who:
            names.addWidget(label)
        head.addWidget(icon)
        head.addLayout(names, 1)
        outer.addLayout(head)
        body = [
            _plain(prompt.headline, self, "headline"),
            _plain(prompt.reason_line, self, "reason"),
            _plain(
                "Allow once: only this time. Allow always: until you revoke it in "
                "Permissions. Deny: the app is told no.",
                self,
            ),
        ]
        for label in body:
            outer.addWidget(label)
        self._labels += who + body
        row = QHBoxLayout()
        row.addStretch(1)
        self.buttons: dict[str, QPushButton] = {}
        for text, answer in ANSWERS:
            button = QPushButton(text, self)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, a=answer: self._answer(a))
            row.addWidget(button)
            self.buttons[answer] = button
        self.buttons["deny"].setDefault(True)
        self.buttons["deny"].setFocus()
        outer.addLayout(row)

    def _answer(self, answer: str) -> None:
        self.answer = answer
        self.accept()

    def texts(self) -> dict[str, Any]:
        """What the dialog shows right now, read back from its widgets."""
        return {
            "surface": "consent-dialog",
            "title": self.windowTitle(),
            "labels": [label.text() for label in self._labels],
            "buttons": [b.text() for b in self.buttons.values()],
            "has_icon": self.has_icon,
            "top_level": self.isWindow() and self.parentWidget() is None,
            "visible": self.isVisible(),
        }


def ask_in_dialog(prompt: ConsentPrompt) -> str:
    """Show the dialog and wait for the answer (Qt main thread only)."""
    dialog = ConsentDialog(prompt)
    test_answer = os.environ.get(TEST_ANSWER_ENV)
    if test_answer in dict((a, a) for _, a in ANSWERS):

        def answer_for_test() -> None:
            print("superapp-ui: " + json.dumps(dialog.texts()), flush=True)
            dialog.buttons[test_answer].click()

        QTimer.singleShot(200, answer_for_test)
    dialog.exec()
    answer = dialog.answer
    dialog.deleteLater()
    return answer


class MainThread(QObject):
    """Runs a function on the Qt main thread for a worker thread and hands back its result.
    Create it on the main thread."""

    _call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()

    def run(self, fn: Callable[[], str], default: str, timeout_s: float) -> str:
        import threading

        done = threading.Event()
        box = [default]

        def call() -> None:
            try:
                box[0] = fn()
            finally:
                done.set()

        self._call.emit(call)
        done.wait(timeout_s)
        return box[0]

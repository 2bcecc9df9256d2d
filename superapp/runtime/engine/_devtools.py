"""Developer mode's engine hooks (``superapp dev``): reload the page, open the inspector.

Both are the engine's own facilities driven from the host side, never from the page: the
reload is ``QWebEnginePage``'s own action (the same navigation the user's F5 makes, through
the same guards), and the inspector is Qt WebEngine's in-process DevTools page shown in a
window of its own, so ``--devtools`` opens no debugging port (unlike pywebview's ``debug``,
which serves the inspector on a TCP port anyone on the machine could attach to).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView

__all__ = ["DevHooks"]


class DevHooks(QObject):
    """Made on the Qt main thread (in ``before_show``); ``request_reload`` from any thread."""

    _reload = Signal()

    def __init__(self, page: QWebEnginePage, title: str) -> None:
        super().__init__()
        self._page = page
        self._title = title
        self._inspector: QWebEngineView | None = None
        self._profile: QWebEngineProfile | None = None
        self._reload.connect(self._do_reload, Qt.ConnectionType.QueuedConnection)

    def request_reload(self) -> None:
        self._reload.emit()

    @Slot()
    def _do_reload(self) -> None:
        self._page.triggerAction(QWebEnginePage.WebAction.ReloadAndBypassCache)

    def open_inspector(self) -> None:
        """DevTools for the app's page in a top-level window of this process. Its page lives
        in a profile of its own, outside the app's request interceptor and storage."""
        self._profile = QWebEngineProfile()  # unnamed: off the record, nothing on disk
        view = QWebEngineView()
        tools = QWebEnginePage(self._profile, view)
        view.setPage(tools)
        tools.setInspectedPage(self._page)
        view.setWindowTitle(f"DevTools — {self._title}")
        view.resize(900, 640)
        view.show()
        self._inspector = view

    @property
    def inspector(self) -> Any:
        return self._inspector

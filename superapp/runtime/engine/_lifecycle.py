"""The window's side of the app life cycle (issue 16): report, obey, tell the page.

The host owns the state machine (``superapp.host._background``). Here the runtime only:

- reports its window to the host (``window_state``) when the window is shown or hidden (by the
  user minimising it, or by a ``hide`` command), after each command, and at most every
  ``INPUT_REPORT_S`` while the user types or clicks in it (the host's idle clock);
- obeys ``lifecycle`` commands with Qt WebEngine's page life cycle: ``freeze`` →
  ``LifecycleState.Frozen`` (script, timers and loading paused; then its freed heap trimmed
  and, as the command's ``page_out`` asks, its own process's memory paged out, which the
  report of the frozen page says: ``superapp.core.pageout``, ``superapp.host._selfclaim``),
  ``discard`` →
  ``Discarded`` (the renderer's memory freed; the engine reloads the page from its
  navigation entry when it becomes active again), ``resume`` → ``Active`` and the window shown;
- tells the page: ``show`` and ``hide`` through the shim (``window.superapp.lifecycle``),
  dispatched from the relay's isolated world as the ``superapp:lifecycle`` DOM event. After a
  discard, ``show`` is dispatched once the reloaded page has loaded, and the engine sets
  ``document.wasDiscarded``.

A discarded page is resumed only when its reload has loaded: until then the runtime does not
report the window shown and active, so the host's ``running`` (and ``superapp resume``)
means the page is back. Qt's discard replaces the page's web contents with a fresh one that
has no document until the reload commits; reporting ``running`` before that let a DevTools
client attach to that empty page and wait for a commit it had already missed (the flaky
``test_state_survives_suspend_discard_resume``: Playwright's connect timed out).

Commands arrive on the control thread and are run on the GUI thread through a queued signal.
"""

from __future__ import annotations

import ctypes
import gc
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineScript

from superapp.core.pageout import PageOut, SelfPageOut, page_out_self

__all__ = ["INPUT_REPORT_S", "PageLifecycle"]

#: At most one "the user is using the window" report this often (the host's idle clock).
INPUT_REPORT_S = 5.0
#: Reports the window: (visible, page state, audible, user input, what a freeze paged out).
Report = Callable[[bool, str, bool, bool, SelfPageOut | None], None]

_STATE = QWebEnginePage.LifecycleState
_NAMES = {_STATE.Active: "active", _STATE.Frozen: "frozen", _STATE.Discarded: "discarded"}
_INPUT = frozenset(
    {QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.Wheel, QEvent.Type.TouchBegin}
)
_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld


def _trim() -> None:
    """Hand the runtime's freed heap back to the system before the host stops it: Python's
    cycles collected, then glibc's ``malloc_trim`` (measured: about 10 MB of the browser
    process's anonymous memory, which no swap could page out; bench/RESULTS.md)."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim this way
        pass


def _event_js(kind: str) -> str:
    # ``kind`` is one of two literals of ours, never page text.
    return f'document.dispatchEvent(new CustomEvent("superapp:lifecycle", {{detail: "{kind}"}}))'


class PageLifecycle(QObject):
    _invoke = Signal(object)

    def __init__(
        self,
        view: Any,
        page: QWebEnginePage,
        report: Report,
        on_frozen: Callable[[bool], None] | None = None,
    ) -> None:
        super().__init__()
        self._view = view  # pywebview's BrowserView (a QMainWindow)
        self._page = page
        self._report = report
        #: Freezes or wakes what must follow the page (a dual-mode app's logic page).
        self._on_frozen = on_frozen
        self._show_after_load = False
        self._reloaded = False  # the reload after a discard has loaded (waits to be shown)
        self._last_input = 0.0
        self._invoke.connect(self._run, Qt.ConnectionType.QueuedConnection)
        page.visibleChanged.connect(self._on_visible)
        page.loadFinished.connect(self._on_load)
        page.recentlyAudibleChanged.connect(lambda _audible: self._send())
        self._watched: Any = None

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()

    def command(self, name: str, page_out: PageOut = "none") -> None:
        """A host command (any thread): ``hide``, ``freeze`` (then page out ``page_out`` of
        this process), ``discard`` or ``resume``."""
        actions = {
            "hide": self._hide,
            "freeze": lambda: self._set(_STATE.Frozen, page_out),
            "discard": lambda: self._set(_STATE.Discarded),
            "resume": self._resume,
        }
        action = actions.get(name)
        if action is not None:
            self._invoke.emit(action)

    # --- GUI thread --------------------------------------------------------------------
    def _send(self, input_: bool = False, paged: SelfPageOut | None = None) -> None:
        page = self._page
        self._report(
            page.isVisible(),
            _NAMES.get(page.lifecycleState(), "active"),
            page.recentlyAudible(),
            input_,
            paged,
        )

    def _tell_page(self, kind: str) -> None:
        self._page.runJavaScript(_event_js(kind), _WORLD)

    def _hide(self) -> None:
        if self._view.isVisible():
            self._view.hide()  # the page's visibility follows: _on_visible reports it
        else:
            self._send()

    def _set(self, state: QWebEnginePage.LifecycleState, page_out: PageOut = "none") -> None:
        if self._page.isVisible():  # the engine freezes or discards hidden pages only
            self._view.hide()
        self._page.setLifecycleState(state)
        if self._on_frozen is not None:
            self._on_frozen(True)  # frozen even when the view is discarded: it keeps state
        _trim()
        # After the trim (freed heap is gone, not written to swap), on the GUI thread (the
        # event loop does not touch the heap meanwhile), before the report: the host stops
        # the tree once it has it. Only a page that did freeze: a refused one keeps running.
        frozen = self._page.lifecycleState() == _STATE.Frozen
        paged = page_out_self(page_out) if frozen and page_out != "none" else None
        self._send(paged=paged)

    def _activate(self) -> None:
        """Active again; a discarded page reloads, and is reported once it has loaded."""
        if self._page.lifecycleState() == _STATE.Discarded:
            self._show_after_load, self._reloaded = True, False
        self._page.setLifecycleState(_STATE.Active)
        if self._on_frozen is not None:
            self._on_frozen(False)

    def _resume(self) -> None:
        self._activate()
        if self._view.isVisible():
            if not self._show_after_load:
                self._send()
        else:
            self._view.show()
        self._view.raise_()
        self._view.activateWindow()

    def _on_visible(self, visible: bool) -> None:
        if visible and self._page.lifecycleState() != _STATE.Active:
            self._activate()
        if not visible:
            self._show_after_load = False  # hidden again before its reload loaded
            self._tell_page("hide")
        elif self._show_after_load:
            if self._reloaded:  # it loaded before the window showed
                self._back()
            return  # else reported by _on_load, once the reloaded page is there
        else:
            self._tell_page("show")
        self._send()

    def _on_load(self, _ok: bool) -> None:
        # Input goes to the engine's render widget, which exists once a page has loaded
        # (an application-wide filter crashed PySide here).
        proxy = self._view.webview.focusProxy() if hasattr(self._view, "webview") else None
        if proxy is not None and proxy is not self._watched:
            proxy.installEventFilter(self)
            self._watched = proxy
        if self._show_after_load:
            self._reloaded = True
            if self._page.isVisible():
                self._back()

    def _back(self) -> None:
        """A discarded page is reloaded and shown: tell it, and only now the host, which may
        call it running (see the module's docstring)."""
        self._show_after_load = self._reloaded = False
        self._tell_page("show")
        self._send()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT:
            now = time.monotonic()
            if now - self._last_input >= INPUT_REPORT_S:
                self._last_input = now
                self._send(input_=True)
        return False

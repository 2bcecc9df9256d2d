"""The generic engine of a runtime that knows no app yet, and binding it (issue 16).

Started before ``bind``: Qt WebEngine with the runtime's own egress proxy in its switches, the
``app:`` scheme registered, and one *hidden* pywebview window showing a blank document, so
the browser process, its GPU process and the zygote are up. Nothing of any app has been
near it. While warm it also makes the app's future profile and page (``_prewarm``: unbound,
never loaded) and shows the window once off screen (the first show's cost, paid ahead). At
``bind`` (on the GUI thread) the window gets that **new off-the-record profile**, which no page
has used — the warm-up document's profile, renderer and history are discarded with
pywebview's page — our locked-down page is installed on it (``_qt.install``), and the window
is shown. A ``persistent``-storage app gets a *named* profile made at bind whose folders are
its ``webview`` folder, moved by the host into this runtime's slot (``_prewarm.
persistent_profile``); only a runtime started on the app's own plan with ``--engine-profile``
uses the profile pywebview made at start.

A *cold* runtime (spawned for one app, bound at once) skips all of the warm-up: no blank
document, no spare, no off-screen show (``WarmEngine.run``).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWebEngineCore import QWebEngineProfile

from superapp.runtime._env import engine_switches
from superapp.runtime.engine import _prewarm, _qt, _scheme, _window

__all__ = ["GuiCall", "WarmEngine"]

_log = logging.getLogger("superapp.runtime")

#: The blank warm-up document normally loads in well under a second; a runtime that has not
#: seen it by then says ``warm`` anyway (binding does not depend on it).
_WARM_TIMEOUT_S = 30.0


def _ms() -> float:
    # The runtime's clock (``Startup._ms``): from its process start, given to ``WarmEngine``.
    return (time.monotonic() - _T0[0]) * 1000.0


_T0 = [time.monotonic()]


class GuiCall(QObject):
    """Runs a callable on the Qt GUI thread and returns its result (or raises its error)."""

    _invoke = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._invoke.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()

    def call(self, fn: Callable[[], Any], timeout: float = 60.0) -> Any:
        done = threading.Event()
        box: list[Any] = [None, None]

        def run() -> None:
            try:
                box[0] = fn()
            except BaseException as err:  # handed back to the calling thread
                box[1] = err
            finally:
                done.set()

        self._invoke.emit(run)
        if not done.wait(timeout):
            raise TimeoutError("the GUI thread did not answer")
        if box[1] is not None:
            raise box[1]
        return box[0]


class WarmEngine:
    """One runtime's engine, started generic (see the module docstring)."""

    def __init__(
        self,
        slot: Path,
        proxy_port: int,
        persistent_dir: Path | None,
        *,
        show_ahead: bool = False,
        started: float | None = None,
        cold: bool = False,
    ) -> None:
        self.persistent = persistent_dir is not None
        self._slot = slot  # a generic engine's ``persistent`` app: its profile in <slot>/app
        #: Pooled: show the window once off screen while warm (a cold runtime binds at once,
        #: so it would only pay the show twice in series).
        self._show_ahead = show_ahead and not cold
        #: Spawned for one app, bound at once (see ``run``): no warm-up document, no spare.
        self.cold = cold
        if started is not None:
            _T0[0] = started
        self._storage = persistent_dir if persistent_dir is not None else slot / "profile"
        self._storage.mkdir(parents=True, exist_ok=True, mode=0o700)
        _log.info("engine module imported at %.0f ms", _ms())
        _scheme.register_scheme()
        # Qt WebEngine reads its Chromium switches from QApplication's argv (which pywebview
        # builds from sys.argv) after --webEngineArgs.
        sys.argv[1:] = ["--webEngineArgs", *engine_switches(os.environ, proxy_port=proxy_port)]
        _window.load_backend(self._storage, blank=not cold)
        _log.info("backend loaded at %.0f ms", _ms())
        self.gui = GuiCall()
        self.window = _window.create_window("superapp", self._before_show, hidden=True)
        _log.info("engine configured at %.0f ms", _ms())

    def _before_show(self, window: Any) -> None:
        # The runtime's record of the warm-up document (tests/e2e/test_cold_no_warmup.py):
        # Qt's own signal that pywebview's page finished loading a document.
        _log.info("window made at %.0f ms", _ms())
        window.native.webview.page().loadFinished.connect(
            lambda ok: _log.info("warm-up document loaded (ok=%s) at %.0f ms", ok, _ms())
        )

    def run(self, after_warm: Callable[[], None]) -> None:
        """Run the GUI loop until the window closes; ``after_warm`` runs in a thread of its
        own once the blank document has loaded (it waits for ``bind``).

        ``cold`` (a runtime spawned for one app and bound at once, docs/pool.md): its app is
        already named, so nothing is paid ahead for a claim that is not coming: pywebview's
        page is given no warm-up document (``_window.load_backend``), no spare profile or page
        is made and the window is not shown off screen; ``after_warm`` runs as soon as the GUI
        loop is up, and the app's page (on a fresh profile, as on every path) is the first
        document the engine loads. The layers are the same: they are all set in
        ``show_app``/``_qt.install``, before that page loads."""

        def warm_then() -> None:
            if self.cold:
                self.gui.call(lambda: None)  # the loop runs and the window exists
            else:
                self.window.events.loaded.wait(_WARM_TIMEOUT_S)
                self.gui.call(self.spare_profile)
                self.gui.call(self.unshow)
            after_warm()

        _window.start(persistent=self.persistent, storage_dir=self._storage, func=warm_then)

    def spare_profile(self) -> None:
        """On the GUI thread, while warm: make the app's future profile and page now
        (``_prewarm``; no page has ever used either), and (pooled) show the window once, off
        screen."""
        if not self.persistent:
            self._prepared = _prewarm.prepare_page(self.window.native)
        # The window's first show is the costliest step of a bind on Xvfb (the top-level's
        # native window, backing store and compositor): done now, not on screen (nothing
        # is mapped or shown to the user), and undone in ``unshow`` before ``warm``.
        if self._show_ahead:
            native = self.window.native
            native.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
            native.show()

    def unshow(self) -> None:
        """On the GUI thread: hidden again, so that ``show_app`` really shows it."""
        if not self._show_ahead:
            return
        native = self.window.native
        native.hide()
        native.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)

    def show_app(self, spec: _qt.WindowSpec, shim: str, relay: str, title: str) -> Any:
        """On the GUI thread: the app's page on a fresh profile (``memory``) or the app's own
        profile (``persistent``), then the window is shown."""
        view = self.window.native
        prepared = None
        if not self.persistent and spec.engine_storage == "persistent":
            # The host moved the app's profile folder into the slot (docs/pool.md).
            self._warm_profile = view.profile
            view.profile = _prewarm.persistent_profile(view, self._slot / "app" / "webview")
        elif not self.persistent:
            # The warm-up profile must outlive pywebview's page on it (``install`` deletes
            # that page later); it holds nothing but a blank document.
            self._warm_profile = view.profile
            # Off the record (no name), parented to the window: never used by any page.
            prepared = getattr(self, "_prepared", None)
            view.profile = prepared.profile if prepared is not None else QWebEngineProfile(view)
        page = _qt.install(view, spec, shim, relay, prepared.page if prepared else None)
        view.setWindowTitle(title)
        view.show()
        return page  # the app's page, for its life cycle and developer mode

    def close(self) -> None:
        self.window.destroy()

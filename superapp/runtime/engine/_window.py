"""pywebview's part of opening a window: its Qt backend, loaded and patched, and its loop.

Kept here so that the Qt-free ``_app`` never imports pywebview itself; the order of the
calls (scheme, argv, storage path, backend) is still ``RuntimeApp.run``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_FLAGS_ENV", "create_window", "load_backend", "start"]

_log = logging.getLogger("superapp.runtime")

#: Where Qt WebEngine reads Chromium switches from the environment. pywebview's Qt backend
#: appends to it (--use-fake-ui-for-media-stream, which auto-accepts camera and microphone
#: prompts and would bypass our permission hook, and an autoplay feature); setting it at all
#: would also make Qt ignore the switches the runtime passes in argv.
CHROMIUM_FLAGS_ENV = "QTWEBENGINE_CHROMIUM_FLAGS"


def load_backend(storage_dir: Path, *, blank: bool = True) -> None:
    """Load pywebview's Qt backend and stop it from weakening the engine's configuration.
    ``blank=False`` (a cold runtime): its window's page is given no warm-up document."""
    import webview

    webview._state["storage_path"] = str(storage_dir)  # read when the Qt backend loads
    import webview.platforms.qt as qt_backend
    from webview import util

    def environ_append(key: str, *values: str, sep: str = " ") -> None:
        if key == CHROMIUM_FLAGS_ENV:
            return
        util.environ_append(key, *values, sep=sep)

    qt_backend.environ_append = environ_append  # type: ignore[attr-defined]
    if not blank:
        # pywebview gives its page a document at window creation (``setHtml``, its only
        # call; nothing of ours uses it): skipped, its page never loads anything, starts no
        # renderer, and is replaced by the app's (``_qt.install``). One window per process.
        qt_backend.BrowserView.WebView.setHtml = _no_document


def _no_document(view: Any, *args: Any) -> None:
    _log.info("no warm-up document: this runtime was bound at start")


def create_window(title: str, before_show: Callable[[Any], None], *, hidden: bool = False) -> Any:
    """pywebview's window with no URL (so no file server) and ``before_show`` hooked."""
    import webview

    window: Any = webview.create_window(
        title, url=None, html=" ", width=960, height=720, min_size=(360, 320), hidden=hidden
    )
    window.events.before_show += before_show
    return window


def start(*, persistent: bool, storage_dir: Path, func: Callable[[], None] | None = None) -> None:
    """Run the GUI loop until the window closes.

    Engine storage is off the record unless the manifest opts in (docs/storage.md):
    pywebview's private mode builds an unnamed QWebEngineProfile, which keeps localStorage,
    IndexedDB, cookies, cache storage and service workers in memory. This process is the
    app's alone, so the in-memory profile is the app's alone too.
    """
    import webview

    webview.start(
        func,
        gui="qt",
        private_mode=not persistent,
        storage_path=str(storage_dir),
        debug=False,
    )

"""The Qt end of the one door: a QObject on a QWebChannel that only the isolated world sees.

pywebview's own bridge (``js_api``, its ``external`` channel object and internal message names)
is never attached to an app's page: the runtime replaces pywebview's page before it loads
anything, and this object is the only one registered on the page's channel. The channel lives
in ``ApplicationWorld``, an isolated script world, so page scripts cannot reach
``qt.webChannelTransport`` at all; they reach this object only through the shim's relay.

Calls are dispatched on a small worker pool (``_workers``) so a slow handler (a consent prompt,
a network request) never blocks the Qt main thread, and a call waiting for the user's consent
parks off the pool's running slots, so it cannot starve the app's other calls; replies hop
back to the main thread through a queued pipe before they are sent to the page.
"""

from __future__ import annotations

import json
import logging
import os
import queue
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal, Slot

from superapp.runtime._door import error_reply
from superapp.runtime._workers import WorkerPool

__all__ = ["NativeBridge", "error_reply"]

_log = logging.getLogger(__name__)


class NativeBridge(QObject):
    reply = Signal(str)

    def __init__(
        self,
        dispatch: Callable[[str], str],
        origin_ok: Callable[[], bool],
        on_refused: Callable[[str], None],
        on_violation: Callable[[Mapping[str, Any]], None] = lambda report: None,
        on_call: Callable[[], None] = lambda: None,
        workers: int = 4,
    ) -> None:
        super().__init__()
        self._dispatch = dispatch
        self._origin_ok = origin_ok
        self._on_refused = on_refused
        self._on_violation = on_violation
        self._on_call = on_call
        self._pool = WorkerPool(workers)
        # Replies cross from the workers to the Qt main thread through a plain queue and a
        # wake-up pipe watched by a QSocketNotifier. Emitting a PySide signal from worker
        # threads instead crashed the process under a 10,000-call flood (a refcount bug in
        # PySide's cross-thread signal path: "Fatal Python error: bool_dealloc").
        self._replies: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._notifier = QSocketNotifier(self._wake_r, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    @Slot(str)
    def call(self, raw: str) -> None:
        # Runs on the Qt main thread, so page.url() is the document that is showing now.
        self._on_call()
        if not self._origin_ok():
            self._on_refused(raw[:200])
            self.reply.emit(
                error_reply(raw, "PERMISSION_DENIED", "callNative is not available here")
            )
            return
        self._pool.submit(self._run, raw)

    @Slot(str)
    def violation(self, report: str) -> None:
        """A Content-Security-Policy refusal seen by the isolated world (``_cspreport``)."""
        if len(report) > 16384:
            return  # the relay sends a few short fields; anything larger is not its report
        try:
            data = json.loads(report)
        except ValueError:
            return
        if isinstance(data, dict):
            self._on_violation(data)

    def _run(self, raw: str) -> None:
        try:
            out = self._dispatch(raw)
        except Exception:  # the dispatcher never raises; if it ever does, the page learns nothing
            _log.exception("dispatcher raised")
            out = error_reply(raw, "INTERNAL", "internal error")
        self._replies.put(out)
        try:
            os.write(self._wake_w, b"\0")
        except BlockingIOError:  # the pipe is full of wake-ups already: the drain will come
            pass

    def _drain(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass
        while True:
            try:
                text = self._replies.get_nowait()
            except queue.Empty:
                return
            self.reply.emit(text)

    def shutdown(self) -> None:
        self._pool.shutdown()
        self._notifier.setEnabled(False)
        os.close(self._wake_r)
        os.close(self._wake_w)

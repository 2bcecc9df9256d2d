"""The Qt end of the one door: a QObject on a QWebChannel that only the isolated world sees.

pywebview's own bridge (``js_api``, its ``external`` channel object and internal message names)
is never attached to an app's page: the runtime replaces pywebview's page before it loads
anything, and this object is the only one registered on the page's channel. The channel lives
in ``ApplicationWorld``, an isolated script world, so page scripts cannot reach
``qt.webChannelTransport`` at all; they reach this object only through the shim's relay.

Calls are dispatched on a small worker pool so a slow handler (a consent prompt, a network
request) never blocks the Qt main thread; replies hop back to the main thread through a queued
signal before they are sent to the page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Qt, Signal, Slot

__all__ = ["NativeBridge", "error_reply"]

_log = logging.getLogger(__name__)


def error_reply(raw: str, code: str, message: str) -> str:
    """An error reply for ``raw`` carrying its id when one can be read."""
    req_id: object = None
    try:
        obj = json.loads(raw)
        if isinstance(obj, dict) and isinstance(obj.get("id"), int):
            req_id = obj["id"]
    except ValueError:
        pass
    return json.dumps({"id": req_id, "ok": False, "error": {"code": code, "message": message}})


class NativeBridge(QObject):
    reply = Signal(str)
    _deliver = Signal(str)

    def __init__(
        self,
        dispatch: Callable[[str], str],
        origin_ok: Callable[[], bool],
        on_refused: Callable[[str], None],
        workers: int = 4,
    ) -> None:
        super().__init__()
        self._dispatch = dispatch
        self._origin_ok = origin_ok
        self._on_refused = on_refused
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bridge")
        self._deliver.connect(self._emit_reply, Qt.ConnectionType.QueuedConnection)

    @Slot(str)
    def call(self, raw: str) -> None:
        # Runs on the Qt main thread, so page.url() is the document that is showing now.
        if not self._origin_ok():
            self._on_refused(raw[:200])
            self.reply.emit(
                error_reply(raw, "PERMISSION_DENIED", "callNative is not available here")
            )
            return
        self._pool.submit(self._run, raw)

    def _run(self, raw: str) -> None:
        try:
            out = self._dispatch(raw)
        except Exception:  # the dispatcher never raises; if it ever does, the page learns nothing
            _log.exception("dispatcher raised")
            out = error_reply(raw, "INTERNAL", "internal error")
        self._deliver.emit(out)

    @Slot(str)
    def _emit_reply(self, text: str) -> None:
        self.reply.emit(text)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

"""The host's consent dialog for a host with no launcher window (``superapp dev``).

The dialog is the launcher's own (``_consent_dialog.ConsentDialog``): a top-level window of the
host process that no page can script or draw. A headless host has no Qt event loop, so its
main thread runs :meth:`MainJobs.run_until`, which executes jobs handed to it by the worker
threads that answer runtimes (Qt widgets live on the main thread only) until the app exits.
``QApplication`` is made on the first prompt, so a dev session that never asks needs none.

``SUPERAPP_TEST_CONSENT_ANSWER=stdin`` (tests only; the pytest plugin's consent helpers):
once a dialog is on screen its texts are written to stdout as one ``superapp-ui: {json}``
line, and the next line on the host's standard input (``allow_once``, ``allow_always`` or
``deny``) clicks that button, through the same path as the user's click. The other values
of that variable click a fixed answer (``ask_in_dialog``).
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

from superapp.host import ANSWERS, ConsentPrompt

__all__ = ["STDIN_MODE", "MainJobs", "ask_on_main"]

STDIN_MODE = "stdin"
#: An unanswered dialog counts as "deny" after this long (the runtime gives up too).
_TIMEOUT_S = 300.0
#: How often Python's signal handlers get to run while a dialog holds Qt's loop.
_SIGNAL_CHECK_MS = 250


class MainJobs:
    """Functions run on the main thread, handed over by other threads."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self.open_dialog: Any = None

    def call(self, fn: Callable[[], str], default: str, timeout_s: float = _TIMEOUT_S) -> str:
        done = threading.Event()
        box = [default]

        def job() -> None:
            try:
                box[0] = fn()
            finally:
                done.set()

        self._jobs.put(job)
        done.wait(timeout_s)
        return box[0]

    def run_until(self, finished: threading.Event) -> None:
        """Run jobs on this (the main) thread until ``finished`` is set. Signal handlers run
        in between: a blocking ``Queue.get`` is interrupted for them."""

        def wake() -> None:
            finished.wait()
            self._close_dialog()
            self._jobs.put(None)

        threading.Thread(target=wake, name="dev-main-wake", daemon=True).start()
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job()

    def _close_dialog(self) -> None:
        dialog = self.open_dialog
        if dialog is not None:
            from PySide6.QtCore import QMetaObject, Qt

            QMetaObject.invokeMethod(dialog, "reject", Qt.ConnectionType.QueuedConnection)


_stdin_answers: queue.Queue[str] = queue.Queue()
_stdin_reader: threading.Thread | None = None


def _read_stdin() -> None:
    for line in sys.stdin:
        _stdin_answers.put(line.strip())


def ask_on_main(jobs: MainJobs, prompt: ConsentPrompt) -> str:
    """Show the consent dialog on the main thread; returns the answer's wire value."""
    return jobs.call(lambda: _show(jobs, prompt), "deny")


def _answer_from_stdin(dialog: Any) -> None:
    """Tests (the plugin): print what the dialog shows; the next stdin line clicks a button."""
    from PySide6.QtCore import QMetaObject, Qt

    global _stdin_reader
    if _stdin_reader is None:
        _stdin_reader = threading.Thread(target=_read_stdin, name="dev-answers", daemon=True)
        _stdin_reader.start()
    print("superapp-ui: " + json.dumps(dialog.texts()), flush=True)
    valid = {answer for _, answer in ANSWERS}

    def wait_answer() -> None:
        answer = _stdin_answers.get()
        target = dialog.buttons[answer if answer in valid else "deny"]
        QMetaObject.invokeMethod(target, "click", Qt.ConnectionType.QueuedConnection)

    threading.Thread(target=wait_answer, name="dev-answer", daemon=True).start()


def _show(jobs: MainJobs, prompt: ConsentPrompt) -> str:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from superapp.launcher._consent_dialog import TEST_ANSWER_ENV, ConsentDialog, ask_in_dialog

    app = QApplication.instance() or QApplication(["superapp-dev"])
    if isinstance(app, QApplication):
        app.setQuitOnLastWindowClosed(False)
    mode = os.environ.get(TEST_ANSWER_ENV)
    if mode is not None and mode != STDIN_MODE:
        return ask_in_dialog(prompt)  # tests: a fixed answer, clicked once shown
    dialog = ConsentDialog(prompt)
    if mode == STDIN_MODE:
        QTimer.singleShot(0, lambda: _answer_from_stdin(dialog))
    jobs.open_dialog = dialog
    # Qt's loop holds the main thread in C++; this timer hands it back to Python now and then
    # so that Ctrl+C and SIGTERM handlers run while the dialog is open.
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(_SIGNAL_CHECK_MS)
    try:
        dialog.exec()
    finally:
        wake.stop()
        jobs.open_dialog = None
    answer = dialog.answer
    dialog.deleteLater()
    return str(answer)

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
import select
import signal
import socket
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
    """Functions run on the main thread, handed over by other threads.

    The main thread sleeps in ``poll`` on a socket that a new job and every signal write to
    (``signal.set_wakeup_fd``), never in a lock: CPython runs Python signal handlers on the
    main thread only, but the kernel may hand a process-wide signal (``kill``, Ctrl+C) to any
    thread that does not block it. The C-level handler then runs on that thread and nothing
    wakes a main thread asleep in ``Queue.get``: ``superapp dev`` ignored SIGTERM 4 times in 88
    runs. The wakeup fd is written by whichever thread takes the signal.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._bell, self._ring = socket.socketpair()
        self._bell.setblocking(False)
        self._ring.setblocking(False)  # required by set_wakeup_fd; a full buffer rang already
        self.open_dialog: Any = None

    def close(self) -> None:
        """Close the wake-up socket (after ``run_until``; the process keeps it otherwise)."""
        self._bell.close()
        self._ring.close()

    def _put(self, job: Callable[[], None] | None) -> None:
        self._jobs.put(job)
        try:
            self._ring.send(b"\0")  # signal numbers are never 0
        except OSError:
            pass  # full (the main thread has a wake-up to read) or closed (it has returned)

    def call(self, fn: Callable[[], str], default: str, timeout_s: float = _TIMEOUT_S) -> str:
        done = threading.Event()
        box = [default]

        def job() -> None:
            try:
                box[0] = fn()
            finally:
                done.set()

        self._put(job)
        done.wait(timeout_s)
        return box[0]

    def run_until(self, finished: threading.Event) -> None:
        """Run jobs on this (the main) thread until ``finished`` is set. Signal handlers run
        in between, whichever thread the kernel gave the signal to (see the class)."""

        def wake() -> None:
            finished.wait()
            self._close_dialog()
            self._put(None)

        threading.Thread(target=wake, name="dev-main-wake", daemon=True).start()
        previous = signal.set_wakeup_fd(self._ring.fileno(), warn_on_full_buffer=False)
        try:
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    self._sleep()
                    continue
                if job is None:
                    return
                job()
        finally:
            signal.set_wakeup_fd(previous)

    def _sleep(self) -> None:
        """Until a job or a signal rings; returning to Python runs a pending signal handler."""
        poller = select.poll()
        poller.register(self._bell, select.POLLIN)
        poller.poll()
        try:
            while self._bell.recv(4096):
                pass
        except BlockingIOError:
            pass

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

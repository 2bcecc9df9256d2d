"""Process-level discard (ADR 0014, issue 16): a suspended app's runtime ends; resume relaunches.

Discard, in order (``ProcessDiscard.discard``):

1. The app must be ``suspended``: its page got ``hide`` when it went to the background, which
   is its opportunity to hand over a small state (``superapp.lifecycle.saveState``, checked by
   the runtime's bridge when the page calls it).
2. The tree is continued and the runtime asked to ``save``; it answers ``page_saved`` with the
   page's URL and the handed-over state's JSON text, or the host gives up after
   ``save_timeout_s`` and keeps nothing.
3. The host judges both as page data (``superapp.core.pagestate``): the URL must be of the
   app's own origin (its path, query and fragment are kept), the state plain JSON under the
   limits. What fails is dropped and audited (``app.lifecycle``, outcome failure, sizes and the
   rule only, never the page's text); the app is still discarded and restarts at its entry page.
4. The runtime is ended as for ``stop`` (terminate, then signals); the app's record stays,
   state ``discarded``, with no process. What was kept lives in this object, in the host's
   memory only: never written to disk. The host keeps the app's run lock, so no other host
   launches it and uninstalling asks for ``superapp stop`` first.

Resume (``ProcessDiscard.resume``) is a normal launch (the kill switch checked, the bundle
verified again, a pooled runtime when it fits, every layer as a cold start) whose ``bind``
carries ``restore``. ``superapp stop``, the kill switch and a refused resume drop what was kept
(audited). A discarded app has no process, so budgets do not apply to it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from superapp.audit import AuditLog
from superapp.core.errors import AppStateError, BridgeError
from superapp.core.pagestate import PageStateLimits, check_state, in_app_location
from superapp.host._app import AppState, RunningApp
from superapp.host._resumewatch import diagnose, wait_loaded
from superapp.protocol import ChannelClosedError, Lifecycle, PageSaved, Restore

if TYPE_CHECKING:
    from superapp.host._lifecycle import Supervisor

__all__ = ["DiscardLimits", "DiscardedRef", "ProcessDiscard", "SavedPage"]


@dataclass(frozen=True)
class DiscardLimits:
    page: PageStateLimits = field(default_factory=PageStateLimits)
    #: How long the runtime has to answer ``save`` before the app is discarded without it.
    save_timeout_s: float = 5.0
    #: How long ``resume`` waits for the relaunched page to load.
    resume_timeout_s: float = 60.0


@dataclass
class SavedPage:
    """What the host keeps of a discarded app (memory only) and how to launch it again."""

    location: str
    state: str | None
    cause: str
    dev_src: Path | None
    cdp_port: int | None
    dev_flags: tuple[str, ...]
    #: The app's run lock, held while it is discarded (``Supervisor._acquire_lock``).
    lock: IO[bytes] | None = None
    #: The ended runtime's ``exited``: set once the host has handled its exit (its storage is
    #: home from its slot). A resume waits for it: "discarded" shows before that.
    exit_handled: threading.Event | None = None
    saved_at: float = field(default_factory=time.time)

    def restore(self) -> Restore:
        return Restore(location=self.location, state=self.state)


@dataclass(frozen=True)
class DiscardedRef:
    """A discarded app as the kill switch sees it (``_revocation.stop_revoked``)."""

    app_id: str
    dev_src: Path | None


class ProcessDiscard:
    """The discarded apps of one supervisor. Thread-safe."""

    def __init__(
        self, supervisor: Supervisor, audit: AuditLog, limits: DiscardLimits | None = None
    ) -> None:
        self._sup = supervisor
        self._audit = audit
        self.limits = limits or DiscardLimits()
        self._lock = threading.Lock()
        self._saved: dict[str, SavedPage] = {}
        #: Apps being discarded: the ``page_saved`` answer goes here.
        self._waiting: dict[str, tuple[threading.Event, list[PageSaved]]] = {}
        self._resuming: set[str] = set()
        #: Set when a resume waited for an ended runtime's exit to be handled (a test's seam).
        self.waiting_for_exit = threading.Event()

    # --- queries ---------------------------------------------------------------------------
    def get(self, app_id: str) -> SavedPage | None:
        with self._lock:
            return self._saved.get(app_id)

    def refs(self) -> Sequence[DiscardedRef]:
        with self._lock:
            return [DiscardedRef(a, s.dev_src) for a, s in self._saved.items()]

    # --- discard ---------------------------------------------------------------------------
    def on_saved(self, app: RunningApp, msg: PageSaved) -> None:
        """The runtime's ``page_saved`` (the broker's reader thread); unasked ones are ignored."""
        with self._lock:
            waiting = self._waiting.get(app.app_id)
        if waiting is not None and not waiting[0].is_set():
            waiting[1].append(msg)
            waiting[0].set()

    def discard(self, app: RunningApp, cause: str) -> None:
        """End ``app``'s runtime and keep its page (see the module docstring). Returns once
        the process tree has exited and the app is ``discarded``.

        Raises:
            AppStateError: the app is not suspended.
        """
        if app.state is not AppState.SUSPENDED:
            raise AppStateError(f"{app.app_id} is {app.state.value}, not suspended")
        event, box = threading.Event(), list[PageSaved]()
        with self._lock:
            self._waiting[app.app_id] = (event, box)
        try:
            self._sup.background.release(app)  # continued, no more transitions
            try:
                app.channel.send(Lifecycle(command="save"))
                event.wait(self.limits.save_timeout_s)
            except ChannelClosedError:
                pass
        finally:
            with self._lock:
                self._waiting.pop(app.app_id, None)
        saved = self._judge(app, box[0] if box else None, cause)
        app.discarded = saved
        self._sup.stop(app.app_id, reason=f"discarded: {cause}")

    def _judge(self, app: RunningApp, msg: PageSaved | None, cause: str) -> SavedPage:
        limits = self.limits.page
        location, state, problems = "", None, []
        if msg is None:
            problems.append("the runtime did not answer save in time")
        else:
            found = in_app_location(app.app_id, msg.url, limits)
            if found is None:
                problems.append(f"URL refused: not a page of the app ({len(msg.url)} chars)")
            else:
                location = found
            if msg.state is not None:
                try:
                    state = check_state(msg.state, limits)
                except BridgeError as err:
                    problems.append(f"state refused ({err.code}): {err.message}")
        for problem in problems:
            self._audit.record(
                "app.lifecycle", app_id=app.app_id, outcome="failure",
                reason=f"discarded without part of its page: {problem}"[:500],
                from_state=app.state.value, to_state=AppState.DISCARDED.value,
                state_bytes=len(msg.state) if msg is not None and msg.state else 0,
            )  # fmt: skip
        return SavedPage(
            location=location, state=state, cause=cause, dev_src=app.dev_src,
            cdp_port=app.cdp_port, dev_flags=tuple(app.dev_flags),
        )  # fmt: skip

    def exited(self, app: RunningApp, code: int) -> bool:
        """The supervisor's exit handler: True if ``app`` exited because it was discarded
        (it is kept, with its run lock); the exit and the transition are audited here."""
        saved = app.discarded
        if saved is None:
            return False
        saved.lock = app.lock
        saved.exit_handled = app.exited
        with self._lock:
            self._saved[app.app_id] = saved
        self._audit.record(
            "app.lifecycle", app_id=app.app_id, outcome="success", reason=saved.cause,
            from_state=AppState.SUSPENDED.value, to_state=AppState.DISCARDED.value,
            process_ended=True, exit_code=code, location_kept=bool(saved.location),
            state_bytes=len(saved.state.encode("utf-8")) if saved.state else 0,
        )  # fmt: skip
        return True

    # --- resume and forgetting -------------------------------------------------------------
    def resume(self, app_id: str, cause: str, wait: bool = True) -> RunningApp:
        """Launch a discarded app again with its page restored; with ``wait``, return once
        its page has loaded (``running``).

        Raises:
            AppStateError: not discarded, revoked (what was kept is dropped, audited), or it
                did not start (dropped too; any other launch error likewise).
        """
        with self._lock:
            saved = self._saved.get(app_id)
            if saved is None or app_id in self._resuming:
                raise AppStateError(f"{app_id} is not discarded")
            self._resuming.add(app_id)
        try:
            # Resumable from the moment it is kept, but its storage may still be in the ended
            # runtime's slot (``_slotmove``): a launch now would move empty folders in.
            ended = saved.exit_handled
            if ended is not None and not ended.is_set():
                self.waiting_for_exit.set()  # (tests)
                if not ended.wait(self.limits.resume_timeout_s):
                    raise AppStateError(f"{app_id} is still ending; resume it again later")
            try:
                # The runtime is forked on the spawner thread (``superapp._spawn``), so its
                # parent-death signal does not follow this request thread.
                app = self._sup.launch(
                    app_id, dev_src=saved.dev_src, cdp_port=saved.cdp_port,
                    dev_flags=saved.dev_flags, restore=saved,
                )  # fmt: skip
            except Exception as err:  # revoked, or it could not start: nothing is kept
                self.drop(app_id, f"resume refused: {err}", AppState.TERMINATED)
                raise
            with self._lock:
                self._saved.pop(app_id, None)
            self._audit.record(
                "app.lifecycle", app_id=app_id, outcome="success", reason=cause,
                from_state=AppState.DISCARDED.value, to_state=AppState.STARTING.value,
                pid=app.pid, pooled=app.pooled, location_kept=bool(saved.location),
            )  # fmt: skip
        finally:
            with self._lock:
                self._resuming.discard(app_id)
        if wait and not wait_loaded(app, self.limits.resume_timeout_s):
            # A runtime that died is said at once, one that hangs after the limit; either way
            # with where it got to (``_resumewatch``), audited and in the error.
            what = "exited while resuming" if app.exited.is_set() else (
                f"did not load within {self.limits.resume_timeout_s:.0f} s after resuming"
            )  # fmt: skip
            line, fields = diagnose(app)
            self._audit.record(
                "app.lifecycle", app_id=app_id, outcome="failure", reason=f"{what}: {line}"[:500],
                from_state=AppState.DISCARDED.value, to_state=AppState.RUNNING.value, **fields,
            )  # fmt: skip
            raise AppStateError(f"{app_id} {what}: {line}")
        if app.exited.is_set():
            raise AppStateError(f"{app_id} exited while resuming")
        return app

    def drop(self, app_id: str, reason: str, state: AppState = AppState.STOPPED) -> bool:
        """Forget a discarded app: its kept page and state, its run lock (audited). False if
        it was not discarded."""
        with self._lock:
            saved = self._saved.pop(app_id, None)
        if saved is None:
            return False
        if saved.lock is not None:
            saved.lock.close()
        self._audit.record(
            "app.lifecycle", app_id=app_id, outcome="success", reason=reason[:500],
            from_state=AppState.DISCARDED.value, to_state=state.value, saved_state_dropped=True,
        )  # fmt: skip
        self._sup.forgotten(app_id, state, reason)
        return True

    def drop_all(self, reason: str) -> None:
        with self._lock:
            ids = list(self._saved)
        for app_id in ids:
            self.drop(app_id, reason)

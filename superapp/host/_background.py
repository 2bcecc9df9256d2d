"""Apps in the background: the host's life-cycle state machine (issue 16, docs/lifecycle.md).

States (W3C MiniApp Lifecycle's "shown"/"hidden" where they fit, Page Lifecycle's frozen and
discarded after them)::

    running ──window hidden──▶ hidden ──hidden_suspend_after_s──▶ suspended ──pressure──▶ discarded
       ▲  ◀──window shown───────┘                                   │                        │
       └──────────────────────────────── resume ◀──────────────────┴────────────────────────┘
    running ──idle_suspend_after_s──▶ (hide) ──▶ hidden ──▶ suspended
    running ◀──▶ throttled        (a budget's throttle step; recover lifts it)
    discarded: no process (``_discard``); resume is a launch with the page restored

The host owns the machine. The runtime only reports what its window is (``window_state``) and
obeys ``lifecycle`` commands: ``freeze`` puts the page in Qt WebEngine's ``Frozen`` state.
``discarded`` is process-level (ADR 0014, ``_discard``): the runtime's whole tree ends and the
host keeps the page's location and handed-over state; resume launches the app again with them.
Once the runtime confirms a freeze, the host stops the app's whole process
tree (``_signals``), so a suspended app uses no CPU at all, and asks the kernel to page out the
stopped tree's file-backed pages (``_compact``; audited with the transition, a no-op with its
reason where the kernel refuses); resuming continues it first. Before that, the ``freeze``
itself asks the runtime to page out its own process (``_selfclaim``: what an unprivileged host
still gets); on a machine with swap both also page out anonymous memory.
Every transition is audited (``app.lifecycle``, from/to/cause) and written to the app's run
record, which ``superapp ps`` and the launcher read.

Budgets and the kill switch act on suspended apps: the monitor keeps sampling them, and
``release`` continues a stopped tree before the supervisor asks it to end (a stopped process
cannot act on a terminate request or a SIGTERM).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from superapp.audit import AuditLog
from superapp.core.errors import AppStateError
from superapp.core.pageout import swap_total
from superapp.host._app import AppState, RunningApp
from superapp.host._compact import compact_tree
from superapp.host._selfclaim import claim_fields, page_out_for
from superapp.host._signals import LIFELINE, TREE_LOCK, continue_tree, stop_tree, tree_pids
from superapp.host._throttle import Throttler
from superapp.monitor import Monitor
from superapp.policy import HostPolicy
from superapp.protocol import ChannelClosedError, Lifecycle, PageOut, SelfCompaction, WindowState

__all__ = ["BACKGROUND_STATES", "Background"]

#: States in which the app's window is not showing (the launcher offers "Resume").
BACKGROUND_STATES = frozenset({AppState.HIDDEN, AppState.SUSPENDED, AppState.DISCARDED})
_STOPPED = frozenset({AppState.SUSPENDED, AppState.DISCARDED})
#: How long a CLI/launcher request waits for the runtime to confirm a transition.
_CONFIRM_S = 30.0


@dataclass
class _Life:
    visible: bool = True
    page: str = "active"
    audible: bool = False
    since: float = 0.0  # when the current state began (hidden: when it was hidden)
    last_input: float = 0.0
    pending: str | None = None  # the command sent and not yet confirmed
    suspend_when_hidden: bool = False
    cause: str = ""
    ending: bool = False
    #: The engine refused to freeze the page (it does while DevTools are attached): the
    #: hidden timer does not ask again until the window has been shown.
    refused: bool = False
    throttled_by: frozenset[str] = frozenset()
    #: What the last ``freeze`` asked the runtime to page out of itself (``_selfclaim``).
    page_out: PageOut = "none"


class Background:
    """The state machine for every app of one supervisor. Thread-safe."""

    def __init__(
        self,
        audit: AuditLog,
        policy: Callable[[], HostPolicy],
        get: Callable[[str], RunningApp | None],
        running: Callable[[], list[RunningApp]],
        on_change: Callable[[RunningApp], None],
        monitor: Monitor | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._audit = audit
        self._policy = policy
        self._get = get
        self._running = running
        self._on_change = on_change
        self._monitor = monitor
        self._clock = clock
        self._cond = threading.Condition(TREE_LOCK)
        self._lives: dict[str, _Life] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        self._last_pressure = 0.0
        mon = policy().monitor
        self.throttler = Throttler(mon.throttle_share, mon.throttle_period_s)
        #: The machine's swap in bytes (anonymous memory is paged out only with swap): a seam
        #: tests replace to fake a machine with swap.
        self.swap_total: Callable[[], int] = swap_total
        #: Ends a suspended app's runtime and keeps its page (the supervisor's ``_discard``).
        self.on_discard: Callable[[RunningApp, str], None] = lambda app, cause: None

    # --- bookkeeping ---------------------------------------------------------------------
    def _life(self, app: RunningApp) -> _Life:
        life = self._lives.get(app.app_id)
        if life is None:
            now = self._clock()
            life = self._lives[app.app_id] = _Life(since=now, last_input=now)
        return life

    def loaded(self, app: RunningApp) -> None:
        """The app's page is showing: the clocks start; the scheduler runs."""
        with self._cond:
            life = self._life(app)
            if life.throttled_by and app.state is AppState.RUNNING:  # throttled while starting
                self._set(app, AppState.THROTTLED, "over its budget while starting")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lifecycle", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def forget(self, app_id: str) -> None:
        """``app_id`` exited (its group has been swept)."""
        with self._cond:
            self._lives.pop(app_id, None)
            self.throttler.remove(app_id, resume=False)
            app = self._get(app_id)
            if app is not None:
                LIFELINE.forget(app.pid)

    def exited(self) -> None:
        """An app's exit is complete (its ``exited`` is set): a ``hide`` or ``resume`` waiting
        on it returns now with that error, not at the confirmation timeout."""
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def closed(self) -> None:
        """Every app of this host has exited: the lifeline can go."""
        if not self._running():
            LIFELINE.close()

    def _set(self, app: RunningApp, state: AppState, cause: str, **fields: object) -> None:
        old = app.state
        life = self._life(app)
        life.since = self._clock()
        app.state = state
        if old is not state:
            self._audit.record(
                "app.lifecycle", app_id=app.app_id, outcome="success", reason=cause,
                from_state=old.value, to_state=state.value, **fields,
            )  # fmt: skip
        self._on_change(app)
        self._cond.notify_all()

    def _send(self, app: RunningApp, life: _Life, command: str) -> None:
        life.pending = command
        page_out: PageOut = "none"
        if command == "freeze":
            stop = self._policy().lifecycle.stop_processes
            page_out = life.page_out = page_out_for(stop, self.swap_total)
        try:
            app.channel.send(Lifecycle(command=command, page_out=page_out))
        except ChannelClosedError:
            life.pending = None

    def _foreground(self, app: RunningApp, life: _Life) -> AppState:
        return AppState.THROTTLED if life.throttled_by else AppState.RUNNING

    # --- what the runtime reports --------------------------------------------------------
    def on_window_state(self, app: RunningApp, msg: WindowState) -> None:
        with self._cond:
            life = self._life(app)
            if life.ending or app.state is AppState.STARTING:
                life.visible, life.page = msg.visible, msg.page
                return
            now = self._clock()
            if msg.input:
                life.last_input = now
            was_visible, pending = life.visible, life.pending
            life.visible, life.page, life.audible = msg.visible, msg.page, msg.audible
            if msg.page == "frozen" and pending == "freeze":
                life.pending = None
                fields = self._stop(app, life, msg.compaction)
                self._set(app, AppState.SUSPENDED, life.cause or "hidden", **fields)
            elif pending in ("freeze", "discard") and msg.page == "active" and not msg.visible:
                life.pending, life.refused = None, True
                self._audit.record(
                    "app.lifecycle", app_id=app.app_id, outcome="failure",
                    reason=f"the engine refused to {pending} the page (DevTools attached?)",
                    from_state=app.state.value, to_state=app.state.value,
                )  # fmt: skip
                self._on_change(app)
                self._cond.notify_all()  # a hide waiting for the suspend hears of the refusal
            elif msg.visible and msg.page == "active" and (pending == "resume" or not was_visible):
                resumed_from = app.state
                life.pending, life.last_input, life.refused = None, now, False
                if life.throttled_by:
                    self.throttler.add(app.app_id, app.pid)
                cause = life.cause if pending == "resume" else "window shown"
                self._set(app, self._foreground(app, life), cause, resumed_from=resumed_from.value)
            elif not msg.visible and was_visible:
                asked = pending == "hide"
                life.pending = None if asked else pending
                self._set(app, AppState.HIDDEN, life.cause if asked else "window hidden")
                if life.suspend_when_hidden:
                    life.suspend_when_hidden = False
                    self._send(app, life, "freeze")

    def _stop(
        self, app: RunningApp, life: _Life, claim: SelfCompaction | None
    ) -> dict[str, object]:
        """Stop the tree, then compact it (``_compact``); what compaction did, for the audit
        entry of the transition: MiB advised, or why the kernel refused (never a path), and
        what the runtime claims it paged out of itself before (``_selfclaim``)."""
        self.throttler.remove(app.app_id, resume=False)
        fields = claim_fields(life.page_out, claim)
        if not self._policy().lifecycle.stop_processes:
            return fields
        stop_tree(app.pid, wait=True)
        done = compact_tree(tree_pids(app.pid), anon=life.page_out == "all")
        fields["compacted_mib"] = done.advised_bytes // 2**20
        if done.skipped:
            fields["compaction_skipped"] = "; ".join(done.skipped)[:500]
        return fields

    # --- commands (CLI, launcher, the scheduler) ------------------------------------------
    def _app(self, app_id: str) -> RunningApp:
        app = self._get(app_id)
        if app is None:
            raise AppStateError(f"{app_id} is not running")
        if app.state is AppState.STARTING:
            raise AppStateError(f"{app_id} is still starting")
        return app

    def _wait(self, app: RunningApp, done: Callable[[], bool], what: str) -> None:
        if not self._cond.wait_for(lambda: done() or app.exited.is_set(), _CONFIRM_S):
            raise AppStateError(f"{app.app_id} did not confirm {what}")
        if app.exited.is_set():
            raise AppStateError(f"{app.app_id} exited")

    @staticmethod
    def _check_refused(app: RunningApp, life: _Life) -> None:
        if life.refused and app.state not in _STOPPED:
            raise AppStateError(
                f"{app.app_id}: the engine refused to suspend its page (DevTools attached?)"
            )

    def hide(self, app_id: str, *, cause: str = "requested", suspend: bool = False) -> None:
        """Hide the window (as minimising would); with ``suspend``, suspend it at once."""
        with self._cond:
            app = self._app(app_id)
            life = self._life(app)
            life.cause = cause
            if app.state in _STOPPED:
                return
            if app.state is AppState.HIDDEN:
                if suspend:
                    self._send(app, life, "freeze")
            else:
                life.suspend_when_hidden = suspend
                self._send(app, life, "hide")
            target = _STOPPED if suspend else BACKGROUND_STATES
            life.refused = False
            self._wait(app, lambda: app.state in target or life.refused, "hiding")
            self._check_refused(app, life)

    def resume(self, app_id: str, *, cause: str = "requested") -> None:
        """Bring the app back to the foreground: continued, page restored, window shown."""
        with self._cond:
            app = self._app(app_id)
            if app.state not in BACKGROUND_STATES:
                return
            life = self._life(app)
            life.cause, life.suspend_when_hidden = cause, False
            continue_tree(app.pid)
            self._send(app, life, "resume")
            self._wait(app, lambda: app.state not in BACKGROUND_STATES, "resuming")

    def discard(self, app_id: str, *, cause: str = "requested") -> None:
        """Discard a suspended app: its runtime's whole process tree ends, its page is kept
        by the host and restored into a new runtime on resume (``_discard``, ADR 0014)."""
        with self._cond:
            app = self._app(app_id)
            if app.state is not AppState.SUSPENDED:
                raise AppStateError(f"{app_id} is {app.state.value}, not suspended")
            if self._life(app).ending:
                raise AppStateError(f"{app_id} is already ending")
        self.on_discard(app, cause)  # outside the lock: it waits for the runtime

    def _discard(self, app: RunningApp, cause: str) -> None:
        """The scheduler's discard (lock held): done in a thread of its own."""
        self._life(app).ending = True  # no other step is taken for it meanwhile
        threading.Thread(
            target=self._discard_now, args=(app, cause), name="discard", daemon=True
        ).start()

    def _discard_now(self, app: RunningApp, cause: str) -> None:
        try:
            self.on_discard(app, cause)
        except AppStateError:  # resumed or stopped meanwhile: it goes on as it is
            with self._cond:
                self._life(app).ending = False

    # --- budgets and stopping -------------------------------------------------------------
    def throttle(self, app: RunningApp, metric: str) -> None:
        with self._cond:
            life = self._life(app)
            if life.ending:
                return
            life.throttled_by = life.throttled_by | {metric}
            if self._monitor is not None:
                self._monitor.set_duty(app.app_id, self.throttler.share)
            if app.state in (AppState.RUNNING, AppState.HIDDEN, AppState.STARTING):
                self.throttler.add(app.app_id, app.pid)
                if app.state is AppState.RUNNING:
                    self._set(app, AppState.THROTTLED, f"over its {metric} budget")

    def unthrottle(self, app: RunningApp, metric: str) -> None:
        with self._cond:
            life = self._life(app)
            life.throttled_by = life.throttled_by - {metric}
            if life.throttled_by or life.ending:
                return
            if self._monitor is not None:
                self._monitor.set_duty(app.app_id, None)
            self.throttler.remove(app.app_id)
            if app.state is AppState.THROTTLED:
                self._set(app, AppState.RUNNING, f"back within its {metric} budget")

    def release(self, app: RunningApp) -> None:
        """The supervisor is about to stop ``app``: no more transitions, no more throttling,
        and its tree continued so that it can act on the terminate request."""
        with self._cond:
            self._life(app).ending = True
            self.throttler.remove(app.app_id, resume=False)
            continue_tree(app.pid)

    # --- the scheduler: hidden and idle deadlines, memory pressure ------------------------
    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                wait = self._round()
                self._cond.wait(wait)

    def _round(self) -> float:
        """Take every step that is due; return how long until the next one may be."""
        policy = self._policy().lifecycle
        now = self._clock()
        nxt = 60.0
        suspended: list[tuple[float, RunningApp]] = []
        for app in self._running():
            life = self._lives.get(app.app_id)
            if life is None or life.ending or life.pending is not None:
                continue
            due: float | None = None
            if app.state is AppState.HIDDEN and policy.hidden_suspend_after_s is not None:
                if not life.audible and not life.refused:  # a hidden music player keeps playing
                    due = life.since + policy.hidden_suspend_after_s
                    if now >= due:
                        life.cause = "hidden for the policy's time"
                        self._send(app, life, "freeze")
            elif (
                app.state in (AppState.RUNNING, AppState.THROTTLED)
                and policy.idle_suspend_after_s is not None
            ):
                due = life.last_input + policy.idle_suspend_after_s
                if now >= due:
                    life.cause, life.suspend_when_hidden = "idle for the policy's time", True
                    self._send(app, life, "hide")
            elif app.state is AppState.SUSPENDED:
                suspended.append((life.since, app))
                if policy.suspended_discard_after_s is not None:
                    due = life.since + policy.suspended_discard_after_s
                    if now >= due:
                        self._discard(app, "suspended for the policy's time")
                        suspended.pop()
            if due is not None and due > now:
                nxt = min(nxt, due - now)
        if suspended and policy.discard_below_available is not None:
            if now - self._last_pressure >= policy.pressure_check_s:
                self._last_pressure = now
                available = psutil.virtual_memory().available
                if available < policy.discard_below_available:
                    _, oldest = min(suspended, key=lambda pair: pair[0])
                    mib = available // 1024**2
                    self._discard(oldest, f"memory pressure ({mib} MiB available)")
            nxt = min(nxt, policy.pressure_check_s)
        return max(nxt, 0.01)

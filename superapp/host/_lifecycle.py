"""Spawns, watches and stops mini-app runtimes (DESIGN §1): the supervisor.

Each app runs in its own OS process, in its own process group (so its engine children can
be ended together), bound to the host by a control ``socketpair`` whose runtime end it
inherits. The supervisor is the only place a runtime's app id comes from. What it does with
the runtime's messages is the broker's (``_broker``); budgets are the monitor loop's
(``_monitor_loop``); the kill switch is ``_revocation``'s; run records are ``_records``'.

Stopping is close → terminate → kill: ask over the channel, then SIGTERM, then SIGKILL to
the whole group. No orphans: runtimes die with the host (parent-death signal + channel EOF),
and when a runtime dies its group is swept. At most one runtime per app on the machine: a
per-app lock file is held while it runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from superapp.audit import AuditLog
from superapp.core.consent import ConsentAnswer
from superapp.core.errors import AppStateError, SuperappError
from superapp.core.paths import Paths
from superapp.host import _fleet, _records, _revocation
from superapp.host._app import (
    AppState,
    ConsentFn,
    RunningApp,
    ShareConfirmFn,
    StopTimeouts,
    describe_exit,
)
from superapp.host._background import Background
from superapp.host._bind import build_bind, declared_capabilities
from superapp.host._broker import MessageBroker
from superapp.host._discard import ProcessDiscard, SavedPage
from superapp.host._fleet_fresh import FleetFreshness
from superapp.host._monitor_loop import MonitorLoop
from superapp.host._pool import (
    GenericRuntime,
    RuntimePool,
    discard,
    remove_slot,
    spawn_generic,
)
from superapp.host._poolfit import bind_into_slot, cold_generic_ports, pool_can_serve
from superapp.host._slotmove import move_back, recover
from superapp.monitor import BudgetDecision, Monitor, record_decision
from superapp.policy import HostPolicy
from superapp.protocol import Bind, ChannelClosedError, Message, RunRecord, Terminate
from superapp.storage._moved import paths_for

__all__ = ["Supervisor"]

#: After a runtime exits, how long its last messages may take to be read (they are already in
#: the socket; the runtime's end closes with its process group).
_DRAIN_S = 2.0


class Supervisor:
    def __init__(
        self,
        paths: Paths,
        audit: AuditLog,
        *,
        consent: ConsentFn | None = None,
        share_confirm: ShareConfirmFn | None = None,
        on_change: Callable[[str], None] | None = None,
        timeouts: StopTimeouts | None = None,
        monitor: Monitor | None = None,
        policy: HostPolicy | None = None,
        runtime_argv: Sequence[str] | None = None,
        pool: RuntimePool | None = None,
    ) -> None:
        self.paths = paths
        self.audit = audit
        #: Resource budgets (DESIGN §1): over-budget apps are warned, then stopped with a reason.
        self.monitor = monitor
        #: The host's policy, loaded once (``HostContext``); without one it is read when used.
        self._policy = policy
        #: The runtime's command line before its per-app arguments (a test runs the
        #: windowless fake runtime here, ``superapp.testing``).
        self._runtime_argv = list(runtime_argv) if runtime_argv is not None else None
        #: Prewarmed runtimes (``_pool``), when this host keeps them (the launcher's).
        self.pool = pool
        self._monitor_stop = threading.Event()
        #: When this host last verified the [fleet] repository: launches of its apps wait for a
        #: fresh poll (the kill switch for a host started just after a revocation).
        self.fleet_freshness = FleetFreshness()
        self._monitor_thread: threading.Thread | None = None
        self._on_change = on_change or (lambda app_id: None)
        self._timeouts = timeouts or StopTimeouts()
        self._consent = consent or (lambda prompt: ConsentAnswer.DENY)
        self._apps: dict[str, RunningApp] = {}
        self._last: dict[str, tuple[AppState, str]] = {}
        self._lock = threading.RLock()
        self.broker = MessageBroker(
            paths, audit, monitor,
            consent or (lambda prompt: ConsentAnswer.DENY),
            share_confirm or (lambda sender, name, receiver: False),
            self._on_change,
            lambda app_id, reason: self._stop_quietly(app_id, reason),
            policy=self.policy,
            write_record=self._write_record,
        )  # fmt: skip
        self.monitor_loop = (
            MonitorLoop(
                paths,
                audit,
                monitor,
                on_decision=self._on_decision,
                after_round=self._write_records,
                policy=self.policy,
            )
            if monitor is not None
            else None
        )
        #: Hidden, suspended, discarded, throttled, resumed (issue 16).
        self.background = Background(
            audit, self.policy, self.get, self.running, self._state_changed, monitor
        )
        self.broker.on_window = self.background.on_window_state
        self.broker.on_loaded = self.background.loaded
        #: Discarded apps: their runtime ended, their page kept in memory (ADR 0014).
        self.discarded = ProcessDiscard(self, audit)
        self.broker.on_saved = self.discarded.on_saved
        self.background.on_discard = self.discarded.discard
        #: Set when an app has ended for good (exited, not discarded; or dropped while
        #: discarded): what ``superapp run``/``dev`` wait for.
        self._ended: dict[str, threading.Event] = {}
        # Storage a crashed host left in a pooled runtime's slot goes home first (_slotmove).
        recover(paths, audit)

    def policy(self) -> HostPolicy:
        if self._policy is not None:
            return self._policy
        from superapp.policy import load_policy

        return load_policy(self.paths)

    # --- queries -----------------------------------------------------------------------
    def get(self, app_id: str) -> RunningApp | None:
        with self._lock:
            return self._apps.get(app_id)

    def running(self) -> list[RunningApp]:
        with self._lock:
            return list(self._apps.values())

    def state(self, app_id: str) -> tuple[AppState, str]:
        with self._lock:
            app = self._apps.get(app_id)
            if app is not None:
                return app.state, app.detail
            return self._last.get(app_id, (AppState.STOPPED, ""))

    def ended(self, app_id: str) -> threading.Event:
        with self._lock:
            return self._ended.setdefault(app_id, threading.Event())

    # --- launch ------------------------------------------------------------------------
    def _acquire_lock(self, app_id: str) -> IO[bytes]:
        app_dir = self.paths.app_dir(app_id)
        app_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        f = open(app_dir / ".run.lock", "a+b")  # noqa: SIM115 (held for the app's lifetime)
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            raise AppStateError(f"{app_id} is already running") from None
        return f

    def check_launch(self, app_id: str) -> None:
        """Refuse to launch an installed app the platform has revoked (the kill switch).

        Raises:
            AppStateError: the app is revoked; the refusal is audited.
        """
        try:
            _revocation.check_launch(
                self.paths, self.policy(), self.audit, app_id, self.fleet_freshness
            )
        except _revocation.RevokedError as err:
            self._last[app_id] = (AppState.TERMINATED, f"revoked: {err.hit}")
            raise
        # An update waiting for consent (new capabilities) is offered now, before anything of
        # it runs; declined, the installed version launches (superapp.fleet, issue 17).
        _fleet.offer_pending(self.paths, self.audit, self._consent, app_id)

    def launch(
        self,
        app_id: str,
        *,
        dev_src: Path | None = None,
        cdp_port: int | None = None,
        dev_flags: Sequence[str] = (),
        runtime: GenericRuntime | None = None,
        restore: SavedPage | None = None,
    ) -> RunningApp:
        """Start ``app_id``: a warm runtime from the pool, ``runtime`` (one the caller started
        ahead, e.g. ``superapp run``), or a new one, bound to the app by ``bind``.
        ``dev_flags``: the runtime's developer-mode switches (``--watch``, ``--devtools``,
        ``--allow-local``), passed only with ``dev_src`` (developer mode always starts cold).
        ``restore``: a discarded app's kept page (``_discard``, which calls this to resume).

        Raises:
            AppStateError: already running, or revoked (audited); ``runtime`` is then ended.
        """
        try:
            return self._launch(app_id, dev_src, cdp_port, runtime, dev_flags, restore)
        except BaseException:
            if runtime is not None and not runtime.claimed:
                discard(runtime)
            raise

    def _launch(
        self,
        app_id: str,
        dev_src: Path | None,
        cdp_port: int | None,
        prespawned: GenericRuntime | None,
        dev_flags: Sequence[str] = (),
        restore: SavedPage | None = None,
    ) -> RunningApp:
        if restore is None:  # a fresh launch of a discarded app forgets its kept page
            self.discarded.drop(app_id, "launched afresh")
        if dev_src is None:
            self.check_launch(app_id)
        with self._lock:
            if app_id in self._apps:
                raise AppStateError(f"{app_id} is already running")
            held = restore.lock if restore is not None else None
            # Held: a second launch of it is refused (a discarded app's is still held).
            lock = held if held is not None else self._acquire_lock(app_id)
            ended = self._ended.get(app_id)
            if ended is None or ended.is_set():  # a resumed app keeps the one it had
                self._ended[app_id] = threading.Event()
        try:
            # Outside the supervisor's lock: a claim may wait for a runtime still warming up,
            # and the launcher must keep answering meanwhile.
            # ``superapp dev`` runs its host on ``Paths.for_dev`` already (state kept apart).
            bind = build_bind(self.paths, self.policy(), app_id, dev_src)
            if restore is not None:
                bind = bind.model_copy(update={"restore": restore.restore()})
            extra = [*dev_flags] if dev_src is not None else []
            rt, bind = self._runtime_for(bind, cdp_port, prespawned, extra)
        except BaseException:
            lock.close()
            raise
        with self._lock:
            try:
                rt.channel.send(bind)  # identity, key, grants: always from here (``_bind``)
            except ChannelClosedError:
                pass  # it died already: ``_wait`` reports the exit
            app = RunningApp(
                app_id, rt.proc, rt.channel, lock, dev_src=dev_src, cdp_port=rt.cdp_port,
                slot=rt.slot, pooled=rt.claimed and rt is not prespawned,
                dev_flags=tuple(dev_flags),
            )  # fmt: skip
            self._apps[app_id] = app
        if app.pooled and self.pool is not None:
            self.pool.refill_after(app.loaded)  # not while its page loads (``_pool``)
        self._write_record(app)
        self._watch(app)
        self.audit.record(
            "app.launched", app_id=app_id, outcome="success", reason="", pid=app.pid,
            dev_mode=dev_src is not None, cdp_port=app.cdp_port, pooled=app.pooled,
        )  # fmt: skip
        for early in rt.early:  # what a pooled runtime said before it was bound (hello)
            self.broker.handle(app, early)
        threading.Thread(target=self._read, args=(app,), name=f"ctl-{app_id}", daemon=True).start()
        threading.Thread(target=self._wait, args=(app,), name=f"wait-{app_id}", daemon=True).start()
        self._on_change(app_id)
        return app

    def _runtime_for(
        self,
        bind: Bind,
        cdp_port: int | None,
        prespawned: GenericRuntime | None,
        extra_args: Sequence[str] = (),
    ) -> tuple[GenericRuntime, Bind]:
        """A warm runtime from the pool when its generic lockdown covers the app (docs/pool.md,
        ``_poolfit``: the bundle is then copied into its slot), else a cold one, which locks
        itself down to this app's plan before its engine starts. Either way it is bound by
        the caller with the ``bind`` returned."""
        profile = Path(bind.webview_dir) if bind.engine_storage == "persistent" else None
        # Developer mode never takes the generic path (``pool_can_serve``): no folder to read.
        declared = declared_capabilities(self.paths, bind.app_id, None)
        generic = None if extra_args else cold_generic_ports(bind, declared, self.paths)
        if prespawned is not None:
            fits = not extra_args  # its command line carries no developer-mode switches
            if fits and prespawned.cdp_port == cdp_port:
                if prespawned.connect_ports is None and prespawned.engine_profile == profile:
                    prespawned.claimed = True
                    return prespawned, bind
                # Started generic (``superapp run``): only for exactly the ports it was given
                # (it has no ``--engine-profile``: a ``persistent`` app's folder is moved in).
                if prespawned.connect_ports is not None and prespawned.connect_ports == generic:
                    with contextlib.suppress(OSError):
                        moved = bind_into_slot(bind, prespawned.slot, self.paths)
                        prespawned.claimed = True
                        return prespawned, moved
            discard(prespawned)
        pool = self.pool if cdp_port is None else None
        if pool is not None and pool_can_serve(bind, declared, self.paths):
            rt = pool.claim()
            if rt is not None:
                try:
                    return rt, bind_into_slot(bind, rt.slot, self.paths)
                except OSError:
                    discard(rt)  # cold instead
        if generic is not None:
            # Cold, through the generic path: the engine warms while the host sets up and the
            # runtime verifies; its TCP rule is narrowed to the app plan's own ports.
            rt = spawn_generic(
                self.paths, self._runtime_argv, cdp_port=cdp_port, pooled=True,
                connect_ports=generic,
            )  # fmt: skip
            try:
                return rt, bind_into_slot(bind, rt.slot, self.paths)
            except OSError:
                discard(rt)  # on the app plan instead
        # Persistent engine storage, developer mode or ports outside the generic plan: that
        # layer wins over speed (cold, locked down to the app's plan).
        return spawn_generic(
            self.paths, self._runtime_argv, cdp_port=cdp_port, engine_profile=profile,
            extra_args=extra_args,
        ), bind  # fmt: skip

    # --- control channel (the broker's) ------------------------------------------------
    def _read(self, app: RunningApp) -> None:
        try:
            self.broker.serve(app)
        finally:
            app.drained.set()

    def _handle(self, app: RunningApp, msg: Message) -> None:
        self.broker.handle(app, msg)

    # --- exit --------------------------------------------------------------------------
    def _wait(self, app: RunningApp) -> None:
        code = app.proc.wait()
        self._sweep_group(app.proc.pid)
        # What it said last (a failed check, its reason) is read before the channel closes.
        app.drained.wait(_DRAIN_S)
        app.channel.close()
        discarded = self.discarded.exited(app, code)  # kept, with its run lock
        if discarded and app.discarded is not None:
            state, detail = AppState.DISCARDED, app.discarded.cause
        elif app.stop_reason is not None:
            state = AppState.TERMINATED if app.stop_reason else AppState.STOPPED
            detail = app.stop_reason
        elif code == 0:
            state, detail = AppState.STOPPED, ""
        else:
            state = AppState.CRASHED
            detail = app.detail or describe_exit(code)
            if app.detail:
                detail = f"{app.detail} ({describe_exit(code)})"
        app.state, app.detail = state, detail
        self.audit.flush_app(app.app_id)  # its pending "N more like this", before the exit
        self.audit.record(
            "app.crashed" if state is AppState.CRASHED else "app.exited",
            app_id=app.app_id,
            outcome="failure" if state is AppState.CRASHED else "success",
            reason=detail or describe_exit(code),
            exit_code=code,
        )
        if self.monitor is not None:
            self.monitor.unwatch(app.app_id)
        self.background.forget(app.app_id)
        with self._lock:
            self._apps.pop(app.app_id, None)
            self._last[app.app_id] = (state, detail)
        if discarded:  # `superapp ps` shows it, with no process
            self._write_record(app)
        else:
            _records.remove_record(self.paths, app.app_id)
        # Storage moved into a pooled runtime's slot goes home before the lock is released;
        # a slot still holding some of it is kept for the next host start (``_slotmove``).
        home = app.slot is None or move_back(self.paths, app.app_id, app.slot, self.audit)
        if app.evict_engine is not None:
            # Still over once stopped: without eviction the next launch would be stopped too.
            # After the move back: a pooled app's profile was in its slot until then.
            from superapp.storage import evict_engine_storage

            where = paths_for(self.paths, app.app_id)  # home, or the slot a failed move kept
            evict_engine_storage(where, app.app_id, audit=self.audit, reason=app.evict_engine)
        if not discarded:  # a discarded app's run lock stays held (``_discard``)
            app.lock.close()
        if app.slot is not None and home:
            remove_slot(app.slot)
        app.exited.set()
        self.background.exited()
        if not discarded:
            self.ended(app.app_id).set()
        self._on_change(app.app_id)

    def forgotten(self, app_id: str, state: AppState, detail: str) -> None:
        """A discarded app was dropped (``_discard``): it has ended for good."""
        with self._lock:
            self._last[app_id] = (state, detail)
        _records.remove_record(self.paths, app_id)
        self.ended(app_id).set()
        self._on_change(app_id)

    @staticmethod
    def _sweep_group(pgid: int) -> None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, app_id: str, *, reason: str = "", revoked: bool = False) -> None:
        """Stop ``app_id``: close, then SIGTERM, then SIGKILL. ``reason`` marks a termination;
        ``revoked`` tells the runtime to refuse calls (``REVOKED``) until it has closed."""
        app = self.get(app_id)
        if app is None:
            # A discarded app has no process: what the host kept of it is dropped.
            dropped = AppState.TERMINATED if reason else AppState.STOPPED
            if self.discarded.drop(app_id, reason or "stopped by the user", dropped):
                return
            raise AppStateError(f"{app_id} is not running")
        app.stop_reason = reason
        # A suspended or throttled app's tree is stopped: continued, or it could not exit.
        self.background.release(app)
        try:
            app.channel.send(Terminate(reason=reason or "stopped by the user", revoked=revoked))
        except ChannelClosedError:
            pass
        if app.exited.wait(self._timeouts.close_s):
            return
        for sig, wait in ((signal.SIGTERM, self._timeouts.term_s), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(app.proc.pid, sig)
            except ProcessLookupError:
                pass
            if app.exited.wait(wait):
                return

    def _stop_quietly(self, app_id: str, reason: str, revoked: bool = False) -> None:
        """``stop`` from a background thread: an app that is already gone is no error."""
        try:
            self.stop(app_id, reason=reason, revoked=revoked)
        except AppStateError:
            pass

    # --- monitoring (the loop is ``_monitor_loop``'s) --------------------------------------
    def _watch(self, app: RunningApp) -> None:
        if self.monitor is None or self.monitor_loop is None:
            return
        # The runtime sends no page heartbeats yet, so hang detection is by the CPU budget
        # (an infinite loop burns a core) rather than by missed heartbeats.
        self.monitor.watch(
            app.app_id,
            app.pid,
            self._display_name(app),
            heartbeats=False,
            # A pooled ``persistent`` app's profile is in its slot while it runs.
            engine_dir=paths_for(self.paths, app.app_id).app_webview(app.app_id),
        )
        with self._lock:
            if self._monitor_thread is None:
                self._monitor_thread = threading.Thread(
                    target=self.monitor_loop.run,
                    args=(self._monitor_stop,),
                    name="monitor",
                    daemon=True,
                )
                self._monitor_thread.start()

    def _display_name(self, app: RunningApp) -> str:
        if app.dev_src is not None:
            return app.app_id
        from superapp.state import registry

        try:
            return registry.get_app(self.paths, app.app_id).name
        except SuperappError:
            return app.app_id

    def _on_decision(self, decision: BudgetDecision) -> None:
        record_decision(self.audit, decision)
        app = self.get(decision.app_id)
        if app is None:
            return
        if decision.action == "terminate":
            if decision.metric == "engine_storage":
                app.evict_engine = decision.message
            threading.Thread(
                target=self._stop_quietly,
                args=(decision.app_id, decision.message),
                name="budget-stop",
                daemon=True,
            ).start()
        elif decision.action in ("warn", "throttle"):
            app.detail = decision.message
            if decision.action == "throttle":
                self.background.throttle(app, decision.metric)
            self._on_change(app.app_id)
        elif decision.action == "recover":
            self.background.unthrottle(app, decision.metric)

    # --- the kill switch (``_revocation``) ------------------------------------------------
    def start_revocation_refresher(self) -> bool:
        """Fetch the revocation list now and every ``interval_s``; stop revoked running apps.

        Returns False when the policy names no source (the kill switch is off).
        """
        return _revocation.start_refresher(
            self.paths, self.policy(), self.audit, self._monitor_stop,
            lambda: [*self.running(), *self.discarded.refs()],  # a discarded app's page too
            lambda app_id, reason: self._stop_quietly(app_id, reason, revoked=True),
            self.fleet_freshness,
        )  # fmt: skip

    def shutdown(self) -> None:
        self._monitor_stop.set()
        self.background.close()
        self.discarded.drop_all("the host is shutting down")
        if self.pool is not None:
            self.pool.close()
        threads = [
            threading.Thread(target=self.stop, args=(a.app_id,), daemon=True)
            for a in self.running()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.background.closed()
        self.broker.close()

    # --- run records (for `superapp stop` from another process) -------------------------
    def _state_changed(self, app: RunningApp) -> None:
        self._write_record(app)  # `superapp ps` sees the new state at once
        self._on_change(app.app_id)

    def _write_records(self) -> None:
        for app in self.running():  # the latest sample, for `superapp ps`
            self._write_record(app)

    def _write_record(self, app: RunningApp) -> None:
        sample = None
        if self.monitor is not None:
            latest = self.monitor.latest().get(app.app_id)
            if latest is not None:
                sample = latest.to_json()
        record = RunRecord(
            app_id=app.app_id,
            host_pid=os.getpid(),
            # A discarded app has no process (``running_record`` then asks about the host).
            runtime_pid=0 if app.state is AppState.DISCARDED else app.pid,
            cdp_port=app.cdp_port,
            dev_mode=app.dev_src is not None,
            state=app.state.value,
            detail=app.detail,
            sample=sample if app.state is not AppState.DISCARDED else None,
            confinement=dict(app.confinement) or None,
        )
        _records.write_record(self.paths, record)

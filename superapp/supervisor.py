"""Spawns, watches and stops mini-app runtimes (DESIGN §1).

Each app runs in its own OS process, in its own process group (so its engine children can
be ended together), bound to the host by a control ``socketpair`` whose runtime end it
inherits. The supervisor is the only place a runtime's app id comes from.

Life cycle of one app::

    stopped ──launch──▶ starting ──loaded──▶ running ──exit 0 / stop()──▶ stopped
                           │                    │
                           └──────crash─────────┴──▶ crashed      (signal, non-zero exit)
                                                └──▶ terminated   (the host stopped it for a reason)

Stopping is close → terminate → kill: ask over the channel, then SIGTERM, then SIGKILL to
the whole group. No orphans: runtimes die with the host (parent-death signal + channel EOF),
and when a runtime dies its group is swept. At most one runtime per app on the machine: a
per-app lock file is held while it runs.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from superapp import control
from superapp._spawn import runtime_command
from superapp.audit import AuditLog
from superapp.consentprompt import ConsentPrompt, build_prompt
from superapp.errors import AppStateError, RuntimeStartError, SuperappError
from superapp.monitor import Decision, Monitor, record_decision
from superapp.paths import Paths

__all__ = ["AppState", "RunningApp", "StopTimeouts", "Supervisor", "host_audit", "host_monitor"]

_log = logging.getLogger("superapp.supervisor")


class AppState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    CRASHED = "crashed"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class StopTimeouts:
    close_s: float = 3.0
    term_s: float = 2.0


#: Shows the host's consent prompt and returns "allow_once", "allow_always" or "deny".
ConsentFn = Callable[[ConsentPrompt], str]
#: How often a host checks free disk space for cache eviction.
_EVICTION_PERIOD_S = 60.0
#: AuditLog.record's own keyword arguments: a runtime's audit field of one of these names
#: would make the call raise TypeError and end that app's control reader thread.
_RECORD_KEYWORDS = frozenset({"app_id", "outcome", "reason"})


@dataclass
class RunningApp:
    app_id: str
    proc: subprocess.Popen[bytes]
    channel: control.Channel
    lock: IO[bytes]
    dev_src: Path | None = None
    cdp_port: int | None = None
    state: AppState = AppState.STARTING
    detail: str = ""
    started_at: float = field(default_factory=time.monotonic)
    loaded_at: float | None = None
    renderer_pid: int | None = None
    sandbox: bool | None = None
    counters: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None
    #: Set when the app is stopped over its engine-storage budget: once it has exited (and
    #: before its lock is released) its engine profile is evicted, with this reason.
    evict_engine: str | None = None
    loaded: threading.Event = field(default_factory=threading.Event)
    exited: threading.Event = field(default_factory=threading.Event)

    @property
    def pid(self) -> int:
        return self.proc.pid


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def host_monitor(paths: Paths) -> Monitor:
    """The resource monitor for a host, with the ``[monitor]`` budgets of its policy file.

    Raises:
        PolicyError: the policy file is invalid (one line, naming the field).
    """
    from superapp.policy import load_policy

    return Monitor(load_policy(paths).monitor)


def host_audit(paths: Paths) -> AuditLog:
    """The host's audit log, with the ``[audit]`` rotation, retention and flood limits of its
    policy file.

    Raises:
        PolicyError: the policy file is invalid (one line, naming the field).
    """
    from superapp.policy import load_policy

    return AuditLog(paths.audit_log, limits=load_policy(paths).audit_limits())


class Supervisor:
    def __init__(
        self,
        paths: Paths,
        audit: AuditLog,
        *,
        consent: ConsentFn | None = None,
        share_confirm: Callable[[str, str, str], bool] | None = None,
        on_change: Callable[[str], None] | None = None,
        timeouts: StopTimeouts = StopTimeouts(),
        monitor: Monitor | None = None,
    ) -> None:
        self.paths = paths
        self.audit = audit
        #: Resource budgets (DESIGN §1): over-budget apps are warned, then stopped with a reason.
        self.monitor = monitor
        self._monitor_stop = threading.Event()
        self._monitor_thread: threading.Thread | None = None
        self._consent = consent or (lambda prompt: "deny")
        #: Asks the user whether ``sender`` may send data to ``receiver`` (name, id).
        self._share_confirm = share_confirm or (lambda sender, name, receiver: False)
        self._on_change = on_change or (lambda app_id: None)
        self._timeouts = timeouts
        self._apps: dict[str, RunningApp] = {}
        self._last: dict[str, tuple[AppState, str]] = {}
        self._lock = threading.RLock()

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

        Uses the last verified revocation list on disk (``superapp revocations refresh`` and
        the host's refresher keep it current); with ``on_expired = "closed"`` and no current
        list, every app is refused.

        Raises:
            AppStateError: the app is revoked; the refusal is audited.
        """
        from superapp import registry
        from superapp.policy import load_policy
        from superapp.revocation import RevocationChecker

        policy = load_policy(self.paths)
        if policy.revocation.source is None:
            return
        app = registry.get_app(self.paths, app_id)
        checker = RevocationChecker(self.paths, policy, audit=self.audit)
        hit = checker.is_revoked(app_id, app.version_code, app.key_id, app.digest)
        if hit is None:
            return
        self.audit.record(
            "app.launch_refused", app_id=app_id, outcome="failure", reason=hit.describe(),
            rule="revoked", kind=hit.kind,
        )  # fmt: skip
        self._last[app_id] = (AppState.TERMINATED, f"revoked: {hit.describe()}")
        raise AppStateError(f"{app.name} was switched off by the platform: {hit.describe()}")

    def launch(
        self, app_id: str, *, dev_src: Path | None = None, cdp_port: int | None = None
    ) -> RunningApp:
        if dev_src is None:
            self.check_launch(app_id)
        with self._lock:
            if app_id in self._apps:
                raise AppStateError(f"{app_id} is already running")
            lock = self._acquire_lock(app_id)
            parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            cmd = [
                *runtime_command(),
                "--app-id", app_id,
                "--control-fd", str(child_sock.fileno()),
                "--parent-pid", str(os.getpid()),
            ]  # fmt: skip
            if dev_src is not None:
                cmd += ["--dev", str(dev_src)]
            if cdp_port is not None:
                cmd += ["--remote-debugging-port", str(cdp_port)]
            env = dict(os.environ)
            env.pop("QTWEBENGINE_REMOTE_DEBUGGING", None)
            env["SUPERAPP_HOME"] = env.get("SUPERAPP_HOME", "")
            if not env["SUPERAPP_HOME"]:
                del env["SUPERAPP_HOME"]
            try:
                proc = subprocess.Popen(  # noqa: S603 (our own interpreter or frozen executable)
                    cmd,
                    pass_fds=[child_sock.fileno()],
                    start_new_session=True,
                    stdin=subprocess.DEVNULL,
                    env=env,
                )
            except OSError as err:
                lock.close()
                parent_sock.close()
                raise RuntimeStartError(f"cannot start the runtime for {app_id}: {err}") from err
            finally:
                child_sock.close()
            app = RunningApp(
                app_id, proc, control.Channel(parent_sock), lock, dev_src=dev_src, cdp_port=cdp_port
            )
            self._apps[app_id] = app
        self._write_record(app)
        self._watch(app)
        self.audit.record(
            "app.launched", app_id=app_id, outcome="success", reason="", pid=proc.pid,
            dev_mode=dev_src is not None, cdp_port=cdp_port,
        )  # fmt: skip
        threading.Thread(target=self._read, args=(app,), name=f"ctl-{app_id}", daemon=True).start()
        threading.Thread(target=self._wait, args=(app,), name=f"wait-{app_id}", daemon=True).start()
        self._on_change(app_id)
        return app

    # --- control channel ---------------------------------------------------------------
    def _read(self, app: RunningApp) -> None:
        app.channel.serve(lambda msg: self._handle(app, msg))

    def _handle(self, app: RunningApp, msg: control.Message) -> None:
        if isinstance(msg, control.Hello):
            app.sandbox = msg.sandbox
            if not msg.sandbox:
                self.audit.record(
                    "engine.sandbox_disabled", app_id=app.app_id, outcome="unknown",
                    reason="Chromium's sandbox is off for this app (running as root)",
                )  # fmt: skip
        elif isinstance(msg, control.Loaded):
            app.loaded_at = time.monotonic()
            app.renderer_pid = msg.renderer_pid
            app.state = AppState.RUNNING
            app.loaded.set()
            self._on_change(app.app_id)
        elif isinstance(msg, control.Audit):
            # Everything a runtime reports was caused by its page: through the flood gate,
            # and counted in the app's audit budget. Colliding names keep a suffixed name, as
            # AuditLog does for its reserved fields.
            fields = {f"{k}_" if k in _RECORD_KEYWORDS else k: v for k, v in msg.fields.items()}
            if self.monitor is not None:
                self.monitor.count_audit(app.app_id)
            self.audit.record_app(
                msg.action, app_id=app.app_id, outcome=msg.outcome, reason=msg.reason, **fields
            )
        elif isinstance(msg, control.Metrics):
            app.counters = dict(msg.counters)
            if self.monitor is not None:
                self.monitor.report_counters(app.app_id, app.counters)
        elif isinstance(msg, control.ShareRequest):
            threading.Thread(
                target=self._answer_share, args=(app, msg), name="share", daemon=True
            ).start()
        elif isinstance(msg, control.ConsentRequest):
            threading.Thread(
                target=self._answer_consent, args=(app, msg), name="consent", daemon=True
            ).start()
        elif isinstance(msg, control.Notice):
            app.detail = msg.message
            self._on_change(app.app_id)
        else:  # a runtime must not send host-to-runtime messages
            _log.warning("unexpected %s from %s", msg.type, app.app_id)

    def _answer_consent(self, app: RunningApp, req: control.ConsentRequest) -> None:
        # Built here from the host's own records (registry, verified bundle), not from
        # anything the runtime says about itself beyond which capability and the reason.
        prompt = build_prompt(self.paths, app.app_id, req.capability, req.reason, app.dev_src)
        answer = self._consent(prompt)
        if answer not in ("allow_once", "allow_always", "deny"):
            answer = "deny"
        try:
            app.channel.send(control.ConsentAnswer(request_id=req.request_id, answer=answer))
        except control.ChannelClosedError:
            pass

    def _answer_share(self, app: RunningApp, req: control.ShareRequest) -> None:
        """``share.send``: the receiver must be installed, the user must confirm, and the
        sender is the app this host launched (never a name from the page)."""
        from superapp import registry, share
        from superapp.paths import is_valid_app_id

        outcome = "declined"
        if not is_valid_app_id(req.to) or req.to == app.app_id:
            outcome = "invalid"
        else:
            try:
                receiver = registry.get_app(self.paths, req.to)
            except SuperappError:
                outcome = "unknown_app"
            else:
                if self._share_confirm(app.app_id, receiver.name, req.to):
                    try:
                        share.deliver(self.paths, app.app_id, req.to, req.data)
                        outcome = "delivered"
                    except share.InboxFullError:
                        outcome = "inbox_full"
                    except ValueError:
                        outcome = "invalid"
        self.audit.record(
            "share.send", app_id=app.app_id,
            outcome="success" if outcome == "delivered" else "failure",
            reason=outcome, to=req.to, bytes=len(req.data),
        )  # fmt: skip
        try:
            app.channel.send(control.ShareAnswer(request_id=req.request_id, outcome=outcome))
        except control.ChannelClosedError:
            pass

    # --- exit --------------------------------------------------------------------------
    def _wait(self, app: RunningApp) -> None:
        code = app.proc.wait()
        self._sweep_group(app.proc.pid)
        app.channel.close()
        if app.stop_reason is not None:
            state = AppState.TERMINATED if app.stop_reason else AppState.STOPPED
            detail = app.stop_reason
        elif code == 0:
            state, detail = AppState.STOPPED, ""
        else:
            state = AppState.CRASHED
            detail = app.detail or _describe_exit(code)
            if app.detail:
                detail = f"{app.detail} ({_describe_exit(code)})"
        app.state, app.detail = state, detail
        self.audit.flush_app(app.app_id)  # its pending "N more like this", before the exit
        self.audit.record(
            "app.crashed" if state is AppState.CRASHED else "app.exited",
            app_id=app.app_id,
            outcome="failure" if state is AppState.CRASHED else "success",
            reason=detail or _describe_exit(code),
            exit_code=code,
        )
        if self.monitor is not None:
            self.monitor.unwatch(app.app_id)
        with self._lock:
            self._apps.pop(app.app_id, None)
            self._last[app.app_id] = (state, detail)
        self._remove_record(app)
        if app.evict_engine is not None:
            # Still over once stopped: without eviction the next launch would be stopped too.
            from superapp.storage import evict_engine_storage

            evict_engine_storage(self.paths, app.app_id, audit=self.audit, reason=app.evict_engine)
        app.lock.close()
        app.exited.set()
        self._on_change(app.app_id)

    @staticmethod
    def _sweep_group(pgid: int) -> None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, app_id: str, *, reason: str = "") -> None:
        """Stop ``app_id``: close, then SIGTERM, then SIGKILL. ``reason`` marks a termination."""
        app = self.get(app_id)
        if app is None:
            raise AppStateError(f"{app_id} is not running")
        app.stop_reason = reason
        try:
            app.channel.send(control.Terminate(reason=reason or "stopped by the user"))
        except control.ChannelClosedError:
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

    # --- monitoring ----------------------------------------------------------------------
    def _watch(self, app: RunningApp) -> None:
        if self.monitor is None:
            return
        # The runtime sends no page heartbeats yet, so hang detection is by the CPU budget
        # (an infinite loop burns a core) rather than by missed heartbeats.
        self.monitor.watch(
            app.app_id,
            app.pid,
            self._display_name(app),
            heartbeats=False,
            engine_dir=self.paths.app_webview(app.app_id),
        )
        with self._lock:
            if self._monitor_thread is None:
                self._monitor_thread = threading.Thread(
                    target=self._monitor_loop, name="monitor", daemon=True
                )
                self._monitor_thread.start()

    def _monitor_loop(self) -> None:
        monitor = self.monitor
        if monitor is None:
            return
        last_eviction = 0.0
        while not self._monitor_stop.wait(monitor.policy.sample_interval_s):
            for decision in monitor.tick():
                self._on_decision(decision)
            if time.monotonic() - last_eviction >= _EVICTION_PERIOD_S:
                last_eviction = time.monotonic()
                self._evict_caches()
            for app in self.running():  # the latest sample, for `superapp ps`
                self._write_record(app)

    def _evict_caches(self) -> None:
        """Free disk by evicting apps' cache folders when space runs low (the policy's
        threshold); never touches storage/ or files/."""
        from superapp.policy import load_policy
        from superapp.storage import StorageLimits, evict_caches

        try:
            limits = load_policy(self.paths).limits("storage", StorageLimits)
            evict_caches(self.paths, limits, audit=self.audit)
        except (SuperappError, OSError):
            _log.exception("cache eviction failed")

    def _display_name(self, app: RunningApp) -> str:
        if app.dev_src is not None:
            return app.app_id
        from superapp import registry

        try:
            return registry.get_app(self.paths, app.app_id).name
        except SuperappError:
            return app.app_id

    def _on_decision(self, decision: Decision) -> None:
        record_decision(self.audit, decision)
        app = self.get(decision.app_id)
        if app is None:
            return
        if decision.action == "terminate":
            if decision.metric == "engine_storage":
                app.evict_engine = decision.message
            threading.Thread(
                target=self.stop,
                args=(decision.app_id,),
                kwargs={"reason": decision.message},
                name="budget-stop",
                daemon=True,
            ).start()
        elif decision.action in ("warn", "throttle"):
            app.detail = decision.message
            self._on_change(app.app_id)

    # --- the kill switch ------------------------------------------------------------------
    def start_revocation_refresher(self) -> bool:
        """Fetch the revocation list now and every ``interval_s``; stop revoked running apps.

        Returns False when the policy names no source (the kill switch is off).
        """
        from superapp.policy import load_policy
        from superapp.revocation import RevocationChecker

        policy = load_policy(self.paths)
        if policy.revocation.source is None:
            return False
        checker = RevocationChecker(self.paths, policy, audit=self.audit)

        def on_result(result: Any) -> None:
            if result.status == "updated" or result.stale:
                self._stop_revoked(checker)

        threading.Thread(
            target=checker.run,
            args=(self._monitor_stop, on_result),
            name="revocations",
            daemon=True,
        ).start()
        return True

    def _stop_revoked(self, checker: Any) -> None:
        from superapp import registry

        for app in self.running():
            if app.dev_src is not None:
                continue  # side-loaded folders are not published apps: nothing to revoke
            try:
                installed = registry.get_app(self.paths, app.app_id)
            except SuperappError:
                continue
            hit = checker.is_revoked(
                app.app_id, installed.version_code, installed.key_id, installed.digest
            )
            if hit is None:
                continue
            reason = f"{installed.name} was switched off by the platform: {hit.describe()}"
            self.audit.record(
                "app.revoked", app_id=app.app_id, outcome="failure", reason=reason, kind=hit.kind
            )
            threading.Thread(
                target=self.stop, args=(app.app_id,), kwargs={"reason": reason}, daemon=True
            ).start()

    def shutdown(self) -> None:
        self._monitor_stop.set()
        threads = [
            threading.Thread(target=self.stop, args=(a.app_id,), daemon=True)
            for a in self.running()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    # --- run records (for `superapp stop` from another process) -------------------------
    def _record_path(self, app_id: str) -> Path:
        return self.paths.run / "apps" / f"{app_id}.json"

    def _write_record(self, app: RunningApp) -> None:
        path = self._record_path(app.app_id)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        record: dict[str, Any] = {
            "app_id": app.app_id,
            "host_pid": os.getpid(),
            "runtime_pid": app.pid,
            "cdp_port": app.cdp_port,
            "dev_mode": app.dev_src is not None,
            "state": app.state.value,
            "detail": app.detail,
        }
        if self.monitor is not None:
            sample = self.monitor.latest().get(app.app_id)
            if sample is not None:
                record["sample"] = sample.to_json()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(path)

    def _remove_record(self, app: RunningApp) -> None:
        try:
            self._record_path(app.app_id).unlink()
        except FileNotFoundError:
            pass

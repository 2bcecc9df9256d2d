"""A runtime's start: generic first, then bound to the one app the host names (issue 16).

In order, in ``Startup.run`` (main thread) and ``Startup.on_message`` (control reader):

0. ``lock_down`` (main thread, the only thread: Landlock binds the calling thread alone).
   *Cold* (spawned for one launch): read ``bind`` here, verify the app, and confine the process
   to the app's plan — the layer wins over speed: the engine starts only after this.
   *Pooled* (``--pooled``): confine it to the generic plan (its slot folder only). Then the
   engine's environment points into this runtime's slot folder (XDG cache and data, CDP
   opt-in, sandbox check), and ``hello`` and ``confinement`` go to the host.
1. Generic stage: the egress proxy starts refusing everything, and the engine starts with one
   hidden blank window (``engine._warm``). Then ``warm``. A cold runtime (bound at once) loads
   no blank document and says ``warm`` as soon as the GUI loop is up (``WarmEngine.run``).
2. Pooled: ``bind`` arrives when the host claims it; the app (the host's copy of its bundle in
   the slot) is verified in a thread of its own. A second ``bind`` ends the process: a
   runtime serves one app.
3. Bound stage — once warm and verified: the egress policy, the door, storage under the
   host's key, and the app's page on a fresh profile. A pooled runtime refuses an app that
   does not fit its generic lockdown (the host never sends one, ``superapp.host._pool``).

A runtime never reads the master key, the registry or the policy file: ``bind`` carries them.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from superapp import protocol as control
from superapp.core.paths import Paths, is_valid_app_id
from superapp.net import EgressUnavailableError, NetPolicy
from superapp.runtime._env import prepare_environment
from superapp.runtime._hostside import HostRequests
from superapp.runtime._startfail import start_failure

if TYPE_CHECKING:
    from superapp.net import EgressProxy
    from superapp.runtime._app import LoadedApp, RuntimeApp
    from superapp.runtime._confine import Lockdown
    from superapp.runtime.engine._warm import WarmEngine

__all__ = ["Startup"]

_log = logging.getLogger("superapp.runtime")
#: The app id of the policy an unbound runtime's egress proxy enforces: it allows nothing
#: (the proxy serves only http(s), and no host is on its list).
_UNBOUND = "superapp.unbound"


#: What binding needs but no app decides (verification, the door, storage, the Qt page).
_BIND_MODULES = (
    "superapp.bundles",
    "superapp.storage",
    "bridge.dispatcher",
    "bridge.table",
    "superapp.runtime._app",
    "superapp.runtime._wiring",
    "superapp.runtime.engine._qt",
    "superapp.runtime.engine._ui",
)
#: ... and the engine's own start (a cold runtime on its app plan imports these before ``bind``).
_ENGINE_MODULES = (*_BIND_MODULES, "superapp.runtime.engine._warm")


def _preload(names: tuple[str, ...] = _BIND_MODULES) -> None:
    """Import ``names``, so a claimed runtime spends its time on the app alone. In a cold
    launch on the generic plan this runs while the bundle is being verified; on the app's
    plan, before ``bind`` arrives (``_bind_cold``)."""
    import importlib

    for name in names:
        importlib.import_module(name)


class Startup:
    def __init__(
        self,
        paths: Paths,
        channel: control.Channel,
        *,
        slot: Path,
        cdp_port: int | None,
        engine_profile: Path | None,
        started: float,
        exit_group: Any,
        dev_switches: tuple[bool, bool, tuple[Any, ...]] = (False, False, ()),
    ) -> None:
        self.paths = paths
        self.channel = channel
        self.slot = slot
        self.cdp_port = cdp_port
        self.engine_profile = engine_profile
        self.started = started
        self._exit_group = exit_group
        self.requests = HostRequests(channel)
        self._lock = threading.Lock()
        self._bind: control.Bind | None = None
        self._loaded: LoadedApp | None = None
        self._verified = threading.Event()
        self.app: RuntimeApp | None = None
        self._engine: WarmEngine | None = None
        self._egress: EgressProxy | None = None
        self._code = 0
        self._pooled = False
        self._ports: tuple[int, ...] | None = None
        self.lockdown: Lockdown | None = None
        #: ``--watch``, ``--devtools``, ``--allow-local`` (parsed): developer mode only.
        self._dev_switches = dev_switches

    # --- control reader ------------------------------------------------------------------
    def on_message(self, msg: control.Message) -> None:
        if isinstance(msg, control.Bind):
            self._on_bind(msg)
        elif self.app is not None:
            self.app.on_control(msg)
        elif isinstance(msg, control.Terminate):
            os._exit(0)  # stopped before it was bound: nothing to close
        elif isinstance(msg, control.GrantsReply | control.InboxReply):
            self.requests.answer(msg)

    def _on_bind(self, msg: control.Bind) -> None:
        _log.info("bind for %s at %.0f ms", msg.app_id, self._ms())
        with self._lock:
            second = self._bind is not None
            if not second:
                self._bind = msg
        if second or not is_valid_app_id(msg.app_id):
            # Single use: a runtime bound once never serves another app.
            _log.error("refused a second or invalid bind")
            self._exit_group()
        threading.Thread(target=self._verify, args=(msg,), name="verify", daemon=True).start()

    def _verify(self, bind: control.Bind) -> None:
        from superapp.runtime._app import ChannelSink, load_app

        try:
            _preload()  # in a cold launch: while the main thread starts the engine
            self._loaded = load_app(self.paths, bind, ChannelSink(self.channel))
        except Exception as err:  # reported to the host, which shows it to the user
            self._send(control.Notice(level="error", message=start_failure(err)))
            # At once, whatever the engine is doing: no window for an app that failed its
            # check. The host sweeps the process group (the engine's children) at exit.
            os._exit(3)
        _log.info("verified %s at %.0f ms", bind.app_id, self._ms())
        self._verified.set()

    # --- main thread ---------------------------------------------------------------------
    def lock_down(self, *, pooled: bool, ports: tuple[int, ...] | None = None) -> int | None:
        """Step 0 (see the module docstring), on the one thread; an exit code if it cannot
        go on (the host was told why). ``ports``: a generic plan narrowed to these TCP ports
        (a cold launch through the generic path, ``--connect-ports``)."""
        from superapp.runtime import _confine

        self._pooled = pooled
        self._ports = ports
        if pooled:
            self.lockdown = _confine.lock_down_generic(
                self.paths, slot=self.slot, cdp_port=self.cdp_port, ports=ports
            )
        else:
            code = self._bind_cold()
            if code is not None:
                return code
            loaded, bind = self._loaded, self._bind
            assert loaded is not None and bind is not None  # noqa: S101 - set by _bind_cold
            dev = Path(bind.dev_src) if bind.dev_src is not None else None
            local = self._dev_switches[2]
            self.lockdown = _confine.lock_down(
                self.paths, loaded, slot=self.slot, cdp_port=self.cdp_port, dev=dev,
                dev_local_ports=[port for _ip, port in local],  # empty unless dev (checked)
            )  # fmt: skip
        # After the lockdown: a root runtime has left root by now, so the engine's sandbox
        # stays on (``superapp.confine.leave_root``).
        sandbox = prepare_environment(self.slot, cdp_port=self.cdp_port)
        self._send(
            control.Hello(protocol=control.PROTOCOL_VERSION, pid=os.getpid(), sandbox=sandbox)
        )
        if not sandbox:
            print(
                "superapp: WARNING: the engine's sandbox is disabled (running as root); "
                "mini-app renderers run without Chromium's OS-level sandbox",
                file=sys.stderr,
            )
        layers = self.lockdown.report.to_wire()
        self._send(control.Confinement.model_validate({"layers": layers}))
        return None

    def _bind_cold(self) -> int | None:
        """A cold runtime's first message is ``bind``: read and verify it on this thread
        (nothing else can start before the lock). The imports verification, binding and the
        engine need come first, while the host is still setting itself up and building the
        ``bind`` (``superapp run`` spawns this process before its own set-up): they take no
        app input and start no thread (``superapp.confine`` checks the process has one thread
        before the lock), and the runtime waited idle for ``bind`` before (issue 16)."""
        _preload(_ENGINE_MODULES)
        try:
            msg = self.channel.recv()
        except control.ChannelClosedError:
            return 0  # the host is gone before it named an app
        if isinstance(msg, control.Terminate):
            return 0
        if not isinstance(msg, control.Bind) or not is_valid_app_id(msg.app_id):
            _log.error("the first message of a cold runtime was not a valid bind")
            return 3
        self._bind = msg
        _log.info("bind for %s at %.0f ms", msg.app_id, self._ms())
        if msg.dev_src is not None:
            # A side-loaded folder's data lives apart from any installed app of the same id.
            self.paths = self.paths.for_dev()
        elif any(self._dev_switches[:2]) or self._dev_switches[2]:
            # Loopback and the inspector are for a developer-mode runtime only.
            self._send(
                control.Notice(level="error", message="cannot start: developer-mode switches "
                               "(--watch, --devtools, --allow-local) without a developer folder")
            )  # fmt: skip
            return 2
        from superapp.runtime._app import ChannelSink, load_app

        try:
            self._loaded = load_app(self.paths, msg, ChannelSink(self.channel))
        except Exception as err:  # reported to the host, which shows it to the user
            self._send(control.Notice(level="error", message=start_failure(err)))
            return 3
        _log.info("verified %s at %.0f ms", msg.app_id, self._ms())
        self._verified.set()
        return None

    def run(self) -> int:
        # Not through ``_wiring``: its bridge imports are the verify thread's (``_egressup``).
        from superapp.runtime._egressup import start_egress

        # The egress proxy goes up, and is proven live, before anything of the engine loads:
        # no engine ever runs that could reach the network around it (DESIGN §6.3).
        try:
            sock = self.lockdown.egress_sock if self.lockdown is not None else None
            self._egress = start_egress(
                NetPolicy.from_manifest(_UNBOUND, (), ()), self._refused, sock
            )
        except EgressUnavailableError as err:
            self._send(control.Notice(level="error", message=f"cannot start: {err}"))
            self._send(
                control.Audit(
                    action="egress.unavailable", outcome="failure", reason=str(err),
                    fields={"action_taken": "refused"},
                )
            )  # fmt: skip
            return 3
        _log.info("egress up at %.0f ms", self._ms())
        from superapp.runtime.engine._warm import WarmEngine

        self._engine = WarmEngine(
            self.slot,
            self._egress.port,
            self.engine_profile,
            show_ahead=self._pooled,
            started=self.started,
            cold=self._cold,
        )
        try:
            self._engine.run(self._after_warm)
        finally:
            if self.app is not None:
                self.app.close()
            self._egress.close()
        if self.app is not None and self.app.exit_code:
            return self.app.exit_code  # a dual-mode context that crashed (``_dualwiring``)
        return self._code

    @property
    def _cold(self) -> bool:
        """Spawned for one launch (on its app plan, or ``--pooled --connect-ports``: the host
        binds it at once, ``superapp.host._lifecycle``): its engine needs no warm-up for a
        claim (``WarmEngine.run``). A pool's runtime (``--pooled`` alone) warms as before."""
        return not self._pooled or self._ports is not None

    def _after_warm(self) -> None:
        """pywebview's ``func`` thread: say ``warm``, wait for ``bind``, bind."""
        _log.info("engine up at %.0f ms", self._ms())
        _preload()
        self._send(control.Warm(elapsed_ms=self._ms()))
        _log.info("warm at %.0f ms", self._ms())
        self._verified.wait()
        _log.info("bind verified, binding from %.0f ms", self._ms())
        try:
            self._bind_app()
        except Exception as err:
            self._send(control.Notice(level="error", message=start_failure(err)))  # logs it
            self._code = 3
            assert self._engine is not None  # noqa: S101 - set before the loop started
            self._engine.close()

    def _bind_app(self) -> None:
        from superapp.runtime._app import RuntimeApp

        loaded, bind = self._loaded, self._bind
        assert loaded is not None and bind is not None  # noqa: S101 - set before _verified
        if self._pooled:
            from superapp.runtime._confine import fits_pooled

            # The generic lockdown cannot be widened: the host binds only apps that fit it.
            moved = Path(bind.app_dir) == self.slot / "app"
            why = fits_pooled(loaded, moved=moved, ports=self._ports)
            if why is not None:
                raise ValueError(f"a pooled runtime cannot serve this app: {why}")
        assert self._engine is not None and self._egress is not None  # noqa: S101
        persistent = bind.engine_storage == "persistent"
        if self._engine.persistent:
            fits = persistent and self.engine_profile == Path(bind.webview_dir)
        else:  # generic: a ``persistent`` app's profile folder must be in the slot (moved)
            fits = not persistent or Path(bind.app_dir) == self.slot / "app"
        if not fits:
            raise ValueError("this runtime's engine profile does not fit the app")
        from superapp.runtime._confine import slot_paths

        paths = slot_paths(self.paths, bind.app_id, bind.app_dir, self.slot)  # storage moved in?
        app = RuntimeApp(
            paths, loaded, self.channel, bind, self.requests, self._egress, self.started
        )
        self.app = app
        if bind.dev_src is not None:
            self._dev_options(app, Path(bind.dev_src))
        _log.info("binding at %.0f ms", self._ms())
        app.attach(self._engine)
        _log.info("bound, page loading at %.0f ms", self._ms())

    def _dev_options(self, app: RuntimeApp, folder: Path) -> None:
        """``superapp dev``'s reload, DevTools and local origins (audited) for ``app``."""
        from superapp.runtime._devmode import DevOptions, local_authorities

        watch, devtools, local = self._dev_switches
        app.dev_options = DevOptions(
            folder=folder, watch=watch, devtools=devtools, allow_local=local
        )
        if local:
            app.audit(
                "dev.allow_local", outcome="success",
                reason="developer mode: the page may reach these local origins",
                origins=[f"http://{a}" for a in local_authorities(local)],
            )  # fmt: skip

    def _ms(self) -> float:
        return (time.monotonic() - self.started) * 1000.0

    def _refused(self, url: str, rule: str, reason: str, kind: str) -> None:
        if self.app is not None:
            self.app.guard.blocked("net.blocked", url, rule, reason, kind=kind, via="egress")

    def _send(self, msg: Any) -> None:
        try:
            self.channel.send(msg)
        except control.ChannelClosedError:
            pass

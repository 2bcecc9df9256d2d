"""One running mini-app: its identity, files, door, guards and window, wired together."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from superapp import protocol as control
from superapp.core.paths import Paths
from superapp.net import EgressProxy, EgressUnavailableError
from superapp.policy import HostPolicy, load_policy
from superapp.resources import asset_text
from superapp.runtime._devmode import DevOptions
from superapp.runtime._door import RevocationGate
from superapp.runtime._env import engine_switches, prepare_environment
from superapp.runtime._guard import RequestGuard
from superapp.runtime._metrics import runtime_counters
from superapp.runtime._source import AppSource, BundleSource, DirSource

if TYPE_CHECKING:
    from superapp.core.ports import AuditSink
    from superapp.runtime._confine import Lockdown
    from superapp.storage import AppStore

__all__ = ["ChannelSink", "LoadedApp", "RuntimeApp", "load_app", "send_audit"]

_log = logging.getLogger("superapp.runtime")


@dataclass(frozen=True)
class LoadedApp:
    app_id: str
    name: str
    entry_page: str
    source: AppSource
    declared: frozenset[str]
    allowed_hosts: tuple[str, ...]
    http_hosts: tuple[str, ...]
    dev_mode: bool
    version_name: str
    #: capability -> the manifest's reason for it (shown in consent prompts; signed text)
    reasons: dict[str, str]
    #: manifest ``superapp.engine_storage``: "memory" (off-the-record profile) or "persistent"
    engine_storage: str = "memory"
    #: the manifest's first icon (a path inside the verified bundle), for host chrome
    icon: str | None = None
    #: manifest ``superapp.importmap``: injected into every page (``_page``)
    importmap: str | None = None
    #: manifest ``superapp.mode`` and, in ``dual`` mode, its logic scripts (``_dual``)
    mode: str = "single"
    logic: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        if self.dev_mode:
            return f"{self.name} — developer mode (unsigned)"
        return self.name


def send_audit(
    channel: control.Channel, action: str, *, outcome: str, reason: str, **fields: Any
) -> None:
    """One audit event to the host, which writes it under the app id it launched this
    process for. A runtime never opens the audit log itself (issue 13)."""
    safe = json.loads(json.dumps(fields, default=str))
    try:
        channel.send(control.Audit(action=action, outcome=outcome, reason=reason, fields=safe))
    except control.ChannelClosedError:
        pass


class ChannelSink:
    """An ``AuditSink`` over the control channel, for checks that run before ``RuntimeApp``
    exists (``load_app``). ``app_id`` is dropped: the host knows which app it launched."""

    def __init__(self, channel: control.Channel) -> None:
        self._channel = channel

    def record(
        self, action: str, *, app_id: str | None = None, outcome: str = "unknown",
        reason: str = "", **fields: Any,
    ) -> object:  # fmt: skip
        send_audit(self._channel, action, outcome=outcome, reason=reason, **fields)
        return None


def load_app(paths: Paths, app_id: str, dev: Path | None, audit: AuditSink) -> LoadedApp:
    """The app's manifest and files: a developer's folder, or the installed bundle verified
    again (a failure is reported to ``audit``, the control channel, as ``bundle.verify_failed``).
    """
    from superapp import bundles

    if dev is not None:
        manifest = bundles.load_manifest_dir(dev)
        source: AppSource = DirSource(dev)
    else:
        verified = bundles.open_installed(paths, app_id, audit=audit)
        manifest = verified.manifest
        source = BundleSource({name: verified.read(name) for name in verified.names})
    if manifest.app_id != app_id:
        raise ValueError(f"manifest app_id {manifest.app_id!r} is not {app_id!r}")
    ext = manifest.superapp
    return LoadedApp(
        app_id=app_id,
        name=manifest.name,
        entry_page=manifest.entry_page,
        source=source,
        declared=frozenset(manifest.declared_capabilities),
        allowed_hosts=tuple(ext.allowed_hosts),
        http_hosts=tuple(getattr(ext, "allow_http_hosts", ()) or ()),
        dev_mode=dev is not None,
        version_name=manifest.version.name,
        reasons={p.name: p.reason or "" for p in manifest.req_permissions},
        engine_storage=ext.engine_storage,
        icon=manifest.icons[0].src if manifest.icons else None,
        importmap=ext.importmap,
        mode=ext.mode,
        logic=tuple(ext.logic),
    )


class RuntimeApp:
    def __init__(
        self, paths: Paths, app: LoadedApp, channel: control.Channel, cdp_port: int | None
    ) -> None:
        self.paths = paths
        self.app = app
        self.channel = channel
        self.cdp_port = cdp_port
        self.window: Any = None
        self.egress: EgressProxy | None = None
        self._stop = threading.Event()
        self._started = time.monotonic()
        #: The app's storage handle once opened (``_wiring.open_storage``): its write counter
        #: is reported in the metrics message.
        self.store: AppStore | None = None
        #: The OS-level lockdown applied before this object existed (``_confine``).
        self.lockdown: Lockdown | None = None
        #: In front of the dispatcher once the window is built (``_door``).
        self.gate: RevocationGate | None = None
        #: The window's life cycle once it exists (``engine._lifecycle.PageLifecycle``).
        self.lifecycle: Any = None
        self.guard = RequestGuard(self.audit)
        from superapp.runtime._wiring import RuntimeConsent, RuntimeShare

        self.consent = RuntimeConsent(self)
        self.share = RuntimeShare(self)
        #: What ``run`` returns; a context that crashed makes it non-zero (``_dualwiring``).
        self.exit_code = 0
        #: Dual mode's engine half once the window is built (``engine._dual.DualMode``); the
        #: lifecycle's suspend/resume freezes its logic with the view through ``set_frozen``.
        self.dual: Any = None
        #: ``superapp dev``'s reload and DevTools (``_devmode``); None for an installed app.
        self.dev_options: DevOptions | None = None
        self.dev_hooks: Any = None

    @functools.cached_property
    def host_policy(self) -> HostPolicy:
        """The host policy file, read once for this runtime (storage and bridge limits)."""
        return load_policy(self.paths)

    # --- to the host -------------------------------------------------------------------
    def audit(
        self, action: str, *, outcome: str = "unknown", reason: str = "", **fields: Any
    ) -> None:
        """Audit events go to the host, which writes them under the app id it launched."""
        send_audit(self.channel, action, outcome=outcome, reason=reason, **fields)

    def _send(self, msg: Any) -> None:
        try:
            self.channel.send(msg)
        except control.ChannelClosedError:
            pass

    def _elapsed_ms(self) -> float:
        return (time.monotonic() - self._started) * 1000.0

    def _metrics_loop(self) -> None:
        last: dict[str, int] = {}
        while not self._stop.wait(1.0):
            egress = dict(self.egress.counters) if self.egress is not None else None
            counters = runtime_counters(dict(self.guard.counters), egress, self.store)
            if counters != last:
                self._send(control.Metrics(counters=counters))
                last = counters

    # --- from the host -----------------------------------------------------------------
    def on_control(self, msg: control.Message) -> None:
        if isinstance(msg, control.ConsentReply):
            self.consent.answer(msg)
        elif isinstance(msg, control.ShareAnswer):
            self.share.answer(msg)
        elif isinstance(msg, control.Lifecycle):
            if self.lifecycle is not None:
                self.lifecycle.command(msg.command)
        elif isinstance(msg, control.Terminate):
            _log.warning("host asked to terminate: %s", msg.reason)
            if msg.revoked and self.gate is not None:
                self.gate.revoke()
            if self.window is not None:
                self.window.destroy()
            else:
                os._exit(0)

    def _dev_local_hosts(self) -> tuple[str, ...]:
        """``--allow-local`` origins for the CSP's http sources (developer mode only)."""
        from superapp.runtime._devmode import local_authorities

        dev = self.dev_options
        return local_authorities(dev.allow_local) if dev and self.app.dev_mode else ()

    def _start_dev(self, page: Any) -> None:
        """Developer mode only (Qt main thread): the inspector and the live-reload watcher."""
        from superapp.runtime._devmode import start_watcher
        from superapp.runtime.engine._devtools import DevHooks

        options = self.dev_options
        if options is None or options.folder is None:
            return
        self.dev_hooks = DevHooks(page, self.app.title)
        if options.devtools:
            self.dev_hooks.open_inspector()
        if options.watch:
            start_watcher(
                options.folder, options, self.dev_hooks.request_reload,
                lambda names: self.audit(
                    "dev.reload", outcome="success", reason="files changed", files=names[:20]
                ),
                self._stop,
            )  # fmt: skip

    # --- the window --------------------------------------------------------------------
    def _page_hooks(self, spec: Any) -> None:
        """The page's import map (``_page``), its CSP refusals audited (``_cspreport``) and,
        in developer mode only, its console and refusals sent to the host (``_console``)."""
        from superapp.runtime._console import ConsoleForwarder
        from superapp.runtime._cspreport import ViolationReporter
        from superapp.runtime._page import PageResponder

        origin = f"app://{self.app.app_id}"
        console = ConsoleForwarder(origin, self._send) if self.app.dev_mode else None
        spec.on_console = console.console if console is not None else None
        spec.on_violation = ViolationReporter(
            origin, self.guard.blocked, console.refusal if console is not None else None
        )
        spec.responder = PageResponder(
            origin,
            self.app.source,
            self.app.importmap,
            spec.allowed_hosts,
            spec.http_hosts,  # with superapp dev --allow-local origins, as the window's
            lambda reason: self.audit(
                "page.importmap_refused", outcome="failure", reason=reason[:500],
                action_taken="served without the import map",
            ),
        )  # fmt: skip

    def run(self) -> int:
        webview_dir = self.paths.app_webview(self.app.app_id)
        webview_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        sandbox = prepare_environment(webview_dir, cdp_port=self.cdp_port)
        self._send(
            control.Hello(protocol=control.PROTOCOL_VERSION, pid=os.getpid(), sandbox=sandbox)
        )
        if self.lockdown is not None:
            layers = self.lockdown.report.to_wire()
            self._send(control.Confinement.model_validate({"layers": layers}))
        if not sandbox:
            print(
                "superapp: WARNING: the engine's sandbox is disabled (running as root); "
                "mini-app renderers run without Chromium's OS-level sandbox",
                file=sys.stderr,
            )

        from superapp.runtime import _wiring

        policy = _wiring.build_net_policy(self)
        if self.app.mode == "dual":
            from superapp.runtime import _dualwiring

            # Neither context reaches the network through the engine: the view has no
            # network at all, the logic's is net.request (host-proxied, through callNative).
            engine_net = _dualwiring.engine_net_policy(self)
        else:
            engine_net = policy
        # The egress proxy goes up, and is proven live, before anything of the engine
        # loads: no window is ever created for an engine that could reach the network
        # around it (DESIGN §6.3).
        try:
            egress = _wiring.start_egress(self, engine_net)
        except EgressUnavailableError as err:
            self.audit(
                "egress.unavailable", outcome="failure", reason=str(err), action_taken="refused"
            )
            self._send(control.Notice(level="error", message=f"cannot start: {err}"))
            return 3
        self.egress = egress
        from superapp.runtime.engine import _qt, _scheme, _ui, _window

        _scheme.register_scheme()
        # Qt WebEngine reads its Chromium switches from QApplication's argv (which pywebview
        # builds from sys.argv) after --webEngineArgs.
        sys.argv[1:] = [
            "--webEngineArgs",
            *engine_switches(os.environ, proxy_port=egress.port),
        ]
        persistent = self.app.engine_storage == "persistent"
        _window.load_backend(webview_dir)
        ctx = _wiring.build_context(self)
        icon = self.app.source.read(self.app.icon) if self.app.icon else None
        ui = _ui.QtUi(self.app.name, lambda: self.window, icon_png=icon)
        dispatcher = _wiring.make_dispatcher(self, ctx, ui, policy)
        _wiring.open_storage(self, ctx, ui)
        self.gate = RevocationGate(dispatcher.dispatch, self.audit)
        spec = _qt.WindowSpec(
            app_id=self.app.app_id,
            title=self.app.title,
            entry_page=self.app.entry_page,
            source=self.app.source,
            policy=_wiring.engine_policy(engine_net),
            guard=self.guard,
            dispatch=self.gate,
            # Web permissions read the grants on every request, so a revocation is live.
            is_granted=dispatcher.authorizer.is_granted,
            allowed_hosts=self.app.allowed_hosts,
            http_hosts=self.app.http_hosts + self._dev_local_hosts(),
            on_loaded=lambda url, pid: self._send(
                control.Loaded(url=url, elapsed_ms=self._elapsed_ms(), renderer_pid=pid)
            ),
            engine_storage=self.app.engine_storage,
            on_notice=ui.notice,
            name=self.app.name,
            on_clipboard_guard=lambda guard: setattr(ui, "clipboard_guard", guard),
        )
        self._page_hooks(spec)
        if self.app.mode == "dual":
            spec.dual = self.dual = _dualwiring.dual_mode(self)
        shim = asset_text("shim.js")
        relay = asset_text("bridge-isolated.js")

        def report(visible: bool, page: str, audible: bool, input_: bool) -> None:
            self._send(
                control.WindowState(visible=visible, page=page, audible=audible, input=input_)
            )

        def before_show(window: Any) -> None:
            from superapp.runtime.engine._lifecycle import PageLifecycle

            page = _qt.install(window.native, spec, shim, relay)
            frozen = self.dual.set_frozen if self.dual is not None else None
            self.lifecycle = PageLifecycle(window.native, page, report, frozen)
            if self.dev_options is not None:
                self._start_dev(page)

        self.window = _window.create_window(self.app.title, before_show)
        threading.Thread(target=self._metrics_loop, name="metrics", daemon=True).start()
        try:
            _window.start(persistent=persistent, storage_dir=webview_dir)
        finally:
            self._stop.set()
            dispatcher.close()
            ctx.close()
            egress.close()
        return self.exit_code

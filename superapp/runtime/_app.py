"""One running mini-app: its identity, files, door, guards and window, wired together."""

from __future__ import annotations

import base64
import functools
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.capabilities.lifecycle import HANDOVER_RESOURCE, Handover
from superapp import protocol as control
from superapp.core.pagestate import PageStateLimits, in_app_location
from superapp.core.paths import Paths
from superapp.net import EgressProxy
from superapp.policy import HostPolicy
from superapp.resources import asset_text, shim_text
from superapp.runtime._devmode import DevOptions
from superapp.runtime._door import RevocationGate
from superapp.runtime._guard import RequestGuard
from superapp.runtime._hostside import HostRequests
from superapp.runtime._metrics import runtime_counters
from superapp.runtime._source import AppSource, BundleSource, DirSource

if TYPE_CHECKING:
    from superapp.core.pageout import SelfPageOut
    from superapp.core.ports import AuditSink
    from superapp.runtime.engine._warm import WarmEngine
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


def load_app(paths: Paths, bind: control.Bind, audit: AuditSink) -> LoadedApp:
    """The app the host bound this runtime to: a developer's folder, or the installed bundle
    verified again against the trust store and the digests the host recorded at install (a
    failure is reported to ``audit``, the control channel, as ``bundle.verify_failed``). The app
    id is the host's; a manifest naming another app, or an engine storage mode other than the
    one the host bound for, is refused.
    """
    from superapp import bundles

    app_id = bind.app_id
    dev = Path(bind.dev_src) if bind.dev_src is not None else None
    if dev is not None:
        manifest = bundles.load_manifest_dir(dev)
        source: AppSource = DirSource(dev)
    else:
        if bind.bundle_path is None:
            raise ValueError("the host named no bundle")
        verified = bundles.verify_copy(
            paths, app_id, Path(bind.bundle_path),
            signed_digest=bind.signed_digest, digest=bind.digest, audit=audit,
        )  # fmt: skip
        manifest = verified.manifest
        source = BundleSource({name: verified.read(name) for name in verified.names})
    if manifest.app_id != app_id:
        raise ValueError(f"manifest app_id {manifest.app_id!r} is not {app_id!r}")
    ext = manifest.superapp
    if ext.engine_storage != bind.engine_storage:
        raise ValueError("the app's engine storage is not what the host bound this runtime for")
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
        self,
        paths: Paths,
        app: LoadedApp,
        channel: control.Channel,
        bind: control.Bind,
        requests: HostRequests,
        egress: EgressProxy,
        started: float,
    ) -> None:
        self.paths = paths
        self.app = app
        self.channel = channel
        self.bind = bind
        self.requests = requests
        self.window: Any = None
        self.egress: EgressProxy | None = egress
        self._stop = threading.Event()
        self._started = started
        #: The app's storage handle once opened (``_wiring.open_storage``): its write counter
        #: is reported in the metrics message.
        self.store: AppStore | None = None
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
        #: The page's hand-over for a process-level discard, and what a restored page gets
        #: back (``bridge.capabilities.lifecycle``, ADR 0014); set when the window is built.
        self.handover: Handover | None = None
        self._engine: Any = None
        self._page: Any = None

    @functools.cached_property
    def host_policy(self) -> HostPolicy:
        """The host's policy as the host parsed it, from ``bind`` (storage and bridge limits)."""
        return HostPolicy.model_validate(self.bind.policy)

    @property
    def data_key(self) -> bytes | None:
        """The app's data key as the host derived it (never the master key)."""
        return base64.b64decode(self.bind.data_key) if self.bind.data_key else None

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
        elif isinstance(msg, control.Lifecycle) and msg.command == "save":
            self._save_page()
        elif isinstance(msg, control.Lifecycle):
            if self.lifecycle is not None:
                self.lifecycle.command(msg.command, msg.page_out)
        elif isinstance(msg, control.GrantsReply | control.InboxReply):
            self.requests.answer(msg)
        elif isinstance(msg, control.Terminate):
            _log.warning("host asked to terminate: %s", msg.reason)
            if msg.revoked and self.gate is not None:
                self.gate.revoke()
            if self.window is not None:
                self.window.destroy()
            else:
                os._exit(0)

    def _save_page(self) -> None:
        """The host is about to end this process to discard the app (ADR 0014): the page's
        URL and what it handed over, which the host judges as page data."""
        url = ""
        engine, page = self._engine, self._page
        if engine is not None and page is not None:
            try:
                url = str(engine.gui.call(lambda: page.url().toString(), timeout=5.0))
            except Exception:  # the GUI thread did not answer: the host keeps no URL
                _log.warning("could not read the page's URL to save it")
        saved = self.handover.saved if self.handover is not None else None
        self._send(control.PageSaved(url=url[: control.MAX_SAVED_URL], state=saved))

    def _start_path(self) -> str:
        """Where a restored page opens: the host's location, checked again here."""
        restore = self.bind.restore
        if restore is None or not restore.location:
            return ""
        app_id = self.app.app_id
        found = in_app_location(app_id, f"app://{app_id}/{restore.location}", PageStateLimits())
        return found if found == restore.location else ""

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

    def attach(self, engine: WarmEngine) -> None:
        """Bind the warm engine to this app: network policy into the egress proxy, the door,
        storage under the host's key, then (on the GUI thread) the app's page on a fresh
        profile. Runs in the thread that waited for ``bind``."""
        from superapp.runtime import _wiring
        from superapp.runtime.engine import _qt, _ui

        assert self.egress is not None  # noqa: S101 - set by the constructor
        policy = _wiring.build_net_policy(self)
        if self.app.mode == "dual":
            from superapp.runtime import _dualwiring

            # Neither context reaches the network through the engine: the view has no
            # network at all, the logic's is net.request (host-proxied, through callNative).
            engine_net = _dualwiring.engine_net_policy(self)
        else:
            engine_net = policy
        # Until here the proxy refused everything (no app, no allowlist).
        self.egress.policy = engine_net
        ctx = _wiring.build_context(self)
        icon = self.app.source.read(self.app.icon) if self.app.icon else None
        ui = engine.gui.call(lambda: _ui.QtUi(self.app.name, lambda: self.window, icon_png=icon))
        dispatcher = _wiring.make_dispatcher(self, ctx, ui, policy)
        restore = self.bind.restore
        self.handover = Handover(restore.state if restore else None, restore is not None)
        ctx.set_resource(HANDOVER_RESOURCE, self.handover)
        self._closers = (dispatcher.close, ctx.close)
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
            start_path=self._start_path(),
        )
        self._page_hooks(spec)
        if self.app.mode == "dual":
            # Its message links are QObjects: made on the GUI thread, which runs their slots
            # (this method runs in pywebview's func thread, which has no Qt event loop).
            spec.dual = self.dual = engine.gui.call(lambda: _dualwiring.dual_mode(self))
        shim = shim_text("shim.js")
        relay = asset_text("bridge-isolated.js")
        self.window = engine.window
        # Held for the window's life: spec.keep holds the Qt objects only Python references
        # (interceptor, scheme handler, channels, dual mode's message links).
        self._spec = spec

        def report(
            visible: bool, page: str, audible: bool, input_: bool, paged: SelfPageOut | None
        ) -> None:
            claim = None
            if paged is not None and paged.mode != "none":
                try:
                    claim = control.SelfCompaction(
                        mode=paged.mode, advised_bytes=paged.advised_bytes,
                        ranges=paged.ranges, refused=paged.refused,
                    )  # fmt: skip
                except ValueError:  # out of the protocol's bounds: the page state still goes
                    _log.warning("self-compaction report out of bounds: not sent")
            self._send(
                control.WindowState(
                    visible=visible, page=page, audible=audible, input=input_, compaction=claim
                )
            )

        def show() -> None:  # the GUI thread
            from superapp.runtime.engine._lifecycle import PageLifecycle

            page = engine.show_app(spec, shim, relay, self.app.title)
            self._engine, self._page = engine, page
            frozen = self.dual.set_frozen if self.dual is not None else None
            self.lifecycle = PageLifecycle(engine.window.native, page, report, frozen)
            if self.dev_options is not None:
                self._start_dev(page)

        engine.gui.call(show)
        threading.Thread(target=self._metrics_loop, name="metrics", daemon=True).start()

    def close(self) -> None:
        """After the GUI loop: pending audit summaries, the app's store."""
        self._stop.set()
        for close in getattr(self, "_closers", ()):
            close()

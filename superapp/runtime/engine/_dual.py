"""Dual mode on Qt WebEngine: the view page without the door, the hidden logic page whose
dedicated worker holds it, and the message link between them (docs/adr/0013-dual-mode-contexts.md).

``_qt.install`` asks ``WindowSpec.dual`` (a :class:`DualMode`) at three points: which scheme
handler serves ``app://`` (app files with the view's CSP, the host's logic documents under
``__superapp/``), which page class the view is (:class:`ViewPage`: it may not navigate to the
host's documents), and what goes into the view instead of the callNative shim and relay (the
message shim and a channel whose one object is the view's :class:`MessageLink`). After the
view is set up, :meth:`DualMode.start_logic` builds the hidden page on the same profile (so
the same interceptor, downloads and settings), with the native bridge and the logic's link on
its channel, and loads ``__superapp/logic.html``.

Messages go view → ``MessageLink.post`` → :meth:`DualMode.route` (``_dual.open_envelope``:
size, JSON, shape; refusals audited as ``dual.message_refused``) → the other side's
``deliver`` signal. Either page's renderer ending abnormally calls ``on_crash``: the runtime
ends the app with the reason shown (both contexts stop together).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineUrlRequestJob,
)

from superapp.core.errors import BridgeError, RateLimitedError
from superapp.runtime import _dual
from superapp.runtime._cspreport import ViolationReporter
from superapp.runtime.engine._qt import AppPage, WindowSpec, _qrc_text, _script
from superapp.runtime.engine._scheme import AppSchemeHandler
from superapp.runtime.engine._transport import NativeBridge

if TYPE_CHECKING:
    from superapp.runtime._guard import RequestGuard

__all__ = ["DualMode", "MessageLink", "ViewPage"]

_log = logging.getLogger(__name__)
_ABNORMAL = {
    QWebEnginePage.RenderProcessTerminationStatus.AbnormalTerminationStatus: "ended abnormally",
    QWebEnginePage.RenderProcessTerminationStatus.CrashedTerminationStatus: "crashed",
    QWebEnginePage.RenderProcessTerminationStatus.KilledTerminationStatus: "was killed",
}


class MessageLink(QObject):
    """One side's end of the message link: the only object on the view's channel.

    ``post`` (from the page) hands text to the router; ``deliver`` (to the page) carries a
    message from the other side, held until the page's relay says it is ``ready``; ``ack``
    answers the sender's ``post``. No slot here reaches the dispatcher."""

    deliver = Signal(str)
    ack = Signal(str)

    def __init__(self, side: str, limits: _dual.DualLimits) -> None:
        super().__init__()
        self.side = side
        self.on_post: Callable[[MessageLink, str], None] = lambda link, text: None
        self.on_violation: Callable[[str, str], None] = lambda directive, blocked: None
        self._limits = limits
        self._ready = False
        self._held: deque[str] = deque()

    @Slot(str)
    def post(self, text: str) -> None:
        self.on_post(self, text)

    @Slot()
    def ready(self) -> None:
        self._ready = True
        while self._held:
            self.deliver.emit(self._held.popleft())

    @Slot(str)
    def violation(self, report: str) -> None:
        try:
            data = json.loads(report)
            directive = str(data.get("directive", ""))[:64]
            blocked = str(data.get("blocked", ""))[:2048]
        except (ValueError, AttributeError):
            return
        self.on_violation(directive, blocked)

    def send(self, text: str) -> bool:
        """Deliver now, or hold until the page is ready; False when too many are held."""
        if self._ready:
            self.deliver.emit(text)
            return True
        if len(self._held) >= self._limits.max_queued:
            return False
        self._held.append(text)
        return True


class ViewPage(AppPage):
    """The view: an ``AppPage`` that also refuses to navigate to the host's documents."""

    def acceptNavigationRequest(
        self, url: QUrl | str, nav_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        url = QUrl(url) if isinstance(url, str) else url
        path = url.path().lstrip("/")
        if self._spec.is_own(url) and path.startswith(_dual.RESERVED_PREFIX):
            self._spec.guard.blocked(
                "nav.blocked", url.toString()[:2048], "dual-logic",
                "the view cannot open the app's logic context",
            )  # fmt: skip
            return False
        return super().acceptNavigationRequest(url, nav_type, is_main_frame)


class DualSchemeHandler(AppSchemeHandler):
    """App files with the view's headers; the host's logic documents under ``__superapp/``
    (never the bundle's files there) with the logic's CSP."""

    def __init__(self, spec: WindowSpec, dual: DualMode) -> None:
        headers = {k: [v] for k, v in _view_headers().items()}
        super().__init__(
            spec.app_id, spec.source, spec.entry_page, lambda name, data: (data, headers),
            lambda url, rule: spec.guard.blocked("net.blocked", url, rule, "another app's origin"),
        )  # fmt: skip
        self._app = spec.app_id
        self._dual = dual

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        path = url.path(QUrl.ComponentFormattingOption.FullyDecoded).lstrip("/")
        if url.host() != self._app or not path.startswith(_dual.RESERVED_PREFIX):
            super().requestStarted(job)
            return
        if bytes(job.requestMethod().data()) not in (b"GET", b"HEAD"):
            job.fail(QWebEngineUrlRequestJob.Error.RequestDenied)
            return
        found = _dual.reserved_document(
            path, logic_host_js=self._dual.logic_host_js, worker_js=self._dual.worker_js
        )
        if found is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        body, ctype, csp = found
        headers = dict(_view_headers(), **{"Content-Security-Policy": csp})
        buf = QBuffer(job)
        buf.setData(QByteArray(body))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        # PySide maps QMultiMap<QByteArray, QByteArray> from a dict of lists.
        multimap: Any = {
            QByteArray(k.encode()): [QByteArray(v.encode())] for k, v in headers.items()
        }
        job.setAdditionalResponseHeaders(multimap)
        job.reply(ctype.encode(), buf)


def _view_headers() -> dict[str, str]:
    from superapp.runtime._csp import response_headers

    headers = response_headers()
    headers["Content-Security-Policy"] = _dual.view_csp()
    return headers


class DualMode:
    """Everything dual mode adds to one window; built by the runtime, driven by ``install``."""

    def __init__(
        self,
        *,
        logic_scripts: tuple[str, ...],
        view_shim_js: str,
        view_relay_js: str,
        logic_relay_js: str,
        logic_host_js: str,
        worker_shim_js: str,
        on_crash: Callable[[str, str], None],
        limits: _dual.DualLimits = _dual.DEFAULT_DUAL_LIMITS,
    ) -> None:
        self.view_shim_js = view_shim_js
        self.view_relay_js = view_relay_js
        self.logic_relay_js = logic_relay_js
        self.logic_host_js = logic_host_js
        self.worker_js = _dual.logic_worker_source(worker_shim_js, logic_scripts)
        self.on_crash = on_crash
        self.limits = limits
        self.rate = _dual.MessageRate(limits)
        self.view_link = MessageLink("view", limits)
        self.logic_link = MessageLink("logic", limits)
        self.view_link.on_post = self.route
        self.logic_link.on_post = self.route
        self.view: QWebEnginePage | None = None
        self.logic: QWebEnginePage | None = None
        self._guard: RequestGuard | None = None
        self._origin = ""

    # --- install's hooks ----------------------------------------------------------------
    def scheme_handler(self, spec: WindowSpec) -> AppSchemeHandler:
        self._guard = spec.guard
        self._origin = spec.origin
        return DualSchemeHandler(spec, self)

    def view_page(self, profile: QWebEngineProfile, parent: Any, spec: WindowSpec) -> AppPage:
        page = ViewPage(profile, parent, spec)
        self.view = page
        self._watch(page, "view")
        return page

    def install_view(self, page: QWebEnginePage, spec: WindowSpec) -> list[object]:
        """The message shim (main world) and relay (isolated world); the view's channel holds
        the view's link and nothing else."""
        world = QWebEngineScript.ScriptWorldId.ApplicationWorld
        relay = self.view_relay_js.replace("__SUPERAPP_ORIGIN__", json.dumps(spec.origin))
        page.scripts().insert(
            _script(
                "superapp-view-relay",
                _qrc_text(":/qtwebchannel/qwebchannel.js") + "\n" + relay,
                world,
            )
        )
        page.scripts().insert(
            _script(
                "superapp-view-shim", self.view_shim_js, QWebEngineScript.ScriptWorldId.MainWorld
            )
        )
        self.view_link.on_violation = lambda directive, blocked: _csp_refused(
            spec, directive, blocked
        )
        channel = QWebChannel(page)
        channel.registerObject("superappView", self.view_link)
        page.setWebChannel(channel, world)
        return [channel, self.view_link]

    def start_logic(self, profile: QWebEngineProfile, parent: Any, spec: WindowSpec) -> AppPage:
        """The hidden logic page, on the view's profile: same interceptor, same settings."""
        logic_url = QUrl(f"{spec.origin}/{_dual.LOGIC_PAGE}")
        logic_spec = dataclasses.replace(
            spec, entry_page=_dual.LOGIC_PAGE, on_loaded=lambda url, pid: None, keep=spec.keep
        )
        page = AppPage(profile, parent, logic_spec)
        self.logic = page
        self._watch(page, "logic")
        world = QWebEngineScript.ScriptWorldId.ApplicationWorld
        relay = self.logic_relay_js.replace("__SUPERAPP_ORIGIN__", json.dumps(spec.origin))
        page.scripts().insert(
            _script(
                "superapp-logic-relay",
                _qrc_text(":/qtwebchannel/qwebchannel.js") + "\n" + relay,
                world,
            )
        )
        bridge = NativeBridge(
            spec.dispatch,
            # The door answers the hidden logic page only, at its one URL.
            lambda: page.url() == logic_url,
            lambda raw: spec.guard.blocked(
                "bridge.denied",
                page.url().toString(),
                "origin",
                "call from outside the logic context",
            ),
            # The worker's refusals arrive as {directive, blocked}, like the relay's reports.
            ViolationReporter(spec.origin, spec.guard.blocked),
            lambda: spec.guard.allowed("bridge.calls.all"),
        )
        channel = QWebChannel(page)
        channel.registerObject("superapp", bridge)
        channel.registerObject("superappLink", self.logic_link)
        page.setWebChannel(channel, world)
        # A page with no view counts as hidden, and the engine throttles hidden pages; the
        # logic is the app's main thread, so it is shown (it draws nothing).
        page.setVisible(True)
        spec.keep.extend([page, bridge, channel, self.logic_link])
        page.load(logic_url)
        return page

    # --- lifecycle ----------------------------------------------------------------------
    def _watch(self, page: QWebEnginePage, which: str) -> None:
        def terminated(status: QWebEnginePage.RenderProcessTerminationStatus, code: int) -> None:
            what = _ABNORMAL.get(status)
            if what is not None:
                self.on_crash(which, f"the app's {which} context {what} (exit code {code})")

        page.renderProcessTerminated.connect(terminated)

    def set_frozen(self, frozen: bool) -> None:
        """Freeze or wake the logic with the view (``PageLifecycle``: the view is frozen or
        discarded, then resumed). The logic is only ever frozen, never discarded: it holds the
        app's state, and a discarded logic would come back empty. Freezing the page freezes
        its worker too. The engine freezes hidden pages only, and the logic is kept shown so
        it is not throttled (``start_logic``): hidden to freeze, shown again once awake."""
        page = self.logic
        if page is None:
            return
        state = QWebEnginePage.LifecycleState
        if frozen:
            page.setVisible(False)
            page.setLifecycleState(state.Frozen)
        else:
            page.setLifecycleState(state.Active)
            page.setVisible(True)

    # --- the messages -------------------------------------------------------------------
    def route(self, sender: MessageLink, text: str) -> None:
        """One message from ``sender``'s page to the other side, checked on the way."""
        target = self.logic_link if sender is self.view_link else self.view_link
        direction = f"{sender.side}->{target.side}"
        try:
            # The bucket first, so a flood of bad messages meets the limiter too.
            self.rate.take(sender.side)
            msg_id, data = _dual.open_envelope(text, self.limits)
            if not target.send(data):
                raise RateLimitedError(f"the app's {target.side} is not ready for more messages")
        except BridgeError as err:
            self._refused(sender, text, err, direction)
            return
        if self._guard is not None:
            self._guard.allowed("dual.messages")
            # Budgets count both contexts: a message is traffic through the runtime like a call.
            self._guard.allowed("bridge.calls.all")
        sender.ack.emit(json.dumps({"id": msg_id, "ok": True}))

    def _refused(self, sender: MessageLink, text: str, err: BridgeError, direction: str) -> None:
        page = self.view if sender is self.view_link else self.logic
        where = page.url().toString()[:2048] if page is not None else self._origin
        if self._guard is not None:
            self._guard.blocked(
                "dual.message_refused", where, err.code, err.message,
                direction=direction,
            )  # fmt: skip
        sender.ack.emit(
            json.dumps(
                {
                    "id": _dual.envelope_id(text),
                    "ok": False,
                    "error": {"code": err.code, "message": err.message},
                }
            )
        )


def _csp_refused(spec: WindowSpec, directive: str, blocked: str) -> None:
    spec.guard.blocked(
        "net.blocked",
        blocked or "(inline)",
        f"csp-{directive}" if directive else "csp",
        "refused by the app's Content-Security-Policy",
        kind="csp",
    )

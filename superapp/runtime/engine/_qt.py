"""Assembles one mini-app window on pywebview's Qt backend, locked down (DESIGN §5–§7).

pywebview creates the window (``create_window(url=None, html=' ')``, so it starts no file
server). In ``before_show``, which pywebview runs synchronously on the GUI thread before the
window is shown and before anything has loaded, we replace its page with ``AppPage`` on the
app's own profile:

- the ``app://`` scheme handler serving the verified files, with CSP on every response;
- a request interceptor asking the network policy about every request the engine makes;
- navigation, popup, download, permission and full-screen hooks that refuse by default;
- our QWebChannel in an isolated world with one object (``superapp``) and no other.
- no native UI for the page: dialogs and file pickers refused (told in host chrome, ``_chrome``),
  clipboard writes without ``clipboard:write`` undone (``_clipguard``), and the top document
  brought back to the app's page when the engine navigates it without asking.

pywebview's own page, with its ``external`` bridge object, its ``loadFinished`` hook that
injects ``window.pywebview``, and its popup handler that opens the system browser, is
disconnected and deleted before it can load anything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from PySide6.QtCore import QFile, QIODevice, QTimer, QUrl
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (
    QWebEngineDownloadRequest,
    QWebEnginePage,
    QWebEnginePermission,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)

from superapp.runtime._cspreport import ViolationReporter
from superapp.runtime._guard import RequestGuard
from superapp.runtime._page import PageResponder
from superapp.runtime._source import AppSource
from superapp.runtime.engine._scheme import AppSchemeHandler
from superapp.runtime.engine._transport import NativeBridge

__all__ = ["AppPage", "NetPolicy", "RequestDecision", "WindowSpec", "install"]

_log = logging.getLogger(__name__)
RT = QWebEngineUrlRequestInfo.ResourceType
PT = QWebEnginePermission.PermissionType

#: The engine's resource types, named for the policy.
_KINDS: dict[Any, str] = {
    RT.ResourceTypeMainFrame: "navigation",
    RT.ResourceTypeNavigationPreloadMainFrame: "navigation",
    RT.ResourceTypeSubFrame: "subframe",
    RT.ResourceTypeNavigationPreloadSubFrame: "subframe",
    RT.ResourceTypeStylesheet: "style",
    RT.ResourceTypeScript: "script",
    RT.ResourceTypeImage: "image",
    RT.ResourceTypeFavicon: "image",
    RT.ResourceTypeFontResource: "font",
    RT.ResourceTypeMedia: "media",
    RT.ResourceTypeXhr: "fetch",
    RT.ResourceTypeJson: "fetch",
    RT.ResourceTypeSubResource: "other",
    RT.ResourceTypeObject: "other",
    RT.ResourceTypePluginResource: "other",
    RT.ResourceTypeCspReport: "beacon",
    RT.ResourceTypePing: "beacon",
    RT.ResourceTypeWorker: "worker",
    RT.ResourceTypeSharedWorker: "worker",
    RT.ResourceTypeServiceWorker: "service_worker",
    RT.ResourceTypePrefetch: "prefetch",
    RT.ResourceTypeWebSocket: "websocket",
    RT.ResourceTypeUnknown: "other",
}

#: Web platform permissions and the capability that must be granted for each. Types not
#: listed (screen capture, mouse lock, local fonts, ...) are always denied.
_PERMISSION_CAPS: dict[Any, tuple[str, ...]] = {
    PT.MediaAudioCapture: ("media:microphone",),
    PT.MediaVideoCapture: ("media:camera",),
    PT.MediaAudioVideoCapture: ("media:camera", "media:microphone"),
    PT.Geolocation: ("location:read",),
    PT.Notifications: ("notifications",),
    PT.ClipboardReadWrite: ("clipboard:read",),
}


_ML = QWebEnginePage.JavaScriptConsoleMessageLevel
_LEVELS: dict[Any, str] = {
    _ML.InfoMessageLevel: "info",
    _ML.WarningMessageLevel: "warning",
    _ML.ErrorMessageLevel: "error",
}
_LOCAL_RESOURCE_REFUSED = "Not allowed to load local resource:"
_DATA_NAV_REFUSED = "Not allowed to navigate top frame to data URL:"
#: Qt routes beforeunload ("leave this page?") through javaScriptConfirm with this text.
_UNLOAD_TEXT = "Are you sure you want to leave this page?"
#: After the top document left the app's pages, how often and how far apart the page checks
#: that it is back (a bounded number, so a page that keeps leaving cannot loop us forever).
_RETURN_CHECKS = 10
_RETURN_CHECK_MS = 300


class RequestDecision(Protocol):
    @property
    def allowed(self) -> bool: ...
    @property
    def rule(self) -> str: ...
    @property
    def reason(self) -> str: ...


class NetPolicy(Protocol):
    def decide(self, url: str, *, kind: str, top_level: bool) -> RequestDecision: ...


@dataclass
class WindowSpec:
    app_id: str
    title: str
    entry_page: str
    source: AppSource
    policy: NetPolicy
    guard: RequestGuard
    dispatch: Callable[[str], str]
    is_granted: Callable[[str], bool]
    allowed_hosts: tuple[str, ...] = ()
    http_hosts: tuple[str, ...] = ()
    on_loaded: Callable[[str, int | None], None] = lambda url, pid: None
    #: Developer mode: (level "info"/"warning"/"error", message, line, source URL).
    on_console: Callable[[str, str, int, str], None] | None = None
    #: Each CSP refusal the relay reports; None: audited by a ``ViolationReporter``.
    on_violation: Callable[[Any], None] | None = None
    #: Builds each app:// response (import map, nonce); None: the files as they are.
    responder: PageResponder | None = None
    #: manifest ``superapp.engine_storage``: the profile must match it (checked in install)
    engine_storage: str = "memory"
    #: Tells the user something in host chrome outside the web view (``_chrome.HostStrip``).
    on_notice: Callable[[str], None] = lambda text: None
    #: The app's name as verified (manifest of the verified bundle), for the user's notices.
    name: str = ""
    #: Receives the window's clipboard guard once it exists (see ``_clipguard``).
    on_clipboard_guard: Callable[[Any], None] = lambda guard: None
    keep: list[object] = field(default_factory=list)  # Qt objects that must stay alive
    #: Dual mode (``engine._dual.DualMode``): the view gets no door; a hidden page holds it.
    dual: Any = None
    #: Where the page opens instead of the entry page (path?query#fragment inside the app,
    #: checked): a discarded app's page, restored (ADR 0014).
    start_path: str = ""

    @property
    def origin(self) -> str:
        return f"app://{self.app_id}"

    def is_own(self, url: QUrl) -> bool:
        return url.scheme() == "app" and url.host() == self.app_id


class _Interceptor(QWebEngineUrlRequestInterceptor):
    def __init__(self, spec: WindowSpec) -> None:
        super().__init__()
        self._spec = spec

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl().toString()
        kind = _KINDS.get(info.resourceType(), "other")
        top = info.resourceType() == RT.ResourceTypeMainFrame
        if info.isDownload():
            info.block(True)
            self._spec.guard.blocked(
                "net.blocked", url, "download", "downloads are refused", kind="download"
            )
            return
        if kind == "subframe" and self._spec.is_own(info.requestUrl()):
            # A frame of the app's own origin would be same-origin with the top document and
            # could call its callNative: refused here (and by CSP frame-ancestors 'none').
            info.block(True)
            self._spec.guard.blocked(
                "net.blocked",
                url,
                "own-subframe",
                "the app's own pages cannot be framed",
                kind=kind,
            )
            return
        verdict = self._spec.policy.decide(url, kind=kind, top_level=top)
        if verdict.allowed:
            self._spec.guard.allowed("net.allowed")
            return
        info.block(True)
        self._spec.guard.blocked("net.blocked", url, verdict.rule, verdict.reason, kind=kind)


class AppPage(QWebEnginePage):
    def __init__(self, profile: QWebEngineProfile, parent: Any, spec: WindowSpec) -> None:
        super().__init__(profile, parent)
        self._spec = spec
        self.permissionRequested.connect(self._on_permission)
        self.fullScreenRequested.connect(lambda req: req.reject())
        self.fileSystemAccessRequested.connect(lambda req: req.reject())
        self.desktopMediaRequested.connect(lambda req: req.cancel())
        self.registerProtocolHandlerRequested.connect(lambda req: req.reject())
        self.webAuthUxRequested.connect(lambda req: req.cancel())
        self._last_own = QUrl(f"{spec.origin}/{spec.entry_page}")
        self._return_checks = 0
        self.urlChanged.connect(self._on_url_changed)
        self.loadFinished.connect(self._return_to_app)

    def bind_to(self, spec: WindowSpec) -> None:
        """A page prepared while warm (``_prewarm``, bound to a spec that refuses everything)
        becomes the app's, before it has loaded anything or started a renderer (scripts and
        channel must be on a page before its first frame exists)."""
        if not self.url().isEmpty() or self.renderProcessPid():
            raise RuntimeError("a prepared page must not have loaded anything")
        self._spec = spec
        self._last_own = QUrl(f"{spec.origin}/{spec.entry_page}")

    def acceptNavigationRequest(
        self, url: QUrl | str, nav_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        url = QUrl(url) if isinstance(url, str) else url
        if not is_main_frame:
            return True  # sub-frames are judged by the interceptor like any other request
        if self._spec.is_own(url):
            return True
        text = url.toString()
        verdict = self._spec.policy.decide(text, kind="navigation", top_level=True)
        rule = verdict.rule if not verdict.allowed else "leaves-app"
        # Even an allowlisted host is not a place the app's window may go: allowlisted hosts
        # are for fetch/XHR and sub-resources; the window stays on the app's own pages.
        self._spec.guard.blocked(
            "nav.blocked", text, rule, "top-level navigation away from the app is refused"
        )
        return False

    # Returning None refuses the window; PySide's stub does not allow for it.
    def createWindow(  # type: ignore[override]
        self, _type: QWebEnginePage.WebWindowType
    ) -> QWebEnginePage | None:
        self._spec.guard.blocked(
            "nav.popup_blocked",
            self.url().toString(),
            "popup",
            "popups and new windows are refused",
        )
        return None

    def javaScriptConsoleMessage(
        self,
        level: QWebEnginePage.JavaScriptConsoleMessageLevel,
        message: str,
        line: int,
        source: str,
    ) -> None:
        # The engine refuses file:// loads inside the renderer and says so only here; turn
        # that into an audit entry. (A page can print the same text, which only adds entries
        # under its own name, folded like any other repeat.)
        if message.startswith(_LOCAL_RESOURCE_REFUSED):
            url = message.removeprefix(_LOCAL_RESOURCE_REFUSED).strip()[:2048]
            scheme = QUrl(url).scheme() or "file"
            what = "local files" if scheme == "file" else "engine-internal pages"
            self._spec.guard.blocked("net.blocked", url, f"scheme-{scheme}", f"{what} are refused")
        elif message.startswith(_DATA_NAV_REFUSED):
            url = message.removeprefix(_DATA_NAV_REFUSED).strip()[:2048]
            reason = "top-level navigation away from the app is refused"
            self._spec.guard.blocked("nav.blocked", url, "scheme-data", reason)
        if self._spec.on_console is not None:
            self._spec.on_console(_LEVELS.get(level, "info"), message, line, source)

    # --- native UI the page asks for (issue 12, class 5) ---------------------------------
    # The engine's defaults draw host-looking message boxes and file dialogs with the page's
    # text, which a page could use to imitate the host (its consent prompt included). None is
    # shown: the call gets "no" (alert returns, confirm false, prompt null, the picker no
    # file), the attempt is audited, and the user is told in host chrome above the web view.
    def javaScriptAlert(self, securityOrigin: QUrl | str, msg: str) -> None:
        self._refuse_dialog("alert")

    def javaScriptConfirm(self, securityOrigin: QUrl | str, msg: str) -> bool:
        self._refuse_dialog("beforeunload" if msg.startswith(_UNLOAD_TEXT) else "confirm")
        return False

    def javaScriptPrompt(
        self, securityOrigin: QUrl | str, msg: str, defaultValue: str
    ) -> tuple[bool, str]:
        self._refuse_dialog("prompt")
        return False, ""

    def chooseFiles(
        self,
        mode: QWebEnginePage.FileSelectionMode,
        oldFiles: Sequence[str],
        acceptedMimeTypes: Sequence[str],
    ) -> list[str]:
        # No capability lets an app open the system's file picker: apps keep their files in
        # their own namespace (the ``files`` capability), and the user's files stay out of it.
        self._spec.guard.blocked(
            "page.file_picker_refused",
            self.url().toString(),
            "native-ui",
            "apps cannot open the system's file picker",
            kind=mode.name,
        )
        self._spec.on_notice(
            f"{self._spec.name} tried to open a file picker. Apps cannot see your files; "
            "the request was refused."
        )
        return []

    def _refuse_dialog(self, kind: str) -> None:
        self._spec.guard.blocked(
            "page.dialog_refused",
            self.url().toString(),
            "native-ui",
            "apps cannot open dialogs of their own",
            kind=kind,
        )
        self._spec.on_notice(
            f"{self._spec.name} tried to show a dialog ({kind}). Apps cannot open windows "
            "of their own; it was not shown."
        )

    # --- the top document stays on the app's pages ------------------------------------
    def _on_url_changed(self, url: QUrl) -> None:
        """Navigations the engine commits without asking ``acceptNavigationRequest`` (about:
        pages, and internal pages the engine itself replaces with ``about:blank#blocked``)
        end here: audited, and the window goes back to the app's page it was on."""
        if url.isEmpty():
            return
        if self._spec.is_own(url):
            self._last_own = url
            return
        self._spec.guard.blocked(
            "nav.blocked",
            url.toString()[:2048],
            "engine-internal",
            "top-level navigation away from the app is refused",
        )
        # Not from inside the signal: the engine may still be committing the navigation.
        # Checked again when loads finish and a few times after, in case the engine commits
        # its replacement page after our load started.
        self._return_checks = _RETURN_CHECKS
        QTimer.singleShot(0, self._return_to_app)

    def _return_to_app(self, _ok: bool = True) -> None:
        if self.url().isEmpty() or self._spec.is_own(self.url()):
            return
        self.load(self._last_own)
        if self._return_checks > 0:
            self._return_checks -= 1
            QTimer.singleShot(_RETURN_CHECK_MS, self._return_to_app)

    def _on_permission(self, permission: QWebEnginePermission) -> None:
        ptype = permission.permissionType()
        caps = _PERMISSION_CAPS.get(ptype)
        if caps and all(self._spec.is_granted(cap) for cap in caps):
            permission.grant()
            return
        permission.deny()
        needed = "capability " + ", ".join(caps) if caps else "a capability no app can hold"
        self._spec.guard.blocked(
            "permission.denied",
            permission.origin().toString(),
            "web-permission",
            f"web permission {ptype.name} needs {needed}",
            permission=ptype.name,
        )


def _qrc_text(path: str) -> str:
    f = QFile(path)
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError(f"missing Qt resource {path}")
    try:
        return bytes(f.readAll().data()).decode("utf-8")
    finally:
        f.close()


def _script(name: str, source: str, world: int) -> QWebEngineScript:
    script = QWebEngineScript()
    script.setName(name)
    script.setSourceCode(source)
    script.setWorldId(world)
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    # Only the top-level document gets the door (DESIGN §6.2).
    script.setRunsOnSubFrames(False)
    return script


_LOCKED_SETTINGS = {
    # On, so that every window.open / target=_blank reaches createWindow, which refuses it and
    # writes the audit entry; off, the engine would drop some of them silently.
    QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows: True,
    QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard: False,
    QWebEngineSettings.WebAttribute.JavascriptCanPaste: False,
    QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls: False,
    QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls: False,
    QWebEngineSettings.WebAttribute.PluginsEnabled: False,
    QWebEngineSettings.WebAttribute.PdfViewerEnabled: False,
    QWebEngineSettings.WebAttribute.ScreenCaptureEnabled: False,
    QWebEngineSettings.WebAttribute.AllowRunningInsecureContent: False,
    QWebEngineSettings.WebAttribute.AllowGeolocationOnInsecureOrigins: False,
    QWebEngineSettings.WebAttribute.AllowWindowActivationFromJavaScript: False,
    QWebEngineSettings.WebAttribute.NavigateOnDropEnabled: False,
    QWebEngineSettings.WebAttribute.DnsPrefetchEnabled: False,
    QWebEngineSettings.WebAttribute.HyperlinkAuditingEnabled: False,
    QWebEngineSettings.WebAttribute.FullScreenSupportEnabled: False,
    QWebEngineSettings.WebAttribute.ErrorPageEnabled: False,
    QWebEngineSettings.WebAttribute.LocalStorageEnabled: True,
}


def _check_engine_storage(profile: QWebEngineProfile, mode: str) -> None:
    """Fail closed if the profile keeps web storage anywhere the manifest did not ask for.

    ``memory``: the profile must be off the record (nothing of the page's storage on disk).
    ``persistent``: web storage stays on disk in the app's profile, but the HTTP cache is
    kept in memory: responses from allowlisted hosts are not the app's to keep in the clear.
    """
    if mode == "persistent":
        profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    elif not profile.isOffTheRecord():
        raise RuntimeError("engine profile is on disk but the app's engine storage is memory")


def harden_profile(profile: QWebEngineProfile) -> None:
    """What every app's profile gets whatever the app (also while warm, ``_prewarm``)."""
    profile.setPersistentPermissionsPolicy(
        QWebEngineProfile.PersistentPermissionsPolicy.AskEveryTime
    )
    for attr, value in _LOCKED_SETTINGS.items():
        profile.settings().setAttribute(attr, value)


def install(
    browser_view: Any, spec: WindowSpec, shim_js: str, relay_js: str,
    prepared: AppPage | None = None,
) -> AppPage:  # fmt: skip
    """Replace pywebview's page in ``browser_view`` with a locked-down ``AppPage``:
    ``prepared`` (made while warm on this profile, ``_prewarm``) or a new one."""
    profile: QWebEngineProfile = browser_view.profile
    _check_engine_storage(profile, spec.engine_storage)
    old_page = browser_view.webview.page()
    # pywebview's page has been told to load a blank document; stop it before our guards
    # go up so that load neither runs pywebview's hooks nor shows up in the audit log.
    old_page.triggerAction(QWebEnginePage.WebAction.Stop)
    try:
        old_page.loadFinished.disconnect()
    except (RuntimeError, TypeError):
        pass
    harden_profile(profile)
    interceptor = _Interceptor(spec)
    profile.setUrlRequestInterceptor(interceptor)
    responder = spec.responder or PageResponder(
        spec.origin, spec.source, None, spec.allowed_hosts, spec.http_hosts
    )
    handler = spec.dual.scheme_handler(spec) if spec.dual is not None else AppSchemeHandler(
        spec.app_id,
        spec.source,
        spec.entry_page,
        responder.respond,
        lambda url, rule: spec.guard.blocked("net.blocked", url, rule, "another app's origin"),
    )  # fmt: skip
    profile.installUrlSchemeHandler(b"app", handler)

    def refuse_download(download: QWebEngineDownloadRequest) -> None:
        spec.guard.blocked(
            "net.blocked", download.url().toString(), "download", "downloads are refused"
        )
        download.cancel()

    profile.downloadRequested.connect(refuse_download)
    if prepared is not None and spec.dual is None:
        if prepared.profile() is not profile:
            raise RuntimeError("the prepared page is not on the app's profile")
        page: AppPage = prepared
        page.bind_to(spec)
    else:
        if prepared is not None:  # dual mode's view is a page of its own class
            prepared.deleteLater()
        page_class = spec.dual.view_page if spec.dual is not None else AppPage
        page = page_class(profile, browser_view.webview, spec)
    world = QWebEngineScript.ScriptWorldId.ApplicationWorld
    relay = relay_js.replace("__SUPERAPP_ORIGIN__", '"' + spec.origin + '"')
    if spec.dual is None:  # a dual-mode view gets no shim, relay or bridge: a message link only
        page.scripts().insert(
            _script(
                "superapp-relay", _qrc_text(":/qtwebchannel/qwebchannel.js") + "\n" + relay, world
            )
        )
        page.scripts().insert(
            _script("superapp-shim", shim_js, QWebEngineScript.ScriptWorldId.MainWorld)
        )

    def origin_ok() -> bool:
        return spec.is_own(page.url())

    bridge = (
        None
        if spec.dual is not None  # the view holds no door at all (docs/dual.md)
        else NativeBridge(
            spec.dispatch,
            origin_ok,
            lambda raw: spec.guard.blocked(
                "bridge.denied",
                page.url().toString(),
                "origin",
                "call from outside the app's document",
            ),
            spec.on_violation or ViolationReporter(spec.origin, spec.guard.blocked),
            # Counted for the host's monitor (the bridge_calls budget); per-API counts are the
            # dispatcher's business, the monitor needs the rate.
            lambda: spec.guard.allowed("bridge.calls.all"),
        )
    )
    from superapp.runtime.engine._clipguard import ClipboardGuard, install_clipboard_guard

    def clipboard_refused() -> None:
        spec.guard.blocked(
            "clipboard.write_refused",
            page.url().toString(),
            "capability",
            "writing the system clipboard needs capability clipboard:write",
        )
        spec.on_notice(
            f"{spec.name} tried to replace what you copied. It needs permission to write "
            "the clipboard; your clipboard was left as it was."
        )

    clip_guard = ClipboardGuard(lambda: spec.is_granted("clipboard:write"), clipboard_refused)
    install_clipboard_guard(browser_view.webview, page, clip_guard)
    spec.on_clipboard_guard(clip_guard)
    if bridge is not None:
        channel = QWebChannel(page)
        channel.registerObject("superapp", bridge)
        page.setWebChannel(channel, world)
    else:
        channel = None
        spec.keep.extend(spec.dual.install_view(page, spec))

    started = time.monotonic()
    first = [True]

    def loaded(ok: bool) -> None:
        # A navigation the page starts during its own load (and that we refuse) makes Qt
        # report that load as failed although the app's page is showing: what counts is
        # being on the app's own page when the first load settles.
        if first[0] and (ok or spec.is_own(page.url())):
            first[0] = False
            spec.on_loaded(page.url().toString(), page.renderProcessPid() or None)
        _log.debug("load finished ok=%s after %.3fs", ok, time.monotonic() - started)

    page.loadFinished.connect(loaded)
    # pywebview's page never runs its loadFinished hook (which would inject window.pywebview
    # and register its `external` bridge object): disconnected above, deleted here.
    browser_view.webview.setPage(page)
    old_page.deleteLater()
    spec.keep.extend([interceptor, handler, bridge, channel, page, clip_guard])
    if spec.dual is not None:
        spec.dual.start_logic(profile, browser_view.webview, spec)
    page.load(QUrl(f"{spec.origin}/{spec.start_path or spec.entry_page}"))
    return page

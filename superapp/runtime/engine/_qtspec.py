"""What one mini-app window is bound to, and the request interceptor that asks its network
policy about every request the engine makes (split from ``_qt``; see its docstring)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from PySide6.QtCore import QUrl
from PySide6.QtWebEngineCore import QWebEngineUrlRequestInfo, QWebEngineUrlRequestInterceptor

from superapp.runtime._guard import RequestGuard
from superapp.runtime._page import PageResponder
from superapp.runtime._source import AppSource

__all__ = ["NetPolicy", "RequestDecision", "WindowSpec"]

RT = QWebEngineUrlRequestInfo.ResourceType

#: The engine's resource types, named for the policy.
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

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
from typing import Any

from PySide6.QtCore import QFile, QIODevice, QUrl
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (
    QWebEngineDownloadRequest,
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
)

from superapp.runtime._cspreport import ViolationReporter
from superapp.runtime._page import PageResponder
from superapp.runtime.engine._qtpage import AppPage
from superapp.runtime.engine._qtspec import NetPolicy, RequestDecision, WindowSpec, _Interceptor
from superapp.runtime.engine._scheme import AppSchemeHandler
from superapp.runtime.engine._transport import NativeBridge

__all__ = ["AppPage", "NetPolicy", "RequestDecision", "WindowSpec", "install"]

_log = logging.getLogger(__name__)


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

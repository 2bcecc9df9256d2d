"""The ``app://<app_id>/`` scheme: the app's files, served from memory with no TCP port.

No other local process can read an app's files through a port, and every response carries
the app's Content-Security-Policy (defence in depth behind the request interceptor). What a
response says (its body with the import map injected, its headers with a fresh nonce) is
``superapp.runtime._page``'s; this module only moves it into the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from superapp.runtime._source import AppSource, content_type, normalise_path

__all__ = ["SCHEME", "AppSchemeHandler", "register_scheme"]

SCHEME = b"app"


def register_scheme() -> None:
    """Declare ``app:`` to the engine. Must run before the QApplication exists."""
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    # Secure (a secure context, like https) and CORS-enabled (fetch() works against it);
    # not LocalScheme/LocalAccessAllowed: app pages get no access to file:// or qrc:.
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.CorsEnabled
        | QWebEngineUrlScheme.Flag.FetchApiAllowed
    )
    QWebEngineUrlScheme.registerScheme(scheme)


class AppSchemeHandler(QWebEngineUrlSchemeHandler):
    def __init__(
        self,
        app_id: str,
        source: AppSource,
        entry_page: str,
        respond: Callable[[str, bytes], tuple[bytes, Mapping[str, Sequence[str]]]],
        on_refused: Callable[[str, str], None],
    ) -> None:
        super().__init__()
        self._app_id = app_id
        self._source = source
        self._entry = entry_page
        self._respond = respond
        self._on_refused = on_refused

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        if url.host() != self._app_id:
            # Another app's origin: never served from this process (the interceptor refuses it
            # first; this is the second wall).
            self._on_refused(url.toString(), "other-app")
            job.fail(QWebEngineUrlRequestJob.Error.RequestDenied)
            return
        if bytes(job.requestMethod().data()) not in (b"GET", b"HEAD"):
            job.fail(QWebEngineUrlRequestJob.Error.RequestDenied)
            return
        name = normalise_path(url.path(QUrl.ComponentFormattingOption.FullyDecoded), self._entry)
        data = self._source.read(name) if name is not None else None
        if data is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        body, headers = self._respond(name or "", data)
        buf = QBuffer(job)
        buf.setData(QByteArray(body))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        # PySide maps QMultiMap<QByteArray, QByteArray> from a dict of lists (two values of
        # one name are two header lines: two policies, both enforced).
        multi = {
            QByteArray(k.encode()): [QByteArray(v.encode()) for v in values]
            for k, values in headers.items()
        }
        job.setAdditionalResponseHeaders(multi)  # type: ignore[arg-type]  # PySide's stub says dict[QByteArray, QByteArray]
        job.reply(content_type(name or "").encode(), buf)

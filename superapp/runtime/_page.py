"""Each ``app://`` response: its body and headers, with the manifest's import map injected.

Without an import map, every response carries the app's one CSP (``_csp``) and the file's
bytes unchanged. With one (``superapp.importmap``), every HTML page also gets, early in its
``<head>`` (after ``<meta charset>``, which must stay in the first 1024 bytes),

    <script type="importmap" nonce="N">{…host-built JSON…}</script>
    <meta http-equiv="Content-Security-Policy" content="script-src-elem 'self'">

and the response's CSP has ``'nonce-N'`` in ``script-src``, ``N`` fresh for every response
(``secrets``; lower-case hex, because Qt WebEngine lowercases the values of a scheme
handler's response headers: measured, a base64 nonce never matched). A page script can read
the nonce back from the element (``el.nonce``); the second policy is why that is no use to
it: a policy set by ``<meta>`` applies from where it stands, so it does not cover the host's
element before it, and refuses every inline script element after it, nonce or not. (A hash
pin, ``'sha256-…'`` in a second header, was the first design; the lowercasing breaks it.)

The map is read from the app's source for every page, so in developer mode an edit is seen on
the next load; it is checked again (``parse_import_map``) and, if it no longer passes, the
page is served without it and the refusal is reported once per problem.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from typing import Final

from superapp.bundles._importmap import parse_import_map
from superapp.core.errors import ManifestError
from superapp.runtime._csp import response_headers
from superapp.runtime._source import AppSource, content_type

__all__ = ["NONCE_BYTES", "PageResponder", "inject_import_map"]

#: Bytes of randomness in a nonce (CSP asks for at least 128 bits).
NONCE_BYTES: Final = 18
_META_CHARSET = re.compile(rb"<meta\s[^>]*charset[^>]*>", re.IGNORECASE)
_HEAD = re.compile(rb"<head(\s[^>]*)?>", re.IGNORECASE)
_DOCTYPE = re.compile(rb"\s*<!doctype[^>]*>", re.IGNORECASE)
_BOM = b"\xef\xbb\xbf"
_LOADER = re.compile(rb"<(script|link)\b", re.IGNORECASE)
#: After the host's import map: no inline script element from here on, whatever its nonce.
_PIN = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"script-src-elem 'self' 'report-sample'\">"
)
#: Where the HTML parser looks for <meta charset>.
_PRESCAN = 1024

Headers = dict[str, list[str]]


def inject_import_map(html: bytes, element: bytes) -> bytes:
    """``html`` with ``element`` placed before anything that could load a module: after
    ``<meta charset>`` if the page has one early and before any ``<script>``/``<link>``, else
    right after ``<head>`` (likewise), else after the doctype, else first. (Text inside a
    comment that looks like ``<head>`` only makes the map not apply: it fails closed, the
    page's modules do not resolve.)"""
    loader = _LOADER.search(html)
    first_loader = loader.start() if loader is not None else len(html)
    for pattern, limit in ((_META_CHARSET, _PRESCAN), (_HEAD, None)):
        match = pattern.search(html, 0, limit if limit is not None else len(html))
        # Not after a script or link: a module fetched before the map would not see it.
        if match is not None and match.start() < first_loader:
            return html[: match.end()] + element + html[match.end() :]
    start = len(_BOM) if html.startswith(_BOM) else 0  # the byte-order mark stays first
    match = _DOCTYPE.match(html, start)
    at = match.end() if match is not None else start
    return html[:at] + element + html[at:]


class PageResponder:
    def __init__(
        self,
        origin: str,
        source: AppSource,
        importmap: str | None,
        allowed_hosts: Sequence[str] = (),
        http_hosts: Sequence[str] = (),
        on_refused: Callable[[str], None] = lambda reason: None,
        token: Callable[[int], str] = secrets.token_hex,
    ) -> None:
        self._origin = origin
        self._source = source
        self._importmap = importmap
        self._hosts = (tuple(allowed_hosts), tuple(http_hosts))
        self._plain = _as_lists(response_headers(*self._hosts))
        self._on_refused = on_refused
        self._token = token
        self._reported: set[str] = set()

    def respond(self, name: str, data: bytes) -> tuple[bytes, Headers]:
        """The body and headers for bundle entry ``name`` whose bytes are ``data``."""
        if self._importmap is None or content_type(name) != "text/html":
            return data, self._plain
        script = self._map_text()
        if script is None:
            return data, self._plain
        nonce = self._token(NONCE_BYTES)
        element = f'<script type="importmap" nonce="{nonce}">{script}</script>{_PIN}'
        headers = _as_lists(response_headers(*self._hosts, nonce=nonce))
        return inject_import_map(data, element.encode("ascii")), headers

    def _map_text(self) -> str | None:
        path = self._importmap or ""
        data = self._source.read(path)
        try:
            if data is None:
                raise ManifestError(f"{path}: no such file")
            return parse_import_map(data, path).render(self._origin)
        except ManifestError as err:
            reason = str(err)
            if reason not in self._reported:  # once per distinct problem, not per page load
                self._reported.add(reason)
                self._on_refused(reason)
            return None


def _as_lists(headers: dict[str, str]) -> Headers:
    return {k: [v] for k, v in headers.items()}

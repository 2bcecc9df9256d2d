"""Splitting a URL the way the browser does, for the schemes the allowlist cares about.

``urllib.parse`` is not a browser URL parser (it keeps ``\\`` as a path character, does not
skip extra slashes, and accepts ``https:host`` without an authority), and a parser that
disagrees with the engine is how allowlists get bypassed. This module follows the WHATWG URL
standard for the "special" schemes (``http https ws wss`` and the host's own ``app``):

1. Leading and trailing C0 controls and spaces are stripped; tabs and newlines anywhere removed.
2. The scheme is ``[A-Za-z][A-Za-z0-9+.-]*`` before the first ``:``, lower-cased.
3. For special schemes any run of ``/`` and ``\\`` after the ``:`` is skipped, and the
   authority runs to the first ``/``, ``\\``, ``?`` or ``#``.
4. An authority with ``@`` carries userinfo: the caller refuses it (no URL with credentials is
   ever allowed, so the question of which ``@`` splits it never arises).
5. ``[v6]`` and ``host:port`` are split; the port is decimal, at most 65535, empty meaning the
   default. The host goes through :func:`normalise_host`.
6. The path and query are kept (``\\`` becomes ``/``); the fragment is dropped.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from superapp.net._host import Host, HostError, normalise_host

__all__ = [
    "DEFAULT_PORTS",
    "SPECIAL_SCHEMES",
    "Authority",
    "parse_authority",
    "split_port",
    "split_scheme",
]

SPECIAL_SCHEMES: Final = frozenset({"http", "https", "ws", "wss", "app"})
DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}

_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_STRIP: Final = "".join(chr(c) for c in range(0x21))
_TAB_NL: Final = str.maketrans("", "", "\t\n\r")
_MAX_URL: Final = 16384
#: Printable ASCII except space and the characters browsers escape in paths.
_ESCAPED: Final = frozenset(' "<>`{}|^\\')
_AUTHORITY_END: Final = re.compile(r"[/\\?#]")
_TARGET_SAFE: Final = "".join(c for c in string.punctuation if c not in '"<>`{}|^\\') + "%"


@dataclass(frozen=True, slots=True)
class Authority:
    """The parts of a special-scheme URL the policy decides on."""

    scheme: str
    host: Host
    #: The port the request goes to: the explicit one, else the scheme's default (None for app).
    port: int | None
    explicit_port: bool
    #: Path and query, ``/`` when empty, fragment removed.
    target: str

    def url(self) -> str:
        """The canonical URL (what is connected to and what is written to the audit log)."""
        port = f":{self.port}" if self.explicit_port else ""
        return f"{self.scheme}://{self.host}{port}{self.target}"


def split_scheme(url: str) -> tuple[str, str]:
    """``(scheme, rest)`` with the scheme lower-cased; ``("", url)`` if there is none.

    Raises:
        HostError: the URL is absurdly long.
    """
    if len(url) > _MAX_URL:
        raise HostError("malformed", "the URL is too long")
    url = url.strip(_STRIP)
    if "\t" in url or "\n" in url or "\r" in url:
        url = url.translate(_TAB_NL)
    colon = url.find(":")
    if colon <= 0 or not _SCHEME_RE.fullmatch(url, 0, colon):
        return "", url
    return url[:colon].lower(), url[colon + 1 :]


def parse_authority(scheme: str, rest: str) -> Authority:
    """Split the part after ``scheme:`` of a special-scheme URL.

    Raises:
        HostError: userinfo (rule ``userinfo``), a bad port, or a host :func:`normalise_host`
            refuses.
    """
    i = 0
    while i < len(rest) and rest[i] in "/\\":
        i += 1
    stop = _AUTHORITY_END.search(rest, i)
    end = stop.start() if stop else len(rest)
    authority, remainder = rest[i:end], rest[end:]
    if "@" in authority:
        raise HostError("userinfo", "URLs with a user name or password are not allowed")
    host_text, port_text = split_port(authority)
    host = normalise_host(host_text)
    default = DEFAULT_PORTS.get(scheme)
    port = default
    explicit = False
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or len(port_text) > 5:
            raise HostError("malformed", f"{port_text!r} is not a valid port")
        port = int(port_text)
        if port > 65535 or (scheme == "app" and port_text):
            raise HostError("malformed", f"{port_text!r} is not a valid port")
        explicit = port != default
    target = remainder.split("#", 1)[0]
    path, sep, query = target.partition("?")
    target = (path.replace("\\", "/") or "/") + sep + query
    if not target.startswith("/"):
        target = "/" + target
    # Percent-encode what may not appear raw in a request line, as the browser does.
    if not (target.isascii() and target.isprintable()) or not _ESCAPED.isdisjoint(target):
        target = quote(target, safe=_TARGET_SAFE)
    return Authority(scheme, host, port, explicit, target)


def split_port(authority: str) -> tuple[str, str]:
    if authority.startswith("["):
        close = authority.find("]")
        if close == -1:
            raise HostError("malformed", "unterminated IPv6 literal")
        host, after = authority[: close + 1], authority[close + 1 :]
        if after and not after.startswith(":"):
            raise HostError("malformed", "junk after the IPv6 literal")
        return host, after[1:]
    host, _, port = authority.partition(":")
    if ":" in port:
        raise HostError("malformed", "the host has more than one ':'")
    return host, port

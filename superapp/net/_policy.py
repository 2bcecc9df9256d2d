"""The per-app allowlist decision shared by every enforcement point (DESIGN §6.3).

The Qt request interceptor, the navigation hooks and ``net.request`` all ask the same
:meth:`NetPolicy.decide`, so there is one answer to "may this app reach this URL".
Decisions are made in this order; the first rule that applies wins:

1. Parse the scheme. No scheme, or an over-long URL → ``malformed``.
2. Schemes that never leave the engine for the network:
   ``about:blank`` → allowed (``about-blank``); any other ``about:`` → ``scheme-about``;
   ``javascript:`` → ``scheme-javascript``; ``file:`` → ``scheme-file``; ``chrome:``,
   ``chrome-extension:``, ``chrome-error:``, ``devtools:``, ``view-source:``, ``qrc:``,
   ``filesystem:`` and the like → ``scheme-<name>``;
   ``data:`` and ``blob:`` → allowed only as a sub-resource (not a navigation, not a frame)
   requested by the app's own document (``inline-subresource``), and a ``blob:`` must carry
   the app's own origin; otherwise ``inline-top-level`` / ``inline-foreign``.
3. ``app:`` → the app's own ``app://<app_id>/`` is allowed (``own-origin``); any other host
   is ``other-app``. Schemes not named here → ``scheme-unknown``.
4. ``http https ws wss``: the authority is parsed and the host normalised (see ``_host``);
   userinfo → ``userinfo``; an unparseable host → ``malformed`` / ``idn-invalid`` /
   ``idn-homograph``. A special-use or local-only name (``localhost``, ``*.local``, … see
   ``_special``) → ``special-use-name``, whatever the entries say.
5. A top-level load to anything but the app's own origin → ``navigation-away``
   (the window never leaves the app, not even for an allowlisted host).
6. The host is looked up among the entries (exact, then each parent domain for wildcards).
   No entry names it → ``ip-literal`` for an address, ``not-allowlisted`` for a name.
   An entry names it but not this port → ``port-not-allowed``; ``http``/``ws`` to an entry
   not in ``allow_http_hosts`` → ``http-not-allowed``. Otherwise → ``allowlist``.
   (Before this lookup, ``superapp dev --allow-local`` origins, a developer-mode runtime's
   only, allow ``http``/``ws`` to exactly that loopback address and port: ``dev-allow-local``.)

Entries (manifest ``superapp.allowed_hosts`` / ``allow_http_hosts``) are ``host``,
``host:port``, ``*.domain`` or ``*.domain:port``; hosts are normalised exactly as URL hosts
are. ``*.example.com`` matches every subdomain at any depth, never ``example.com`` itself. An
entry without a port allows only the scheme's default port. IP addresses must be written in
canonical form and are matched as addresses. No regular expression is built from an entry.
Special-use names are refused as entries (``_special.local_target``, the same function the
manifest validator calls). IP-literal entries exist for operators and tests that build a
policy in Python; a manifest can never hold one (the validator refuses every IP literal).
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from superapp.core.errors import ManifestError
from superapp.net._devlocal import LocalOrigin
from superapp.net._host import Host, HostError, IPAddress, address_class
from superapp.net._special import local_target
from superapp.net._url import DEFAULT_PORTS, parse_authority, split_port, split_scheme

__all__ = ["HostPattern", "NetDecision", "NetPolicy", "RequestKind", "parse_host_entry"]


class RequestKind(enum.StrEnum):
    """What the engine is loading; the interceptor maps Qt's resource types onto these."""

    NAVIGATION = "navigation"
    SUBFRAME = "subframe"
    #: ``fetch()`` and ``XMLHttpRequest``.
    FETCH = "fetch"
    SCRIPT = "script"
    STYLE = "style"
    IMAGE = "image"
    FONT = "font"
    MEDIA = "media"
    WEBSOCKET = "websocket"
    #: ``navigator.sendBeacon`` and ``<a ping>``.
    BEACON = "beacon"
    WORKER = "worker"
    SERVICE_WORKER = "service_worker"
    PREFETCH = "prefetch"
    OTHER = "other"


#: Kinds that create a document; data: and blob: are never allowed for these.
_DOCUMENT_KINDS: Final = frozenset(
    {RequestKind.NAVIGATION, RequestKind.SUBFRAME, RequestKind.SERVICE_WORKER}
)
_NETWORK_SCHEMES: Final = frozenset({"http", "https", "ws", "wss"})
_CLEARTEXT: Final = frozenset({"http", "ws"})
#: Engine-internal schemes, each refused under its own rule id.
_INTERNAL_SCHEMES: Final = frozenset(
    {
        "chrome",
        "chrome-extension",
        "chrome-error",
        "chrome-untrusted",
        "chrome-search",
        "devtools",
        "view-source",
        "qrc",
        "filesystem",
        "intent",
        "jar",
    }
)


@dataclass(frozen=True, slots=True)
class NetDecision:
    """The verdict on one URL. ``rule`` is a stable id (audit logs and tests key on it)."""

    allowed: bool
    rule: str
    reason: str
    #: The canonical URL for network schemes (what ``net.request`` connects to), else None.
    url: str | None = None
    #: The allowlist entry that matched, as written in the manifest.
    entry: str | None = None
    #: True when that entry names the host exactly (not a wildcard).
    exact: bool = False


@dataclass(frozen=True, slots=True)
class HostPattern:
    """One parsed allowlist entry."""

    text: str
    host: Host
    wildcard: bool = False
    port: int | None = None
    http: bool = False

    def allows_port(self, scheme: str, port: int | None) -> bool:
        return port == (self.port if self.port is not None else DEFAULT_PORTS[scheme])


def parse_host_entry(text: str) -> HostPattern:
    """Parse one allowlist entry: ``host``, ``host:port``, ``*.domain[:port]``, ``[v6][:port]``.

    The manifest validator uses this too, so what it accepts is exactly what the policy can
    match.

    Raises:
        ValueError: with a one-line reason naming the problem.
    """
    if not isinstance(text, str) or not text:
        raise ValueError("an allowed host must be a non-empty string")
    if text != text.strip() or any(c in text for c in "/?#@\\ \t"):
        what = "a scheme or path" if ("/" in text or "\\" in text) else "forbidden characters"
        raise ValueError(f"{text!r} is not a host: it has {what}; write only the host name")
    if "%" in text:
        raise ValueError(f"{text!r} is not a host: percent-encoding is not allowed here")
    wildcard = text.startswith("*.")
    body = text[2:] if wildcard else text
    if "*" in body:
        raise ValueError(f"{text!r}: the only wildcard form is a leading '*.' (*.example.com)")
    try:
        auth = parse_authority("https", "//" + body)
    except HostError as exc:
        raise ValueError(f"{text!r} is not a valid host: {exc.reason}") from None
    if auth.target != "/":
        raise ValueError(f"{text!r} is not a host: write only the host name")
    host = auth.host
    if host.ip is not None:
        _check_ip_entry(text, body, host, wildcard)
    else:
        special = local_target(host)
        if special is not None:
            raise ValueError(f"{text!r}: {special[1]}")
        if wildcard and host.name.count(".") < 1:
            raise ValueError(f"{text!r}: a wildcard needs a registrable domain (*.example.com)")
    port = auth.port if split_port(body)[1] else None
    return HostPattern(text=text, host=host, wildcard=wildcard, port=port)


def _check_ip_entry(text: str, body: str, host: Host, wildcard: bool) -> None:
    if wildcard:
        raise ValueError(f"{text!r}: an IP address cannot have a wildcard")
    assert host.ip is not None  # noqa: S101 - narrowed by the caller
    written = body.rsplit(":", 1)[0] if not body.startswith("[") else body.split("]")[0] + "]"
    if isinstance(host.ip, ipaddress.IPv4Address) and written != host.name:
        raise ValueError(f"{text!r}: write the IP address in canonical form ({host.name})")
    if address_class(host.ip) == "forbidden":
        raise ValueError(f"{text!r}: {host.name} is not an address a mini-app may reach")


@dataclass(frozen=True)
class NetPolicy:
    """An app's network allowlist. Build it with :meth:`from_manifest`; it never changes."""

    app_id: str
    entries: tuple[HostPattern, ...] = ()
    _exact: Mapping[str, tuple[HostPattern, ...]] = field(default_factory=dict, repr=False)
    _wild: Mapping[str, tuple[HostPattern, ...]] = field(default_factory=dict, repr=False)
    #: ``superapp dev --allow-local`` only (``_devlocal``): loopback http origins this
    #: developer-mode app may reach. Never built from a manifest.
    dev_local: frozenset[LocalOrigin] = frozenset()

    def with_dev_local(self, origins: Sequence[LocalOrigin]) -> NetPolicy:
        """This policy plus ``--allow-local`` origins (the developer-mode runtime only)."""
        return replace(self, dev_local=frozenset(origins))

    def allows_dev_local(self, ip: IPAddress | None, port: int | None) -> bool:
        return ip is not None and (ip, port) in self.dev_local

    @classmethod
    def from_manifest(
        cls,
        app_id: str,
        allowed_hosts: Sequence[str],
        allow_http_hosts: Sequence[str] = (),
    ) -> NetPolicy:
        """The policy for ``app_id`` from its manifest's ``superapp`` lists.

        A host in ``allow_http_hosts`` may be reached over ``http``/``ws`` as well as
        ``https``/``wss``; it need not be repeated in ``allowed_hosts``.

        Raises:
            ManifestError: an entry is not a valid host, naming the field and index.
        """
        http_texts = set(allow_http_hosts)
        patterns: list[HostPattern] = []
        for name, texts in (
            ("allowed_hosts", allowed_hosts),
            ("allow_http_hosts", allow_http_hosts),
        ):
            if isinstance(texts, str):
                raise ManifestError(f"superapp.{name} must be a list of host names")
            for i, text in enumerate(texts):
                try:
                    pat = parse_host_entry(text)
                except ValueError as exc:
                    raise ManifestError(f"superapp.{name}[{i}]: {exc}") from None
                patterns.append(
                    HostPattern(pat.text, pat.host, pat.wildcard, pat.port, text in http_texts)
                )
        exact: dict[str, list[HostPattern]] = {}
        wild: dict[str, list[HostPattern]] = {}
        for pat in patterns:
            (wild if pat.wildcard else exact).setdefault(pat.host.name, []).append(pat)
        return cls(
            app_id=app_id,
            entries=tuple(patterns),
            _exact={k: tuple(v) for k, v in exact.items()},
            _wild={k: tuple(v) for k, v in wild.items()},
        )

    @property
    def origin(self) -> str:
        return f"app://{self.app_id}"

    @property
    def _own_prefix(self) -> str:
        return f"app://{self.app_id}/"

    def decide(
        self,
        url: str,
        *,
        kind: RequestKind,
        top_level: bool,
        initiator: str | None = None,
    ) -> NetDecision:
        """May this app's engine (or ``net.request``) load ``url``? Never raises for any URL.

        ``kind`` is what is being loaded. ``top_level`` is True only when the request would
        replace the window's main document (Qt's ``ResourceTypeMainFrame``, or
        ``acceptNavigationRequest`` with ``isMainFrame``); a sub-resource requested *by* the
        main document is not top-level. ``initiator`` is the origin that asked
        (``app://<app_id>`` for the app's own page); it decides ``data:``/``blob:`` only.
        """
        # Fast path for the commonest request: the engine's canonical URL of an own file. The
        # authority of ``app://<app_id>/...`` is exactly the (validated, lower-case) app id.
        if url.startswith(self._own_prefix):
            return _OWN_ORIGIN
        try:
            scheme, rest = split_scheme(url)
        except HostError as exc:
            return _refuse(exc.rule, exc.reason)
        if scheme in _NETWORK_SCHEMES:
            return self._network(scheme, rest, kind, top_level)
        if scheme == "app":
            return self._app(rest)
        return self._local(scheme, rest, kind, top_level, initiator)

    # --- network schemes ---------------------------------------------------------------
    def _network(self, scheme: str, rest: str, kind: RequestKind, top_level: bool) -> NetDecision:
        try:
            auth = parse_authority(scheme, rest)
        except HostError as exc:
            return _refuse(exc.rule, exc.reason)
        url = auth.url()
        if not auth.host.is_ip:
            special = local_target(auth.host)
            if special is not None:
                return _refuse(special[0], special[1], url)
        if top_level:
            return _refuse(
                "navigation-away",
                f"the app's window may not navigate away from {self.origin}/",
                url,
            )
        if scheme in _CLEARTEXT and self.allows_dev_local(auth.host.ip, auth.port):
            return NetDecision(
                True, "dev-allow-local", f"{auth.host} is allowed by superapp dev --allow-local",
                url=url,
            )  # fmt: skip
        candidates = self._candidates(auth.host)
        if not candidates:
            if auth.host.is_ip:
                return _refuse(
                    "ip-literal", f"{auth.host} is an IP address not listed in allowed_hosts", url
                )
            return _refuse("not-allowlisted", f"{auth.host} is not in allowed_hosts", url)
        ported = [p for p in candidates if p.allows_port(scheme, auth.port)]
        if not ported:
            return _refuse(
                "port-not-allowed",
                f"port {auth.port} of {auth.host} is not allowed "
                "(an entry without a port allows only the default port)",
                url,
            )
        if scheme in _CLEARTEXT:
            ported = [p for p in ported if p.http]
            if not ported:
                return _refuse(
                    "http-not-allowed",
                    f"{scheme}:// to {auth.host} is not allowed; the manifest must list it in "
                    "allow_http_hosts",
                    url,
                )
        best = next((p for p in ported if not p.wildcard), ported[0])
        return NetDecision(
            True,
            "allowlist",
            f"{auth.host} matches allowed host {best.text!r}",
            url=url,
            entry=best.text,
            exact=not best.wildcard,
        )

    def _candidates(self, host: Host) -> list[HostPattern]:
        found = list(self._exact.get(host.name, ()))
        if host.is_ip or not self._wild:
            return found
        name = host.name
        dot = name.find(".")
        while dot != -1:
            name = name[dot + 1 :]
            found.extend(self._wild.get(name, ()))
            dot = name.find(".")
        return found

    # --- the app's own scheme ----------------------------------------------------------
    def _app(self, rest: str) -> NetDecision:
        try:
            auth = parse_authority("app", rest)
        except HostError as exc:
            return _refuse(exc.rule, exc.reason)
        if auth.host.name == self.app_id and not auth.host.is_ip:
            return _OWN_ORIGIN
        return _refuse("other-app", f"app://{auth.host}/ belongs to another app")

    # --- schemes that never reach the network ------------------------------------------
    def _local(
        self,
        scheme: str,
        rest: str,
        kind: RequestKind,
        top_level: bool,
        initiator: str | None,
    ) -> NetDecision:
        if not scheme:
            return _refuse("malformed", "the URL has no scheme")
        if scheme == "about":
            if rest.split("?", 1)[0].split("#", 1)[0].lower() == "blank":
                return NetDecision(True, "about-blank", "about:blank loads nothing")
            return _refuse("scheme-about", f"about:{rest[:40]} is not allowed")
        if scheme in ("data", "blob"):
            return self._inline(scheme, rest, kind, top_level, initiator)
        if scheme == "javascript":
            return _refuse("scheme-javascript", "javascript: URLs are not allowed")
        if scheme == "file":
            return _refuse("scheme-file", "file: URLs are not allowed")
        if scheme in _INTERNAL_SCHEMES:
            return _refuse(f"scheme-{scheme}", f"{scheme}: URLs are not allowed")
        return _refuse("scheme-unknown", f"the {scheme[:40]}: scheme is not allowed")

    def _inline(
        self,
        scheme: str,
        rest: str,
        kind: RequestKind,
        top_level: bool,
        initiator: str | None,
    ) -> NetDecision:
        if top_level or kind in _DOCUMENT_KINDS:
            return _refuse("inline-top-level", f"{scheme}: URLs may not be navigated to or framed")
        if not self._is_own(initiator):
            return _refuse(
                "inline-foreign", f"{scheme}: URLs are allowed only in the app's own document"
            )
        if scheme == "blob" and not self._is_own(rest):
            return _refuse("inline-foreign", "blob: URL of another origin")
        return NetDecision(True, "inline-subresource", f"{scheme}: sub-resource of the app")

    def _is_own(self, origin: str | None) -> bool:
        if not origin:
            return False
        try:
            scheme, rest = split_scheme(origin)
            if scheme != "app":
                return False
            auth = parse_authority("app", rest)
        except HostError:
            return False
        return auth.host.name == self.app_id and not auth.host.is_ip


_OWN_ORIGIN: Final = NetDecision(True, "own-origin", "the app's own files")


def _refuse(rule: str, reason: str, url: str | None = None) -> NetDecision:
    return NetDecision(False, rule, reason, url=url)

"""Host normalisation: one canonical form for every way of writing a host.

The allowlist compares canonical hosts only, so every spelling a browser would treat as the
same host must normalise to the same string, and every spelling we cannot canonicalise with
certainty is refused. The procedure, in order (it follows the WHATWG URL host parser, which
Chromium implements, so the engine and ``net.request`` see the same host):

1. ``[...]`` is an IPv6 literal: parsed by :mod:`ipaddress`; zone ids (``%eth0``) are refused.
2. Percent-decoding, once, as UTF-8 (``%61pi.example.com`` is ``api.example.com``).
3. Domain to ASCII: pure-ASCII input is lower-cased; anything else goes through UTS #46
   mapping (non-transitional, as Chromium does: full-width letters and dots fold, ``ß`` stays)
   and IDNA 2008 (the ``idna`` package; the stdlib codec is IDNA 2003 and would map ``faß.de``
   to ``fass.de`` where the engine does not). ``xn--`` labels must decode and re-encode to
   themselves.
4. One trailing dot is dropped (``example.com.`` is ``example.com``); other empty labels are
   refused. Labels are ``[a-z0-9_-]`` after conversion, at most 63 octets; the host at most 253.
5. Homographs: a label with non-ASCII letters must use one script (or Latin with the CJK
   combinations UTS #39 calls "highly restrictive"), and a Cyrillic- or Greek-only label made
   entirely of letters that look Latin (``аррӏе``) is refused. This is a heuristic, written down
   in ``docs/network.md``; the manifest validator calls :func:`normalise_host` and refuses the
   same labels, so such a host can never be listed.
6. IPv4 in every notation the URL standard accepts: if the last label is a number, the host is
   an IPv4 address with 1–4 parts, each decimal, octal (leading ``0``) or hex (``0x``); the
   last part fills the remaining bytes (``0x7f.1`` is ``127.0.0.1``). A host that ends in a
   number but is not a valid address is refused, as in the browser.

Everything refused raises :class:`HostError` with a rule id and a one-line reason.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal
from urllib.parse import unquote_to_bytes

import idna

__all__ = [
    "Host",
    "HostError",
    "IPAddress",
    "address_class",
    "normalise_host",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LABEL_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
_MAX_LABEL: Final = 63
_MAX_HOST: Final = 253
_MAX_INPUT: Final = 1024

#: Scripts that may share a label (UTS #39 "highly restrictive").
_SCRIPT_SETS: Final = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
#: Cyrillic and Greek lower-case letters that render like Latin ones.
_LATIN_LOOKALIKES: Final = frozenset("асеёіјкорѕухһӏԁԛԝүҽьοαικνρτυχϲ")
#: Unicode name prefixes that are not a script of their own.
_NAME_TO_SCRIPT: Final = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "KATAKANA-HIRAGANA": ""}


class HostError(ValueError):
    """A host we refuse to canonicalise; ``rule`` is the stable decision rule id."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Host:
    """A canonical host: ``name`` is lower-case ASCII (A-labels), or the IP's text form."""

    name: str
    ip: IPAddress | None = None

    @property
    def is_ip(self) -> bool:
        return self.ip is not None

    def __str__(self) -> str:
        if isinstance(self.ip, ipaddress.IPv6Address):
            return f"[{self.name}]"
        return self.name


def normalise_host(text: str) -> Host:
    """The canonical :class:`Host` for ``text`` as it appears in a URL authority.

    Raises:
        HostError: the host is malformed, an invalid IDN, a homograph, or a bad IP literal.
    """
    if len(text) > _MAX_INPUT:
        raise HostError("malformed", "the host is too long")
    result = _cached(text)
    if isinstance(result, HostError):
        raise HostError(result.rule, result.reason)
    return result


@lru_cache(maxsize=4096)
def _cached(text: str) -> Host | HostError:
    """Refusals are cached too: a page repeating a hostile host must not cost IDNA each time."""
    try:
        return _normalise(text)
    except HostError as exc:
        return exc


def _normalise(text: str) -> Host:
    if not text:
        raise HostError("malformed", "the URL has no host")
    if text.startswith("["):
        return _ipv6(text)
    if "%" in text:
        try:
            text = unquote_to_bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise HostError("malformed", "the host is not valid percent-encoded UTF-8") from None
    labels = _to_ascii_labels(text)
    if _ends_in_number(labels[-1]):
        return _ipv4(labels)
    name = ".".join(labels)
    if len(name) > _MAX_HOST:
        raise HostError("malformed", "the host is longer than 253 characters")
    return Host(name)


def _ipv6(text: str) -> Host:
    if not text.endswith("]") or "%" in text:
        raise HostError("malformed", f"{text!r} is not a valid IPv6 literal")
    try:
        ip = ipaddress.IPv6Address(text[1:-1])
    except ValueError:
        raise HostError("malformed", f"{text!r} is not a valid IPv6 literal") from None
    return Host(ip.compressed, ip)


def _to_ascii_labels(text: str) -> list[str]:
    if text.isascii():
        mapped = text.lower()
    else:
        try:
            mapped = idna.uts46_remap(text, std3_rules=False, transitional=False)
        except idna.IDNAError:
            raise HostError(
                "idn-invalid", "the host has characters not allowed in a domain"
            ) from None
    labels = mapped.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    return [_label(label) for label in labels]


def _label(label: str) -> str:
    if not label:
        raise HostError("malformed", "the host has an empty label")
    if label.isascii():
        if label.startswith("xn--"):
            _check_script(_decode_alabel(label))
        elif not set(label) <= _LABEL_CHARS:
            raise HostError("malformed", f"the host label {label!r} has forbidden characters")
        ascii_label = label
    else:
        try:
            ascii_label = idna.alabel(label).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise HostError("idn-invalid", f"the host label {label!r} is not a valid IDN") from None
        _check_script(label)
    if len(ascii_label) > _MAX_LABEL:
        raise HostError("malformed", "a host label is longer than 63 characters")
    return ascii_label


def _decode_alabel(label: str) -> str:
    try:
        ulabel = idna.ulabel(label)
        if idna.alabel(ulabel).decode("ascii") != label:
            raise idna.IDNAError("not canonical")
    except (idna.IDNAError, UnicodeError):
        raise HostError("idn-invalid", f"the host label {label!r} is not a valid IDN") from None
    return ulabel


def _check_script(ulabel: str) -> None:
    scripts: set[str] = set()
    letters = [ch for ch in ulabel if unicodedata.category(ch).startswith("L")]
    for ch in letters:
        first = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
        script = _NAME_TO_SCRIPT.get(first, first)
        if script:
            scripts.add(script)
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPT_SETS):
        raise HostError(
            "idn-homograph",
            f"the host label {ulabel!r} mixes scripts ({', '.join(sorted(scripts))})",
        )
    if scripts & {"CYRILLIC", "GREEK"} and all(ch in _LATIN_LOOKALIKES for ch in letters):
        raise HostError(
            "idn-homograph", f"the host label {ulabel!r} is made of letters that look Latin"
        )


def _ends_in_number(label: str) -> bool:
    if label.isdigit():
        return True
    return label.startswith("0x") and all(c in "0123456789abcdef" for c in label[2:])


def _ipv4_part(part: str) -> int:
    if not part:
        raise ValueError("empty part")
    if part.startswith("0x"):
        digits, base = part[2:], 16
        if not digits:
            return 0
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits.isascii() or not digits.isalnum():
        raise ValueError("not a number")
    return int(digits, base)


def _ipv4(labels: list[str]) -> Host:
    bad = HostError(
        "malformed", f"{'.'.join(labels)!r} ends in a number but is not an IPv4 address"
    )
    if len(labels) > 4:
        raise bad
    try:
        parts = [_ipv4_part(p) for p in labels]
    except ValueError:
        raise bad from None
    if any(p > 255 for p in parts[:-1]) or parts[-1] >= 256 ** (5 - len(parts)):
        raise bad
    value = parts[-1]
    for i, part in enumerate(parts[:-1]):
        value += part << (8 * (3 - i))
    ip = ipaddress.IPv4Address(value)
    return Host(str(ip), ip)


_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(ip))
    return None


def address_class(ip: IPAddress) -> Literal["public", "private", "forbidden"]:
    """Where an address points: the open internet, somewhere local, or nowhere we connect.

    ``forbidden`` (never connected to, whatever the manifest says): unspecified (``0.0.0.0``
    reaches the local machine on Linux), multicast, broadcast, reserved. ``private``: loopback,
    RFC 1918, link-local (cloud metadata), shared, unique-local and documentation ranges.
    IPv6 forms that embed an IPv4 address (mapped, 6to4, Teredo, NAT64, compatible) are
    classified by the address they embed.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return address_class(embedded)
    if ip.is_loopback:
        return "private"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:  # 240/4 includes broadcast
        return "forbidden"
    return "public" if ip.is_global else "private"

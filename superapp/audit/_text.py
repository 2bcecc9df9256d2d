"""Making text that came from a mini-app inert before a terminal or a log reader sees it.

Everything an app sends (a URL, a reason, an api name, a console line, a toast) can hold
characters a terminal acts on: C0 controls (bell, backspace, carriage return), ESC sequences
(CSI cursor movement, OSC 0/2 window title, OSC 52 clipboard), DEL, C1 controls (U+0080–U+009F;
U+009B is a one-character CSI on some terminals), line separators (NEL, U+2028, U+2029), and
format characters that reorder what is shown (bidi overrides and isolates, zero-width joiners).
``safe_text`` is the one function that turns such text into a visible, reversible escape:

    ``\\``            → ``\\\\``        (so every backslash in the output starts an escape)
    ``\\n \\r \\t``      → ``\\n \\r \\t``
    other code points of category Cc, Cf, Cs, Co, Cn, Zl or Zp, and the Hangul fillers
    that draw nothing (U+115F, U+1160, U+3164, U+FFA0)
                     → ``\\xNN`` (≤ U+00FF), ``\\uNNNN`` or ``\\UNNNNNNNN``

Printable text (any script, spaces included) is kept as it is.

``token`` is ``safe_text`` for one field of a text line whose fields are separated by spaces:
a value that is printable ASCII without space, quote, backslash, ``=``, ``[`` or ``]`` is shown
bare, anything else inside double quotes with ``"`` escaped as ``\\"``. A field therefore ends
exactly where the line's format says it does, and no value can forge a separator, another
field, another line or another app's attribution.

``inert_json`` is JSON whose every character outside printable ASCII-and-Unicode is escaped
(``\\u007f``, ``\\u009b``, ``\\u2028``, ``\\u202e`` …): still valid JSON that decodes to the same
value, one object per line, and harmless when ``cat`` or ``tail -f`` shows it.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = ["InertLogFormatter", "inert_json", "is_inert", "render_line", "safe_text", "token"]

#: Unicode categories never shown raw: controls, format (bidi, zero-width), surrogates,
#: private use, unassigned, line and paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SHORT = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Printable ASCII that needs no quoting in a space-separated line.
_BARE = re.compile(r"[!#-<>-Z^-~]+")  # 0x21-0x7E without  " \ = [ ]


#: Letters that draw nothing (Hangul fillers): favourite "invisible" characters of spoofers.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0")


@lru_cache(maxsize=4096)
def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES or ch in _INVISIBLE


def _escape_char(ch: str) -> str:
    short = _SHORT.get(ch)
    if short is not None:
        return short
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def safe_text(text: object) -> str:
    """``text`` (or ``str(text)``) with every unsafe code point and backslash escaped."""
    value = text if isinstance(text, str) else str(text)
    if value.isascii() and value.isprintable() and "\\" not in value:
        return value  # the common case: nothing to do
    return "".join(_escape_char(ch) if ch in _SHORT or _unsafe(ch) else ch for ch in value)


def token(value: object) -> str:
    """One field of a space-separated line: bare when unambiguous, else quoted."""
    text = value if isinstance(value, str) else str(value)
    if _BARE.fullmatch(text):
        return text
    return '"' + safe_text(text).replace('"', '\\"') + '"'


def is_inert(text: str) -> bool:
    """True when ``text`` holds no code point ``safe_text`` would escape (backslash aside)."""
    return not any(ch in "\n\r\t" or _unsafe(ch) for ch in text)


def _json_escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    if not _unsafe(ch):
        return ch
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


#: Candidates only (json.dumps already escaped U+0000–U+001F, '"' and '\\'); ``_json_escape``
#: keeps the printable ones.
_NON_ASCII = re.compile(r"[^\x20-\x7e]")


def inert_json(obj: Any) -> str:
    """Compact JSON (key order kept) with every unsafe code point as a ``\\u`` escape."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return _NON_ASCII.sub(_json_escape, text)


def render_line(ev: Mapping[str, Any]) -> str:
    """One audit event as one terminal line (``superapp audit``)::

        2026-12-01 23:00:00  com.example.notes  bridge.denied  failure  "storage not granted"
        [api=storage.get code=PERMISSION_DENIED]    (one line; folded here)

    Every field goes through ``token``: the time, app id, action and outcome columns cannot
    hold a space, so the second column is always the app the host recorded.
    """
    meta = ev.get("event")
    meta = meta if isinstance(meta, Mapping) else {}
    extra = ev.get("superapp")
    extra = dict(extra) if isinstance(extra, Mapping) else {}
    app_id = extra.pop("app_id", None) or "-"
    extra.pop("chain", None)
    stamp = str(ev.get("@timestamp", ""))[:19].replace("T", " ")
    date, _, clock = stamp.partition(" ")
    parts = [token(date or "-"), token(clock or "-"), " " + token(app_id)]
    parts += [" " + token(meta.get("action", "?")), " " + token(meta.get("outcome", "?"))]
    reason = meta.get("reason") or ""
    if reason:
        parts.append(" " + token(reason))
    # A field with no value says nothing a reader needs (and ``null``/``None`` is program
    # spelling, not words); it stays in the stored JSON (``--json``).
    extra = {k: v for k, v in extra.items() if v is not None}
    if extra:
        details = " ".join(f"{token(k)}={_value(v)}" for k, v in extra.items())
        parts.append(f" [{details}]")
    return " ".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return token(value)
    return token(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))


class InertLogFormatter(logging.Formatter):
    """A log formatter whose message part goes through ``safe_text`` (a log line may quote
    what a page sent); tracebacks keep their line breaks."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = safe_text(record.message)
        return super().formatMessage(record)

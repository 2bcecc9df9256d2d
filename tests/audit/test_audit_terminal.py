"""``superapp audit`` output read as a terminal renders it (issue 12, class 3).

A page controls the url, reason and other fields of its events (and a compromised runtime
the action and field names). Whatever they hold, the text output must be one screen line
per event, change nothing but the characters drawn (no title, no clipboard, no cursor
movement, no bell), and keep the app column the host recorded. The output is fed to a VT
emulator (pyte, which also honours C1 controls such as U+009B CSI) through a tty's newline
translation, and every terminal action other than drawing text and the line ends is
recorded.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import pyte
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wcwidth import wcwidth

from superapp.audit import AuditLog, inert_json, is_inert, render_line, safe_text
from superapp.cli import main
from superapp.core.paths import Paths

#: What a hostile page sends, besides arbitrary text.
ATTACKS = [
    "\x1b]0;pwned\x07",  # window title (OSC 0), bell-terminated
    "\x1b]2;pwned\x1b\\",  # window title (OSC 2), ST-terminated
    "\x1b]52;c;cm0gLXJmIH4K\x07",  # OSC 52: write the clipboard
    "\x9d52;c;cm0gLXJmIH4K\x9c",  # the same with C1 OSC/ST
    "\x1b[2J\x1b[H",  # clear screen, cursor home
    "\x1b[1A\x1b[2K",  # cursor up, erase line: rewrite the line above
    "\x9b1A",  # C1 CSI cursor up
    "\x07\x07",  # bell
    "\r\x08\x08\x7f",  # carriage return, backspace, DEL
    "\n2026-12-01 23:00:00  com.victim.bank  app.launched  success",  # forged line
    "\u2028com.victim.bank\u2029\x85",  # Unicode line/paragraph separators, NEL
    "\u202egnp.exe\u202c\u2066\u2069\u200b\u200d\ufeff",  # bidi override, isolates, zero-width
    '"  [app_id=com.victim.bank]  "',  # forged quote and field separators
    "\\x1b[31m",  # an escape written out as text
    "\ud800",  # a lone surrogate
    "\u115f\u3164",  # invisible fillers
]

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(ATTACKS),
    st.lists(st.one_of(st.sampled_from(ATTACKS), st.text(max_size=8)), max_size=4).map("".join),
)


class _Recorder:
    """Wraps a pyte screen: every terminal action except drawing and line ends is recorded."""

    _TEXT = frozenset({"draw", "linefeed", "carriage_return"})

    def __init__(self, screen: pyte.Screen) -> None:
        self.screen = screen
        self.actions: list[str] = []

    def draw(self, data: str) -> None:
        # One character at a time: pyte's draw gives up on the rest of a chunk at a
        # character that takes no cell; a real terminal just draws nothing for it.
        for ch in data:
            self.screen.draw(ch)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.screen, name)
        if name in self._TEXT or not callable(target):
            return target

        def record(*args: Any, **kwargs: Any) -> Any:
            self.actions.append(name)
            return target(*args, **kwargs)

        return record


def render_on_terminal(output: str) -> tuple[Any, _Recorder]:
    """A screen wide enough that no line wraps, two rows taller than the output."""
    lines = output.split("\n")
    columns = max(sum(max(wcwidth(ch), 1) for ch in line) for line in lines) + 8
    screen = pyte.Screen(columns, len(lines) + 2)
    recorder = _Recorder(screen)
    stream = pyte.Stream(recorder)  # type: ignore[arg-type]
    stream.feed(output.replace("\n", "\r\n"))  # the tty's ONLCR
    return screen, recorder


def _drawn(line: str) -> str:
    """What a terminal shows for ``line``: characters that take no cell and do not combine
    with the one before are not drawn."""
    return "".join(
        ch for ch in line if wcwidth(ch) > 0 or (wcwidth(ch) == 0 and unicodedata.combining(ch))
    )


_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|[^ "]+')
_ESC = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|.)")


def _unescape(tok: str) -> str:
    if not tok.startswith('"'):
        return tok

    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        simple = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"'}
        return simple[code] if code in simple else chr(int(code[1:], 16))

    return _ESC.sub(one, tok[1:-1])


def parse_line(line: str) -> list[str]:
    """The fields of one rendered line: a strict reader of the documented format."""
    tokens, pos = [], 0
    while pos < len(line):
        if line[pos] == " ":
            pos += 1
            continue
        m = _TOKEN.match(line, pos)
        assert m is not None, f"unparseable at {pos}: {line!r}"
        tokens.append(m.group(0))
        pos = m.end()
    return tokens


@contextlib.contextmanager
def _home() -> Iterator[Paths]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock.patch.dict(os.environ, {"SUPERAPP_HOME": str(Path(tmp) / "home")}),
    ):
        paths = Paths.from_env()
        paths.ensure()
        yield paths


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["audit", *args]) == 0
    return out.getvalue()


def _record(log: AuditLog, ev: Mapping[str, str]) -> None:
    log.record(
        ev["action"], app_id=ev["app"], outcome="failure", reason=ev["reason"],
        url=ev["url"], **{ev["key"]: ev["value"]},
    )  # fmt: skip


events = st.fixed_dictionaries(
    {
        "app": texts.filter(bool),
        "action": texts,
        "reason": texts,
        "url": texts,
        "key": texts.filter(lambda k: k not in ("app_id", "url", "chain")),
        "value": texts,
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, min_size=1, max_size=4))
def test_audit_text_output_is_inert_one_line_per_event_and_keeps_attribution(
    evs: list[dict[str, str]],
) -> None:
    with _home() as paths:
        log = AuditLog(paths.audit_log)
        for ev in evs:
            _record(log, ev)
        out = _cli()

    # Text level: exactly one line per event, nothing unsafe in it.
    lines = out.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(evs)
    for line in lines[:-1]:
        assert is_inert(line), repr(line)

    # Terminal level: nothing happened but drawing text; one row per event.
    screen, recorder = render_on_terminal(out)
    assert recorder.actions == []
    assert screen.title == "" and screen.icon_name == ""
    assert (screen.cursor.y, screen.cursor.x) == (len(evs), 0)
    display = screen.display
    for row, line in zip(display, lines[:-1], strict=False):
        assert row.rstrip() == _drawn(line).rstrip()
    assert all(not row.strip() for row in display[len(evs) :])

    # Format level: a strict reader gets back the host's app id and every field.
    for line, ev in zip(lines[:-1], evs, strict=True):
        fields = parse_line(line)
        _date, _clock, app, action, outcome, reason = (_unescape(t) for t in fields[:6])
        assert (app, action, outcome) == (ev["app"], ev["action"], "failure")
        if ev["reason"]:
            assert reason == ev["reason"]
        details = " ".join(fields[6 if ev["reason"] else 5 :])
        assert details.startswith("[") and details.endswith("]")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, min_size=1, max_size=3))
def test_audit_json_output_is_valid_json_one_object_per_line_and_inert(
    evs: list[dict[str, str]],
) -> None:
    with _home() as paths:
        log = AuditLog(paths.audit_log)
        for ev in evs:
            _record(log, ev)
        out = _cli("--json")
        stored = list(log.events())
        report = log.verify()
        raw_file = paths.audit_log.read_text(encoding="utf-8")
    assert report.ok, report.problem
    lines = out.split("\n")
    assert len(lines) - 1 == len(evs)
    assert [json.loads(line) for line in lines[:-1]] == stored
    for text in (out, raw_file):  # the command's output and the file itself (cat, tail -f)
        screen, recorder = render_on_terminal(text)
        assert recorder.actions == []
        assert screen.title == ""
        assert (screen.cursor.y, screen.cursor.x) == (len(evs), 0)


def test_a_page_cannot_forge_a_line_for_another_app_or_drive_the_terminal(
    superapp_home: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    log = AuditLog(superapp_home.audit_log)
    log.record(
        "net.blocked", app_id="com.attacker.app", outcome="failure", reason="".join(ATTACKS),
        url="https://x.test/\x1b]52;c;Zm9v\x07\n2026-12-01 00:00:00  com.victim.bank  ok",
    )  # fmt: skip
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    screen, recorder = render_on_terminal(out)
    assert recorder.actions == [] and screen.title == ""
    assert (screen.cursor.y, screen.cursor.x) == (1, 0)
    row = screen.display[0]
    assert parse_line(row)[2] == "com.attacker.app"
    assert "com.victim.bank" in row  # shown, as text inside the quoted reason
    assert r"\x1b]52;c;" in row and r"\u202e" in row and r"\n2026-12-01" in row


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("Zürich — 東京", "Zürich — 東京"),
        ("a\nb", r"a\nb"),
        ("\x1b[2J", r"\x1b[2J"),
        ("\x9b31m", r"\x9b31m"),
        ("x\u2028y\u2029z\x85", r"x\u2028y\u2029z\x85"),
        ("\u202eevil", r"\u202eevil"),
        ("back\\slash", r"back\\slash"),
        ("\U000e0041", r"\U000e0041"),  # a tag character (Cf) outside the BMP
    ],
    ids=["ascii", "unicode", "newline", "csi", "c1-csi", "separators", "bidi", "backslash", "tag"],
)
def test_safe_text(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown


def test_inert_json_round_trips_and_escapes_what_json_leaves_raw() -> None:
    value = {"r": "\x7f\x85\x9b\u2028\u202e\U000e0041\ud800 ok é"}
    text = inert_json(value)
    assert text.isascii() is False  # printable non-ASCII ("é") stays readable
    assert "\\u007f" in text and "\\u009b" in text and "\\u2028" in text
    assert "\\udb40\\udc41" in text  # outside the BMP: a surrogate pair
    assert json.loads(text) == value
    assert render_line({"event": {"reason": value["r"]}}).count("\n") == 0


def test_runtime_log_lines_quote_page_text_inertly() -> None:
    import logging

    from superapp.audit import InertLogFormatter

    record = logging.LogRecord(
        "superapp.runtime", logging.WARNING, __file__, 1, "page said %s", (ATTACKS[0],), None
    )
    line = InertLogFormatter(logging.BASIC_FORMAT).format(record)
    assert line == r"WARNING:superapp.runtime:page said \x1b]0;pwned\x07"

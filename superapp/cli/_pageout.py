"""A developer-mode app's page output on the terminal: ``console.*`` lines and CSP refusals.

The runtime sends them as ``console`` control messages in developer mode only
(``superapp.runtime._console``); the host hands them to ``MessageBroker.page_output``. They are
printed on standard output, one line each, away from the engine's own messages (Chromium's
dbus, GPU and sandbox chatter stays on standard error), and escaped: every character of them
was chosen by the page.

    console.log  app.js:12: loaded 3 items
    console.error  vendor/vue.global.js:1802: Uncaught EvalError: …
    csp  index.html:9: inline <script> refused by the app's CSP: move the code into …

``superapp dev`` wires it with ``use_page_output(host)``; another front end (a test, an IDE
plugin) can call ``format_page_line`` and print elsewhere.
"""

from __future__ import annotations

import sys
import threading
from typing import IO, Any

from superapp.audit import safe_text
from superapp.protocol import Console

__all__ = ["format_page_line", "print_page_line", "use_page_output"]

_LOCK = threading.Lock()
_NAMES = {"info": "console.log", "warning": "console.warn", "error": "console.error"}


def format_page_line(msg: Console) -> str:
    """One escaped terminal line for ``msg`` (no line break, no control sequence of the page's)."""
    tag = "csp" if msg.stream == "csp" else _NAMES[msg.level]
    if msg.stream == "csp":
        return f"{tag}  {safe_text(msg.text)}"  # the text already names the file and line
    where = msg.source + (f":{msg.line}" if msg.line else "")
    if not where:
        return f"{tag}  {safe_text(msg.text)}"
    return f"{tag}  {safe_text(where)}: {safe_text(msg.text)}"


def print_page_line(app_id: str, msg: Console, stream: IO[str] | None = None) -> None:
    """Print ``msg`` (from ``app_id``'s page) on ``stream`` (standard output by default)."""
    out = stream if stream is not None else sys.stdout
    with _LOCK:  # lines from the reader thread and the command's own never interleave
        print(format_page_line(msg), file=out, flush=True)


def use_page_output(host: Any, stream: IO[str] | None = None) -> None:
    """Print every developer-mode page line of ``host`` (a ``superapp.host.Host``)."""
    host.supervisor.broker.page_output = lambda app_id, msg: print_page_line(app_id, msg, stream)

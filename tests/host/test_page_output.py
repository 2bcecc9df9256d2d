"""A developer-mode app's page output reaches ``MessageBroker.page_output`` (what ``superapp
dev`` prints); an installed app's never does, and neither stops the app. The terminal line
is escaped (``superapp.cli._pageout``)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from superapp.cli._pageout import format_page_line, print_page_line
from superapp.protocol import Console
from superapp.testing import audit_events, wait_until
from tests.host.conftest import APP, MakeSupervisor

TIMEOUT = 60.0
LINE = {"type": "console", "stream": "console", "level": "error", "text": "boom \u001b[2J",
        "source": "app.js", "line": 4}  # fmt: skip
STEPS: list[dict[str, Any]] = [
    {"hello": {}},
    {"loaded": {}},
    {"raw": {"line": json.dumps(LINE) + "\n"}},
    {"audit": {"action": "fake.after_console", "reason": ""}},
]


def test_dev_app_console_reaches_the_page_output(
    make_supervisor: MakeSupervisor, tmp_path: Path
) -> None:
    supervisor = make_supervisor(STEPS)
    got: list[tuple[str, Console]] = []
    supervisor.broker.page_output = lambda app_id, msg: got.append((app_id, msg))
    app = supervisor.launch(APP, dev_src=tmp_path)
    wait_until(lambda: got, what="the console line", timeout=TIMEOUT)
    assert got == [(APP, Console(**LINE))]
    wait_until(lambda: audit_events(supervisor.paths, "fake.after_console", APP), what="later step")
    assert app.state.value == "running"


def test_installed_app_console_goes_nowhere_and_is_not_a_violation(
    make_supervisor: MakeSupervisor,
) -> None:
    supervisor = make_supervisor(STEPS)
    got: list[Any] = []
    supervisor.broker.page_output = lambda app_id, msg: got.append(msg)
    app = supervisor.launch(APP)
    wait_until(lambda: audit_events(supervisor.paths, "fake.after_console", APP), what="later step")
    assert got == [] and app.state.value == "running"
    assert not audit_events(supervisor.paths, "control.refused", APP)


def test_printed_line_is_escaped_and_names_the_file() -> None:
    out = io.StringIO()
    print_page_line(APP, Console(**LINE), out)
    assert out.getvalue() == "console.error  app.js:4: boom \\x1b[2J\n"
    csp = Console(stream="csp", level="error", text="index.html:3: inline <script> refused\n\u202e")
    assert format_page_line(csp) == "csp  index.html:3: inline <script> refused\\n\\u202e"

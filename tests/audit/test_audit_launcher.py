"""The launcher's audit view: app text reaches the page as escaped text, shown as text."""

from __future__ import annotations

import re

from superapp.audit import AuditLog, is_inert
from superapp.core.paths import Paths
from superapp.launcher._api import _audit_row
from tests.conftest import REPO

HOSTILE = "\u202e\u2028<img src=x onerror=alert(1)>\x1b]0;t\x07\n"


def test_launcher_audit_rows_carry_no_control_or_bidi_characters(superapp_home: Paths) -> None:
    log = AuditLog(superapp_home.audit_log)
    event = log.record(
        "net.blocked", app_id="com.attacker.app", outcome="failure", reason=HOSTILE,
        url="https://x.test/" + HOSTILE,
    )  # fmt: skip
    row = _audit_row(event)
    assert all(is_inert(value) for value in row.values()), row
    assert row["reason"].startswith(r"\u202e\u2028<img")  # visible, and markup stays text
    assert row["app_id"] == "com.attacker.app"


def test_launcher_page_never_parses_data_as_html() -> None:
    """Every string the launcher shows is set with textContent (or attributes it does not
    interpret); none of the HTML-parsing sinks appears in its script."""
    script = (REPO / "assets" / "launcher" / "launcher.js").read_text(encoding="utf-8")
    sinks = re.findall(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment"
        r"|DOMParser|\beval\(|new Function\(",
        script,
    )
    assert sinks == []
    assert "textContent" in script

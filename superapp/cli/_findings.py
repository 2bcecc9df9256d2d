"""Showing analyser findings in a terminal: ``validate``, ``pack`` and ``install`` share this.

A finding quotes the bundle's own file names and code, which may come from a stranger (an
installed bundle), so every line goes through ``safe_text`` before a terminal sees it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from superapp.analysis import Finding
from superapp.audit import safe_text

__all__ = ["finding_line", "print_findings"]

_LABEL = {"block": "error", "warn": "warning", "info": "note"}


def finding_line(f: Finding) -> str:
    """``warning: index.html:3:1: SA701 inline <script> will not run here: …``"""
    label = _LABEL.get(f.severity, f.severity)
    return safe_text(f"{label}: {f.file}:{f.line}:{f.column}: {f.rule_id} {f.message}")


def print_findings(
    findings: Iterable[Finding], stream: TextIO, *, severities: tuple[str, ...] = ("warn",)
) -> int:
    """Print the findings of the given severities, one line each; returns how many."""
    count = 0
    for f in findings:
        if f.severity in severities:
            print(finding_line(f), file=stream)
            count += 1
    return count

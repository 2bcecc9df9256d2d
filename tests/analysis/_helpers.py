"""Shared helpers for the analyser tests: corpus expectations and scanning one snippet."""

from __future__ import annotations

import re
from pathlib import Path

from superapp.analysis import ScanReport, scan_files

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
MALICIOUS = sorted((CORPUS / "malicious").iterdir())
BENIGN = sorted((CORPUS / "benign").iterdir())

#: Corpus lines say what they must trigger: ``// expect: SA102`` or ``<!-- expect: SA108 -->``.
_EXPECT = re.compile(r"expect:\s*(SA\d{3}(?:\s*,\s*SA\d{3})*)")

#: The hosts the corpus treats as declared in the manifest.
CORPUS_ALLOWED_HOSTS = ("api.allowed.example", "api.example.com")


def expectations(path: Path) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        m = _EXPECT.search(line)
        if m:
            out[number] = {rid.strip() for rid in m.group(1).split(",")}
    return out


def scan_js(code: str, name: str = "app.js", hosts: tuple[str, ...] = ()) -> ScanReport:
    return scan_files({name: code.encode()}, allowed_hosts=hosts)


def rule_ids(report: ScanReport) -> set[str]:
    # The CSP rules (SA7xx: "will not run here") have their own tests, test_csp_rules.py.
    return {f.rule_id for f in report.findings if not f.rule_id.startswith("SA7")}

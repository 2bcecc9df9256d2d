"""Every malicious corpus file is caught line by line with the right rule ids; the benign
corpus produces no block-level finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from superapp.analysis import RULES, Severity, scan_files
from tests.analysis._helpers import (
    BENIGN,
    CORPUS_ALLOWED_HOSTS,
    MALICIOUS,
    expectations,
)


@pytest.mark.parametrize("path", MALICIOUS, ids=[p.name for p in MALICIOUS])
def test_malicious_technique_is_detected_with_the_right_rule(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no '// expect:' annotations"
    report = scan_files({path.name: path.read_bytes()}, allowed_hosts=CORPUS_ALLOWED_HOSTS)
    found: dict[int, set[str]] = {}
    for f in report.findings:
        found.setdefault(f.line, set()).add(f.rule_id)
    missing = {
        line: sorted(want - found.get(line, set()))
        for line, want in expected.items()
        if not want <= found.get(line, set())
    }
    assert not missing, f"{path.name}: expected rule ids not reported on lines {missing}"
    # The CSP rules (SA7xx) say what will not run, not what is malicious: test_csp_rules.py.
    unexpected = [
        (f.line, f.rule_id, f.message)
        for f in report.findings
        if f.line not in expected and not f.rule_id.startswith("SA7")
    ]
    assert not unexpected, f"{path.name}: findings on lines without expectations {unexpected}"


@pytest.mark.parametrize("path", MALICIOUS, ids=[p.name for p in MALICIOUS])
def test_malicious_technique_with_a_block_rule_is_refused(path: Path) -> None:
    wanted = set().union(*expectations(path).values())
    report = scan_files({path.name: path.read_bytes()}, allowed_hosts=CORPUS_ALLOWED_HOSTS)
    if any(RULES[r].severity is Severity.BLOCK for r in wanted):
        assert report.blocking
    else:
        assert not report.blocking and report.findings


def test_benign_corpus_has_no_block_level_finding() -> None:
    files = {p.name: p.read_bytes() for p in BENIGN}
    report = scan_files(files, allowed_hosts=CORPUS_ALLOWED_HOSTS)
    assert report.blocking == ()
    # Only what the app's CSP will refuse (its inline script and handler) is a warning.
    assert {f.rule_id for f in report.warnings} <= {"SA701", "SA702"}
    # The global-this idioms are recorded as info, not held against the bundle.
    assert {f.rule_id for f in report.findings if not f.rule_id.startswith("SA7")} == {"SA105"}


def test_every_block_rule_has_a_corpus_case() -> None:
    covered = set()
    for path in MALICIOUS:
        for ids in expectations(path).values():
            covered |= ids
    block_rules = {r.id for r in RULES.values() if r.severity is Severity.BLOCK}
    # SA601/SA602 need bundle-level inputs and are tested in test_bundle_input/test_denylist.
    assert block_rules - covered == {"SA601", "SA602"}

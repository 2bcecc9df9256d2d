"""Properties: the analyser never raises on hostile input, and folding agrees with JS."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from superapp.analysis import scan_files
from tests.analysis._helpers import rule_ids, scan_js

_JS_BITS = st.sampled_from(
    [
        "eval",
        "(",
        ")",
        "[",
        "]",
        "'ev'",
        "+",
        "'al'",
        "window",
        ".",
        "constructor",
        ",",
        "0",
        "Function",
        "`",
        "${",
        "}",
        "=",
        "const e",
        ";",
        "\n",
        "<script>",
        "javascript:",
        "\\u0065",
        "/*",
        "*/",
        "//",
        "superapp-scan: allow SA103 --",
        "import(",
        "'https://x.example/'",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_crash_the_scanner(data: bytes) -> None:
    report = scan_files({"a.js": data, "index.html": data, "x.svg": data})
    assert report.files_scanned == 3
    report.to_sarif()


@settings(max_examples=150, deadline=None)
@given(st.lists(_JS_BITS, max_size=40).map("".join))
def test_token_soup_never_crashes_the_scanner(code: str) -> None:
    scan_js(code)
    scan_files({"i.html": f"<a onclick=\"{code}\" href='javascript:{code}'>".encode()})


def _split(name: str, cuts: list[int]) -> str:
    """'eval' as a concatenation of JS string literals split at ``cuts``."""
    points = sorted({c % (len(name) + 1) for c in cuts} | {0, len(name)})
    parts = [name[a:b] for a, b in pairwise(points) if b > a]
    return " + ".join(f"'{p}'" for p in parts)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["window", "globalThis", "self", "top"]),
    st.lists(st.integers(min_value=0, max_value=8), max_size=4),
)
def test_eval_name_split_any_way_is_still_eval(obj: str, cuts: list[int]) -> None:
    report = scan_js(f"{obj}[{_split('eval', cuts)}](payload)")
    assert "SA102" in rule_ids(report)

"""SA701-SA705: code that will not run under the app's CSP is reported with its file, line,
the words "will not run here" and what to use instead."""

from __future__ import annotations

import tarfile

import pytest

from superapp.analysis import RULES, Finding, scan_files
from superapp.runtime._csp import build_csp
from tests.analysis._libraries import CACHE, LIBRARIES, Unavailable, fetch_all


def _csp(files: dict[str, bytes]) -> list[Finding]:
    return [f for f in scan_files(files).findings if f.rule_id.startswith("SA7")]


def test_the_rules_describe_the_csp_the_runtime_really_sends() -> None:
    # The premise of every SA7xx rule: scripts only from the app itself, no inline, no eval.
    directives = dict(d.split(" ", 1) for d in build_csp().split("; "))
    # 'report-sample' only adds the first characters of a refused script to the report.
    assert directives["script-src"].split() == ["'self'", "'report-sample'"]
    assert all(RULES[f"SA70{i}"].severity.value == "warn" for i in range(1, 6))


PAGE = b"""<!doctype html>
<html>
<head>
<script type="importmap">{"imports": {"preact": "./preact.mjs"}}</script>
<script>document.title = 'hi';</script>
<script src="app.js"></script>
<script type="module" src="main.mjs"></script>
<script></script>
</head>
<body>
<button onclick="save()">Save</button>
<a href="javascript:go()">Go</a>
<a href="javascript:void(0)">Nothing</a>
</body>
</html>
"""


def test_inline_script_handler_url_and_import_map_are_reported_at_their_lines() -> None:
    found = {(f.rule_id, f.line) for f in _csp({"index.html": PAGE, "app.js": b"go();\n"})}
    assert found == {("SA703", 4), ("SA701", 5), ("SA702", 11), ("SA702", 12)}


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("SA701", 'move it into a .js file in the bundle and load it with <script src="app.js">'),
        ("SA702", "element.addEventListener('click', …)"),
        ("SA703", "name it in the manifest as superapp.importmap"),
    ],
)
def test_each_html_finding_says_it_will_not_run_and_what_to_do(rule: str, words: str) -> None:
    messages = [f.message for f in _csp({"index.html": PAGE}) if f.rule_id == rule]
    assert messages
    assert all("will not run here" in m for m in messages)
    assert any(words in m for m in messages)


def test_eval_function_and_string_timers_are_reported_where_the_code_rules_found_them() -> None:
    code = b"""const a = 1;
eval('1 + 1');
const f = new Function('a', body);
setTimeout('tick()', 100);
window['ev' + 'al'](x);
Function('return this')();
"""
    found = [(f.line, f.message) for f in _csp({"app.js": code}) if f.rule_id == "SA704"]
    assert [line for line, _ in found] == [2, 3, 4, 5]
    assert found[0][1].startswith("eval(…) will not run here")
    assert found[1][1].startswith("new Function(…) will not run here")
    assert "pass a function instead" in found[2][1]
    # The global-object idiom (line 6) is left alone: libraries try it and fall back.


def test_no_csp_finding_for_code_that_runs() -> None:
    page = b'<!doctype html><script src="app.js" defer></script><button id="b">x</button>'
    code = b"document.getElementById('b').addEventListener('click', () => JSON.parse('{}'));"
    assert _csp({"index.html": page, "app.js": code}) == []


def test_vue_full_build_is_named_once_with_the_build_to_use() -> None:
    fake_vue = b"/**\n* vue v3.4.38\n* (c) 2018-present Yuxi (Evan) You\n**/\n" + b"\n".join(
        b"const r%d = new Function('Vue', code%d);" % (i, i) for i in range(3)
    )
    found = _csp({"vendor/vue.global.prod.js": fake_vue})
    assert [(f.rule_id, f.line) for f in found] == [("SA705", 5)]
    assert "Vue full build" in found[0].message
    assert "vue.runtime.global.prod.js" in found[0].message
    assert "3 sites" in found[0].message


def test_standard_alpine_is_named_with_the_csp_build() -> None:
    fake_alpine = (
        b"document.dispatchEvent(new CustomEvent('alpine:init'));\n"
        b"let AsyncFunction = Object.getPrototypeOf(async function(){}).constructor;\n"
        b"let fn = new AsyncFunction(['__self', 'scope'], rightSide);\n"
    )
    [finding] = _csp({"alpine.js": fake_alpine})
    assert finding.rule_id == "SA705"
    assert "@alpinejs/csp" in finding.message


# --- the real builds, from npm (network marker; skipped with the reason when unavailable) ---


def _member(name: str, path: str) -> bytes:
    lib = next(lib for lib in LIBRARIES if lib.name == name)
    with tarfile.open(lib.tarball, "r:gz") as tar:
        fh = tar.extractfile(f"package/{path}")
        assert fh is not None
        return fh.read()


@pytest.fixture(scope="module")
def npm_libraries() -> None:
    try:
        fetch_all()
    except Unavailable as err:
        pytest.skip(f"real builds unavailable ({CACHE}): {err}")


@pytest.mark.network
@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        ("vue", "dist/vue.global.prod.js", "Vue full build"),
        ("vue", "dist/vue.global.js", "Vue full build"),
        ("vue", "dist/vue.runtime.global.prod.js", None),
        ("alpinejs", "dist/cdn.min.js", "Alpine.js standard build"),
        ("react-dom", "umd/react-dom.production.min.js", None),
        ("chart.js", "dist/chart.umd.js", None),
        ("preact", "dist/preact.js", None),
    ],
    ids=["vue-full-prod", "vue-full", "vue-runtime", "alpine", "react-dom", "chartjs", "preact"],
)
def test_real_builds(npm_libraries: None, name: str, path: str, expected: str | None) -> None:
    found = _csp({path: _member(name, path)})
    if expected is None:
        assert found == [], [(f.rule_id, f.line, f.message) for f in found]
    else:
        assert [f.rule_id for f in found] == ["SA705"]
        assert found[0].message.startswith(f"{expected} will not run here")

"""CSP refusals as the developer reads them (``superapp.runtime._cspreport``): the construct,
the file, the fix, and the library build when the refused code names it."""

from __future__ import annotations

from typing import Any

import pytest

from superapp.runtime._cspreport import SCRIPT_FILE, ViolationReporter, parse_report

ORIGIN = "app://com.example.csp"
DOC = ORIGIN + "/pages/index.html"


def _report(**fields: Any) -> dict[str, Any]:
    base = {"directive": "script-src-elem", "blocked": "inline", "file": "app", "line": 7,
            "doc": DOC, "element": "script", "type": "", "nonce": False, "handlers": [], "sample": ""}  # fmt: skip
    return {**base, **fields}


@pytest.mark.parametrize(
    ("fields", "construct", "fix"),
    [
        ({}, "inline-script", "move the code into a .js file"),
        ({"type": "importmap"}, "inline-importmap", '"importmap": "importmap.json"'),
        ({"nonce": True}, "nonce-reuse", "only the host's import map runs inline"),
        (
            {"directive": "script-src-attr", "element": "button", "handlers": ["onclick"]},
            "inline-handler",
            "addEventListener",
        ),
        ({"element": "a"}, "javascript-url", "listener added from a .js file"),
        (
            {"directive": "script-src", "blocked": "eval", "element": ""},
            "eval",
            "vue.runtime.global.prod.js",
        ),
        ({"directive": "script-src", "blocked": "wasm-eval", "element": ""}, "wasm", "WebAssembly"),
    ],
    ids=["inline", "importmap", "nonce", "handler", "javascript-url", "eval", "wasm"],
)
def test_each_construct_is_named_with_its_fix(
    fields: dict[str, Any], construct: str, fix: str
) -> None:
    refusal = parse_report(_report(**fields), ORIGIN)
    assert refusal is not None and refusal.construct == construct and fix in refusal.fix
    assert refusal.text().startswith(f"{refusal.file}:7: ")


def test_inline_constructs_are_in_the_document_and_eval_in_an_unnamed_script() -> None:
    inline = parse_report(_report(), ORIGIN)
    evaluated = parse_report(_report(directive="script-src", blocked="eval"), ORIGIN)
    assert inline is not None and inline.file == "pages/index.html"
    assert evaluated is not None and evaluated.file == SCRIPT_FILE


def test_handler_names_are_listed() -> None:
    refusal = parse_report(
        _report(directive="script-src-attr", handlers=["onclick", "onmouseover"]), ORIGIN
    )
    assert refusal is not None and "onclick, onmouseover" in refusal.what


@pytest.mark.parametrize(
    ("sample", "build", "fix"),
    [
        (
            "(function anonymous(\n) {\nconst _Vue = Vu",
            "Vue full build",
            "vue.runtime.global.prod.js",
        ),
        ("(async function anonymous(__self,scope\n)", "standard Alpine", "@alpinejs/csp"),
    ],
    ids=["vue-full-build", "standard-alpine"],
)
def test_library_compilers_are_recognised_by_their_code(sample: str, build: str, fix: str) -> None:
    refusal = parse_report(_report(directive="script-src", blocked="eval", sample=sample), ORIGIN)
    assert refusal is not None and build in refusal.what and fix in refusal.fix


def test_refused_resource_is_not_a_script_construct() -> None:
    assert (
        parse_report(_report(directive="img-src", blocked="https://evil.example/x.png"), ORIGIN)
        is None
    )
    assert parse_report(_report(blocked="https://evil.example/x.js"), ORIGIN) is None


def test_garbage_fields_are_cut_and_typed() -> None:
    refusal = parse_report(
        _report(line="7", file=["x"], sample="s" * 500, handlers="onclick"), ORIGIN
    )
    assert refusal is not None and refusal.line == 0 and len(refusal.sample) == 80
    assert refusal.file == "pages/index.html" and refusal.handlers == ()


def test_reporter_audits_scripts_as_page_refusals_and_resources_as_network_blocks() -> None:
    calls: list[tuple[Any, ...]] = []
    seen: list[Any] = []

    def blocked(*args: Any, **fields: Any) -> None:
        calls.append((*args, fields))

    reporter = ViolationReporter(ORIGIN, blocked, seen.append)
    reporter(_report())
    reporter(_report(directive="img-src", blocked="https://evil.example/x.png", element="img"))
    (action, url, rule, reason, fields), (action2, url2, rule2, _r, fields2) = calls
    assert (action, url, rule) == ("page.csp_refused", "pages/index.html", "csp-inline-script")
    assert "move the code into a .js file" in reason and fields["line"] == 7
    assert (action2, url2, rule2, fields2["kind"]) == (
        "net.blocked",
        "https://evil.example/x.png",
        "csp-img-src",
        "csp",
    )
    assert [r.construct for r in seen] == ["inline-script"]  # resources are not the console's

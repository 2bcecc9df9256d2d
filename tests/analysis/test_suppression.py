"""Inline suppressions silence reviewed warnings only; the bundle cannot silence a block."""

from __future__ import annotations

from tests.analysis._helpers import rule_ids, scan_js


def test_warning_is_suppressed_by_a_comment_with_a_reason_on_the_same_line() -> None:
    report = scan_js("new Function(src) // superapp-scan: allow SA103 -- our template compiler\n")
    assert report.findings == ()
    assert [f.rule_id for f in report.suppressed] == ["SA103"]
    assert report.suppressed[0].suppressed_by == "our template compiler"


def test_warning_is_suppressed_by_a_comment_on_the_line_above() -> None:
    report = scan_js("// superapp-scan: allow SA103 -- compiler\nnew Function(src)\n")
    assert report.findings == () and len(report.suppressed) == 1


def test_block_comment_form_and_several_ids_work() -> None:
    code = "/* superapp-scan: allow SA103, SA501 -- reviewed */ new Function(fetch('https://x.example/'))\n"
    report = scan_js(code)
    assert {f.rule_id for f in report.suppressed} == {"SA103", "SA501"}


def test_block_level_finding_cannot_be_suppressed_by_the_bundle() -> None:
    report = scan_js("eval(x) // superapp-scan: allow SA101 -- trust me\n")
    assert [f.rule_id for f in report.blocking] == ["SA101"]
    assert "SA604" in rule_ids(report)
    assert report.suppressed == ()


def test_suppression_without_a_reason_is_ignored_and_reported() -> None:
    report = scan_js("new Function(src) // superapp-scan: allow SA103\n")
    assert rule_ids(report) == {"SA103", "SA604"}
    assert report.suppressed == ()


def test_suppression_does_not_reach_two_lines_down() -> None:
    report = scan_js("// superapp-scan: allow SA103 -- compiler\n\nnew Function(src)\n")
    assert rule_ids(report) == {"SA103"}


def test_suppression_inside_a_constant_code_string_has_no_effect() -> None:
    code = "eval('new Function(a) // superapp-scan: allow SA103 -- hidden')\n"
    report = scan_js(code)
    assert "SA103" in rule_ids(report)


def test_suppression_comment_in_html_covers_the_next_line() -> None:
    html = (
        b"<html><body>\n<!-- superapp-scan: allow SA109 -- legacy link -->\n"
        b'<a href="javascript:toggle()">t</a>\n</body></html>\n'
    )
    from superapp.analysis import scan_files

    report = scan_files({"index.html": html})
    assert [f.rule_id for f in report.suppressed] == ["SA109"]
    # The link still cannot run under the CSP; that is not the bundle's to silence.
    assert [f.rule_id for f in report.findings] == ["SA702"]


def test_script_text_property_is_not_mistaken_for_fetched_data() -> None:
    # ``.text`` is data only when called (Response.text()); reading script.text is SA103.
    assert rule_ids(scan_js("new Function(script.text)")) == {"SA103"}
    assert rule_ids(scan_js("new Function(await r.text())")) == {"SA104"}

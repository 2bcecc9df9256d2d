"""``superapp scan``: formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from superapp.cli import main


def _app(tmp_path: Path, code: str) -> Path:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "manifest.json").write_text('{"superapp": {"allowed_hosts": []}}')
    (tmp_path / "app.js").write_text(code)
    return tmp_path


def test_scan_exits_1_and_names_the_rule_when_a_block_finding_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["scan", str(_app(tmp_path, "(0, eval)(x)\n"))])
    out = capsys.readouterr().out
    assert rc == 1
    assert "app.js:1:1: block SA102 [code-constructor-evasion]" in out
    assert "install would refuse this bundle" in out


def test_scan_exits_0_on_warnings_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(_app(tmp_path, "new Function(x)\n"))]) == 0
    assert "warn SA103" in capsys.readouterr().out


def test_scan_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--format", "json", str(_app(tmp_path, "eval(x)\n"))]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["block"] == 1
    assert doc["findings"][0]["rule_id"] == "SA101"


def test_scan_sarif_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out.sarif"
    app = _app(tmp_path / "app", "eval(x)\n")
    assert main(["scan", "--format", "sarif", "-o", str(out), str(app)]) == 1
    assert json.loads(out.read_text())["runs"][0]["results"][0]["ruleId"] == "SA101"


def test_scan_missing_path_is_a_one_line_error_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("superapp: error: no such folder or bundle") and err.count("\n") == 1


def test_scan_extra_denylist_and_allowed_host_flags(tmp_path: Path) -> None:
    import hashlib

    app = _app(tmp_path / "app", "fetch('https://api.example.com/x')\n")
    digest = hashlib.sha256((app / "app.js").read_bytes()).hexdigest()
    deny = tmp_path / "deny.txt"
    deny.write_text(digest + "\n")
    assert main(["scan", "--allowed-host", "api.example.com", str(app)]) == 0
    assert main(["scan", "--denylist", str(deny), str(app)]) == 1


def test_scan_bad_denylist_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deny = tmp_path / "deny.txt"
    deny.write_text("nonsense\n")
    assert main(["scan", "--denylist", str(deny), str(_app(tmp_path / "app", "1\n"))]) == 2
    assert "expected a 64-hex-digit SHA-256" in capsys.readouterr().err


def test_scan_a_single_js_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "snippet.js"
    src.write_text("window['ev' + 'al'](x)\n")
    assert main(["scan", str(src)]) == 1
    assert "snippet.js:1:1: block SA102" in capsys.readouterr().out


def test_unwritable_output_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _app(tmp_path / "app", "1\n")
    assert main(["scan", "-o", str(tmp_path / "missing" / "out.txt"), str(app)]) == 2
    assert "cannot write the report" in capsys.readouterr().err


def test_scan_text_report_cannot_drive_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hostile bundle puts terminal controls in a file name and in the flagged line: the
    text report shows them as escapes, and a terminal fed the report does nothing but draw."""
    from tests.audit.test_audit_terminal import render_on_terminal

    app = _app(tmp_path, "eval(x) // \x1b]0;pwned\x07\x1b[2J\x1b[31m\n")
    (app / "a\x1b[2Jb.js").write_text("eval(y)\n")
    main(["scan", str(app)])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    screen, recorder = render_on_terminal(out)
    assert recorder.actions == []  # no title, no erase, no colour: only drawing
    assert any("a\\x1b[2Jb.js" in line for line in screen.display)

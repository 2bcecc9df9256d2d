"""scan_path reads folders and .sapp archives defensively, and takes allowed_hosts from the
manifest."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from superapp.analysis import ScanInputError, scan_files, scan_path

MANIFEST = {"app_id": "com.example.notes", "superapp": {"allowed_hosts": ["api.example.com"]}}
APP = b"fetch('https://api.example.com/a'); fetch('https://other.example/b');\n"


def _sapp(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_sapp_is_scanned_with_the_manifests_allowed_hosts(tmp_path: Path) -> None:
    bundle = _sapp(
        tmp_path / "a.sapp", {"manifest.json": json.dumps(MANIFEST).encode(), "app.js": APP}
    )
    report = scan_path(bundle)
    assert [(f.rule_id, f.file) for f in report.findings] == [("SA501", "app.js")]
    assert "other.example" in report.findings[0].message


def test_folder_is_scanned_like_the_bundle(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps(MANIFEST))
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_bytes(APP)
    report = scan_path(tmp_path)
    assert [(f.rule_id, f.file) for f in report.findings] == [("SA501", "js/app.js")]


def test_explicit_allowed_hosts_override_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps(MANIFEST))
    (tmp_path / "app.js").write_bytes(APP)
    report = scan_path(tmp_path, allowed_hosts=["*.example"])
    # other.example is now allowed by the wildcard; the manifest's host no longer is.
    assert [f.message for f in report.findings] == [
        "fetch() to api.example.com, which is not in allowed_hosts"
    ]


def test_malformed_manifest_means_no_allowed_hosts_not_a_crash(tmp_path: Path) -> None:
    bundle = _sapp(tmp_path / "a.sapp", {"manifest.json": b"{not json", "app.js": APP})
    assert {f.rule_id for f in scan_path(bundle).findings} == {"SA501"}
    assert len(scan_path(bundle).findings) == 2


@pytest.mark.parametrize(
    "name",
    ["../evil.js", "/abs.js", "a/../../b.js", "C:/win.js", "a\\b.js"],
    ids=["dotdot", "absolute", "nested-dotdot", "drive", "backslash"],
)
def test_zip_slip_entry_name_is_refused(tmp_path: Path, name: str) -> None:
    bundle = _sapp(tmp_path / "a.sapp", {"manifest.json": b"{}", name: b"1"})
    with pytest.raises(ScanInputError, match="unsafe entry name"):
        scan_path(bundle)


def test_symlink_entry_in_sapp_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.sapp"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("link.js")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ScanInputError, match="symbolic link"):
        scan_path(path)


def test_case_colliding_entries_are_refused(tmp_path: Path) -> None:
    bundle = _sapp(tmp_path / "a.sapp", {"App.js": b"1", "app.js": b"eval(x)"})
    with pytest.raises(ScanInputError, match="case-colliding"):
        scan_path(bundle)


def test_zip_bomb_entry_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    bundle = _sapp(tmp_path / "a.sapp", {"bomb.js": b"\0" * (8 << 20)})
    with pytest.raises(ScanInputError, match="expands"):
        scan_path(bundle)


def test_not_a_zip_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "a.sapp"
    path.write_bytes(b"not a zip")
    with pytest.raises(ScanInputError, match=r"not a readable \.sapp"):
        scan_path(path)


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScanInputError, match="no such folder or bundle"):
        scan_path(tmp_path / "nope")


def test_symlink_in_a_folder_is_not_followed_and_is_blocked(tmp_path: Path) -> None:
    outside = tmp_path / "outside.js"
    outside.write_text("eval(x)")
    app = tmp_path / "app"
    app.mkdir()
    os.symlink(outside, app / "linked.js")
    report = scan_path(app)
    assert [(f.rule_id, f.file) for f in report.findings] == [("SA602", "linked.js")]


def test_oversize_file_is_blocked_unscanned() -> None:
    from superapp.analysis import ScanLimits

    report = scan_files({"big.js": b"x" * 2048}, limits=ScanLimits(max_file_bytes=1024))
    assert [f.rule_id for f in report.blocking] == ["SA602"]


def test_file_loaded_by_script_src_is_scanned_whatever_its_extension() -> None:
    files = {
        "index.html": b'<script src="lib/code.txt"></script>',
        "lib/code.txt": b"window['ev'+'al'](location.hash)",
    }
    report = scan_files(files)
    assert [(f.rule_id, f.file) for f in report.blocking] == [("SA102", "lib/code.txt")]


def test_findings_in_inline_script_point_into_the_html_file() -> None:
    html = b"<html>\n<body>\n<script>\nvar a = 1;\n  eval(x);\n</script>\n</body></html>\n"
    report = scan_files({"index.html": html})
    f = report.blocking[0]
    assert (f.file, f.line, f.column, f.rule_id) == ("index.html", 5, 3, "SA101")


def test_findings_in_event_handler_point_at_the_attribute() -> None:
    html = b'<html>\n<body>\n<img src="a.png" onerror="eval(name)">\n</body></html>\n'
    f = scan_files({"index.html": html}).blocking[0]
    assert (f.line, f.column, f.rule_id) == (3, 27, "SA101")


def test_report_summary_and_audit_fields_name_the_blocking_rules() -> None:
    report = scan_files({"a.js": b"(0, eval)(x)\nnew Function(y)\n"})
    assert report.summary() == "1 block-level finding: SA102 a.js:1:1"
    fields = report.audit_fields()
    # SA704 (will not run under the CSP) accompanies each run-time code site.
    assert fields["scan_block"] == 1 and fields["scan_warn"] == 3
    assert fields["scan_rules"] == ["SA102", "SA103", "SA704"]
    clean = scan_files({"a.js": b"new Function(y)\n"})
    assert clean.summary() == "no block-level findings (2 warn, 0 info)"


def test_fetched_wasm_warns_only_when_the_bundle_also_spawns_workers() -> None:
    wasm = b"WebAssembly.instantiateStreaming(fetch('hash.wasm'));\n"
    alone = scan_files({"a.js": wasm})
    assert alone.findings == ()
    together = scan_files({"a.js": wasm, "b.js": b"new Worker('w.js');\n"})
    assert [(f.rule_id, f.file) for f in together.findings] == [("SA403", "a.js")]

"""``superapp validate`` (and the warnings ``pack``, ``install`` and ``scan`` print), through
the real CLI: stdout, stderr and exit codes are the contract (docs/cli.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from superapp.core.paths import Paths
from tests.bundles.builders import app_files, manifest, write_tree

INLINE_PAGE = b"""<!doctype html>
<html>
<head><script src="app.js"></script></head>
<body>
<script>document.title = 'inline';</script>
<button onclick="go()">Go</button>
</body>
</html>
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "superapp", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )


def _app(root: Path, **changes: Any) -> Path:
    files = app_files()
    if changes:
        files["manifest.json"] = json.dumps(manifest(**changes)).encode()
    return write_tree(root, files)


def test_valid_folder_exits_0(tmp_path: Path, superapp_home: Paths) -> None:
    out = _run("validate", str(_app(tmp_path / "app")))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("manifest.json: OK\n")
    assert out.stdout.rstrip().endswith("ready to pack")


def test_every_manifest_problem_is_listed_with_its_fix_and_exits_1(
    tmp_path: Path, superapp_home: Paths
) -> None:
    app = _app(
        tmp_path / "app",
        app_id="x",
        name="",
        version="1.0",
        superapp={"allowed_host": ["api.example.com"]},
    )
    out = _run("validate", str(app))
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert lines[0] == "manifest.json: 4 problems"
    problems = [line.strip() for line in lines if line.startswith("  ") and "fix:" not in line]
    assert [p.split(":", 1)[0] for p in problems] == [
        "app_id",
        "name",
        "version",
        "superapp.allowed_host",
    ]
    assert 'version: must be an object in braces { }, not a string ("1.0")' in problems
    fixes = [line.strip() for line in lines if line.strip().startswith("fix:")]
    assert len(fixes) == 4
    assert "fix: did you mean 'allowed_hosts'? Otherwise remove it (see docs/manifest.md)" in fixes
    assert "Input should be" not in out.stdout and "more problem" not in out.stdout
    assert "not ready" in lines[-1]


def test_missing_page_and_fake_icon_are_both_listed(tmp_path: Path, superapp_home: Paths) -> None:
    app = _app(tmp_path / "app")
    (app / "index.html").unlink()
    (app / "icon.png").write_bytes(b"GIF89a")
    out = _run("validate", "--json", str(app))
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["ok"] is False
    assert [p["field"] for p in doc["problems"]] == ["pages[0]", "icons[0].src"]
    assert all(p["fix"] for p in doc["problems"])


def test_csp_warnings_name_file_and_line_and_do_not_fail_unless_strict(
    tmp_path: Path, superapp_home: Paths
) -> None:
    app = _app(tmp_path / "app")
    (app / "index.html").write_bytes(INLINE_PAGE)
    out = _run("validate", str(app))
    assert out.returncode == 0
    assert "index.html:5:1: SA701 inline <script> will not run here" in out.stdout
    assert "index.html:6:18: SA702 <button onclick=" in out.stdout
    assert "ready to pack (2 warning(s) above)" in out.stdout
    strict = _run("validate", "--strict", str(app))
    assert strict.returncode == 1 and "--strict fails on the warnings" in strict.stdout


def test_block_level_code_fails_validate(tmp_path: Path, superapp_home: Paths) -> None:
    app = _app(tmp_path / "app")
    (app / "app.js").write_text("window.pywebview.api.read_file('/etc/passwd');\n")
    out = _run("validate", str(app))
    assert out.returncode == 1
    assert "error: app.js:1:" in out.stdout and "SA201" in out.stdout


def test_validate_of_something_that_is_not_a_folder_exits_2(
    tmp_path: Path, superapp_home: Paths
) -> None:
    out = _run("validate", str(tmp_path / "missing"))
    assert out.returncode == 2
    assert "is not a folder (validate takes the app's folder;" in out.stderr


def test_symlink_in_the_folder_is_a_problem_not_a_traceback(
    tmp_path: Path, superapp_home: Paths
) -> None:
    app = _app(tmp_path / "app")
    (app / "link.js").symlink_to("/etc/hostname")
    out = _run("validate", str(app))
    assert out.returncode == 1
    assert "symlinks are not allowed in a bundle" in out.stdout
    assert "Traceback" not in out.stderr


def test_pack_and_install_print_the_csp_warnings(tmp_path: Path, superapp_home: Paths) -> None:
    app = _app(tmp_path / "app")
    (app / "index.html").write_bytes(INLINE_PAGE)
    keys = tmp_path / "keys"
    assert _run("keygen", "--out", str(keys)).returncode == 0
    bundle = tmp_path / "app.sapp"
    packed = _run("pack", str(app), "--key", str(keys / "publisher.key"), "--out", str(bundle))
    assert packed.returncode == 0, packed.stderr
    for out in (packed,):
        assert "warning: index.html:5:1: SA701 inline <script> will not run here" in out.stderr
    assert _run("trust", "add", str(keys / "publisher.pub")).returncode == 0
    installed = _run("install", str(bundle))
    assert installed.returncode == 0, installed.stderr
    assert "warning: index.html:5:1: SA701 inline <script> will not run here" in installed.stderr
    assert "warning: index.html:6:18: SA702" in installed.stderr
    assert "2 warning(s)" in installed.stderr
    # stdout stays the install report (and --json stays one JSON document).
    assert "SA701" not in installed.stdout


def test_install_warning_text_is_inert(tmp_path: Path, superapp_home: Paths) -> None:
    app = _app(tmp_path / "app")
    # A bundle's markup is quoted in the warning; a control sequence in it must stay text.
    (app / "index.html").write_bytes(b'<a on\x1b[2Jclick="y()">t</a>')
    keys = tmp_path / "keys"
    assert _run("keygen", "--out", str(keys)).returncode == 0
    bundle = tmp_path / "app.sapp"
    packed = _run("pack", str(app), "--key", str(keys / "publisher.key"), "--out", str(bundle))
    assert packed.returncode == 0, packed.stderr
    assert "SA702" in packed.stderr
    assert "\x1b" not in packed.stderr
    assert "<a on\\x1b[2jclick=" in packed.stderr


def test_scan_fails_on_a_manifest_that_does_not_parse(tmp_path: Path, superapp_home: Paths) -> None:
    app = _app(tmp_path / "app")
    (app / "manifest.json").write_text('{"app_id": "com.example.notes",}')
    out = _run("scan", str(app))
    assert out.returncode == 1
    assert "manifest.json is not valid JSON" in out.stderr
    # A manifest that parses but is incomplete is noted; the code verdict decides.
    (app / "manifest.json").write_text('{"superapp": {"allowed_hosts": []}}')
    noted = _run("scan", str(app))
    assert noted.returncode == 0
    assert "note: manifest.json: app_id: required field is missing" in noted.stderr

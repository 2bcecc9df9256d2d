"""``superapp new``: the generated app is complete, valid, and packs, signs and installs with
the real CLI (its UI test in a real window: tests/e2e/test_new_app.py)."""

from __future__ import annotations

import ast
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from superapp.analysis import scan_files
from superapp.bundles import collect_files, parse_manifest
from superapp.bundles._manifest import ICON_TYPES
from superapp.core.paths import Paths
from superapp.resources import (
    asset_text,
    manifest_schema_text,
    template_names,
    template_text,
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "superapp", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )


def _ok(*args: str) -> subprocess.CompletedProcess[str]:
    out = _run(*args)
    assert out.returncode == 0, out.stderr
    return out


@pytest.fixture
def app(tmp_path: Path, superapp_home: Paths) -> Path:
    target = tmp_path / "weather-now"
    out = _ok("new", str(target))
    assert "created" in out.stdout and "com.example.weather-now" in out.stdout
    return target


def test_new_app_has_every_promised_file(app: Path) -> None:
    for rel in (
        "manifest.json",
        "index.html",
        "app.js",
        "style.css",
        "icon.png",
        "superapp.d.ts",
        ".sappignore",
        ".superapp/manifest.schema.json",
        "tests/test_app.py",
        "tests/conftest.py",
    ):
        assert (app / rel).is_file(), rel
    manifest = parse_manifest((app / "manifest.json").read_bytes())
    assert manifest.app_id == "com.example.weather-now"
    assert manifest.name == "Weather Now"
    assert manifest.version.code == 1
    assert manifest.entry_page == "index.html"
    assert [p.name for p in manifest.req_permissions] == ["storage"]
    # The page loads its script from a file: nothing the CSP would refuse, nothing at all
    # for the analyser to say.
    assert '<script src="app.js" defer></script>' in (app / "index.html").read_text()
    assert scan_files(collect_files(app)).findings == ()


def test_generated_icon_is_a_real_png(app: Path) -> None:
    data = (app / "icon.png").read_bytes()
    assert data.startswith(ICON_TYPES["png"][0])
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, colour) == (128, 128, 8, 6)
    idat_len = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    raw = zlib.decompress(data[41 : 41 + idat_len])
    assert len(raw) == 128 * (1 + 128 * 4)


def test_editor_files_match_this_host(app: Path) -> None:
    assert (app / "superapp.d.ts").read_text() == asset_text("superapp.d.ts")
    assert "callNative" in (app / "superapp.d.ts").read_text()
    schema = (app / ".superapp/manifest.schema.json").read_text()
    assert schema == manifest_schema_text()
    manifest = json.loads((app / "manifest.json").read_text())
    assert manifest["$schema"] == "./.superapp/manifest.schema.json"


def test_generated_manifest_validates_against_the_published_schema(app: Path) -> None:
    import jsonschema

    schema = json.loads(manifest_schema_text())
    assert schema["$id"] == "urn:superapp:schema:manifest:1"
    jsonschema.Draft202012Validator(schema).validate(
        json.loads((app / "manifest.json").read_text())
    )


def test_generated_ui_test_is_written_against_the_miniapp_fixture(app: Path) -> None:
    tree = ast.parse((app / "tests/test_app.py").read_text())
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert tests and all([a.arg for a in t.args.args] == ["miniapp"] for t in tests)
    conftest = (app / "tests/conftest.py").read_text()
    assert "def miniapp_source() -> Path:" in conftest


def test_new_app_validates_packs_signs_and_installs(app: Path, tmp_path: Path) -> None:
    out = _ok("validate", str(app))
    assert "code: 0 error, 0 warning, 0 note" in out.stdout
    assert out.stdout.rstrip().endswith(": ready to pack")
    keys = tmp_path / "keys"
    _ok("keygen", "--out", str(keys))
    bundle = tmp_path / "weather.sapp"
    packed = _ok("pack", str(app), "--key", str(keys / "publisher.key"), "--out", str(bundle))
    assert packed.stderr == ""  # no analyser warnings for the template
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
    # .sappignore keeps the tests, editor files and README out; dot-files never go in.
    assert names == {
        "manifest.json",
        "index.html",
        "app.js",
        "style.css",
        "icon.png",
        "META-INF/signature.json",
    }
    _ok("trust", "add", str(keys / "publisher.pub"))
    installed = _ok("install", str(bundle))
    assert "installed Weather Now" in installed.stdout and installed.stderr == ""
    listed = _ok("list", "--json")
    assert [a["app_id"] for a in json.loads(listed.stdout)] == ["com.example.weather-now"]


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path, superapp_home: Paths) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    out = _run("new", str(target))
    assert out.returncode == 2
    assert "already exists and is not empty" in out.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".superapp-new-")]


def test_new_fills_an_empty_working_directory_in_place(
    tmp_path: Path, superapp_home: Paths
) -> None:
    here = tmp_path / "shopping-list"
    here.mkdir()
    inode = here.stat().st_ino
    out = subprocess.run(
        [sys.executable, "-m", "superapp", "new", "."],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=here,
        env=os.environ.copy(),
    )
    assert out.returncode == 0, out.stderr
    # The folder the shell stands in is the same folder, now holding the app.
    assert here.stat().st_ino == inode
    manifest = parse_manifest((here / "manifest.json").read_bytes())
    assert (manifest.app_id, manifest.name) == ("com.example.shopping-list", "Shopping List")
    assert not [p for p in here.iterdir() if p.name.startswith(".superapp-new-")]


def test_new_takes_an_app_id_and_name_and_refuses_a_bad_id(
    tmp_path: Path, superapp_home: Paths
) -> None:
    target = tmp_path / "x"
    _ok("new", str(target), "--app-id", "org.example.hello", "--name", 'Hello "World" <3')
    manifest = parse_manifest((target / "manifest.json").read_bytes())
    assert (manifest.app_id, manifest.name) == ("org.example.hello", 'Hello "World" <3')
    assert "<title>Hello &quot;World&quot; &lt;3</title>" in (target / "index.html").read_text()
    bad = _run("new", str(tmp_path / "y"), "--app-id", "Not An Id")
    assert bad.returncode == 2 and "is not a reverse-DNS id" in bad.stderr
    assert not (tmp_path / "y").exists()


def test_templates_are_package_data_with_a_default() -> None:
    names = template_names()
    assert "default" in names
    for name in names:
        index = json.loads(template_text(name, "template.json"))
        assert "manifest.json" in index["files"] and index["description"]
        for source in index["files"].values():
            assert template_text(name, source)
    bad = _run("new", "somewhere", "--template", "nope")
    assert bad.returncode == 2 and "unknown choice 'nope'" in bad.stderr


def test_generated_files_are_what_pack_collects(app: Path) -> None:
    # collect_files is pack's view: the ignore file is honoured for dev and validate too.
    assert "tests/test_app.py" not in collect_files(app)


def test_dual_template_makes_a_dual_mode_app_that_validates_and_packs(
    tmp_path: Path, superapp_home: Paths
) -> None:
    app = tmp_path / "dual-counter"
    out = _ok("new", str(app), "--template", "dual")
    assert "template dual" in out.stdout
    manifest = parse_manifest((app / "manifest.json").read_bytes())
    assert manifest.superapp.mode == "dual" and manifest.superapp.logic == ["logic.js"]
    assert [p.name for p in manifest.req_permissions] == ["storage"]
    view, logic = (app / "view.js").read_text(), (app / "logic.js").read_text()
    # The view has no door of its own: it talks to the logic, which alone calls the host.
    assert "postToLogic" in view and "onLogicMessage" in view and "callNative(" not in view
    assert "callNative" in logic and "postToView" in logic and "onViewMessage" in logic
    assert '<script src="view.js" defer></script>' in (app / "index.html").read_text()
    assert scan_files(collect_files(app)).findings == ()
    tree = ast.parse((app / "tests/test_app.py").read_text())
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert tests and all([a.arg for a in t.args.args] == ["miniapp"] for t in tests)
    checked = _ok("validate", str(app))
    assert "code: 0 error, 0 warning, 0 note" in checked.stdout
    keys = tmp_path / "keys"
    _ok("keygen", "--out", str(keys))
    bundle = tmp_path / "dual.sapp"
    packed = _ok("pack", str(app), "--key", str(keys / "publisher.key"), "--out", str(bundle))
    assert packed.stderr == ""
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
    assert names == {
        "manifest.json",
        "index.html",
        "view.js",
        "logic.js",
        "style.css",
        "icon.png",
        "META-INF/signature.json",
    }

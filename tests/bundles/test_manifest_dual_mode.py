"""``superapp.mode`` and ``superapp.logic``: dual mode is opt-in, by name (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from superapp.bundles import load_manifest_dir, parse_manifest
from superapp.core.errors import ManifestError
from tests.bundles.builders import app_files, manifest, write_tree


def _with(**ext: Any) -> bytes:
    doc = manifest()
    doc["superapp"].update(ext)
    return json.dumps(doc).encode()


def test_single_page_mode_is_the_default() -> None:
    ext = parse_manifest(json.dumps(manifest()).encode()).superapp
    assert (ext.mode, ext.logic) == ("single", [])


def test_dual_mode_names_its_logic_scripts_in_order() -> None:
    ext = parse_manifest(_with(mode="dual", logic=["b.js", "lib/a.js"])).superapp
    assert (ext.mode, ext.logic) == ("dual", ["b.js", "lib/a.js"])


@pytest.mark.parametrize(
    ("ext", "expected"),
    [
        ({"mode": "dual"}, "superapp: mode 'dual' needs at least one script in 'logic'"),
        ({"logic": ["a.js"]}, "superapp: 'logic' is only used in mode 'dual'"),
        ({"mode": "Dual", "logic": ["a.js"]}, "superapp.mode"),
        ({"mode": "dual", "logic": ["a.js", "a.js"]}, "listed twice in logic"),
        ({"mode": "dual", "logic": ["a.mjs"]}, "superapp.logic[0]: 'a.mjs' is not a .js file"),
        ({"mode": "dual", "logic": ["../a.js"]}, "superapp.logic[0]"),
        ({"mode": "dual", "logic": ["__superapp/logic-worker.js"]}, "are the host's"),
        ({"mode": "dual", "logic": [f"s{i}.js" for i in range(17)]}, "superapp.logic"),
    ],
    ids=[
        "no-logic",
        "logic-without-dual",
        "case",
        "twice",
        "not-js",
        "dotdot",
        "reserved",
        "too-many",
    ],
)
def test_bad_dual_mode_fields_are_refused_naming_the_field(
    ext: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ManifestError) as info:
        parse_manifest(_with(**ext))
    assert expected in str(info.value)


def test_dual_mode_pages_may_not_use_the_hosts_paths() -> None:
    doc = manifest(pages=["__superapp/logic.html"])
    doc["superapp"].update(mode="dual", logic=["a.js"])
    with pytest.raises(ManifestError) as info:
        parse_manifest(json.dumps(doc).encode())
    assert "pages[0]" in str(info.value) and "host's" in str(info.value)


def test_dual_mode_logic_scripts_must_be_in_the_bundle(tmp_path: Path) -> None:
    files = app_files()
    doc = json.loads(files["manifest.json"])
    doc["superapp"].update(mode="dual", logic=["logic.js"])
    files["manifest.json"] = json.dumps(doc).encode()
    write_tree(tmp_path / "app", files)
    with pytest.raises(ManifestError) as info:
        load_manifest_dir(tmp_path / "app")
    assert "superapp.logic[0]: file 'logic.js' is not in the bundle" in str(info.value)
    (tmp_path / "app" / "logic.js").write_text("postToView({});", encoding="utf-8")
    assert load_manifest_dir(tmp_path / "app").superapp.logic == ["logic.js"]

"""The manifest's import map (``superapp.importmap``): what is refused and why, in pack, dev
and install alike (``Manifest.check_files``), and how the host renders it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from superapp.bundles import load_manifest_dir
from superapp.bundles._importmap import ImportMapLimits, parse_import_map
from superapp.core.errors import ManifestError

FILES = {"vendor/lit/index.js": b"", "vendor/lit/html.js": b"", "app.js": b"", "index.html": b""}


def _parse(doc: object, path: str = "importmap.json", files: object = FILES) -> object:
    return parse_import_map(json.dumps(doc).encode(), path, files)  # type: ignore[arg-type]


def test_bare_and_prefix_specifiers_resolve_to_bundle_paths() -> None:
    result = _parse(
        {
            "imports": {"lit": "./vendor/lit/index.js", "lit/": "./vendor/lit/"},
            "scopes": {"./vendor/": {"x": "/app.js"}},
        }
    )
    assert result.imports == {"lit": "vendor/lit/index.js", "lit/": "vendor/lit/"}  # type: ignore[attr-defined]
    assert result.scopes == {"vendor/": {"x": "app.js"}}  # type: ignore[attr-defined]


def test_targets_are_relative_to_the_map_file() -> None:
    result = _parse({"imports": {"lit": "../vendor/lit/index.js"}}, path="maps/importmap.json")
    assert result.imports == {"lit": "vendor/lit/index.js"}  # type: ignore[attr-defined]


BAD_TARGETS = [
    ("data", "data:text/javascript,alert(1)", "not inside the bundle"),
    ("blob", "blob:app://x/1", "not inside the bundle"),
    ("javascript", "javascript:alert(1)", "not inside the bundle"),
    ("https-allowlisted", "https://cdn.example.com/lit.js", "refused by the app's CSP"),
    ("protocol-relative", "//cdn.example.com/lit.js", "not inside the bundle"),
    ("other-app", "app://com.other.app/x.js", "not inside the bundle"),
    ("dotdot-escape", "./../../etc/passwd", "outside the bundle"),
    ("bare-target", "vendor/lit/index.js", "must start with"),
    ("query", "./app.js?x=1", "no query or fragment"),
    ("missing-file", "./vendor/lit/nope.js", "is not in the bundle"),
    ("empty-folder", "./nothing/", "no file of the bundle is in that folder"),
    ("meta-inf", "./META-INF/signature.json", "reserved for the host"),
]


@pytest.mark.parametrize(
    ("target", "why"), [(t, w) for _i, t, w in BAD_TARGETS], ids=[i for i, _t, _w in BAD_TARGETS]
)
def test_target_outside_the_bundle_is_refused(target: str, why: str) -> None:
    with pytest.raises(ManifestError, match=r"importmap\.json: imports\['lit'\]") as err:
        _parse({"imports": {"lit": target}})
    assert why in str(err.value)


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ([], "top level must be a JSON object"),
        ({"imports": {}, "integrity": {}}, "unknown key 'integrity'"),
        ({"imports": {}}, "maps nothing"),
        ({"imports": {"lit/": "./vendor/lit/index.js"}}, "needs a target ending in '/'"),
        ({"imports": {"": "./app.js"}}, "non-empty text"),
        ({"imports": {"a\u001b": "./app.js"}}, "control characters"),
        ({"imports": {"x": 3}}, "non-empty text"),
        ({"imports": {}, "scopes": {"https://evil.example/": {"x": "./app.js"}}}, "not inside"),
    ],
    ids=["array", "integrity", "empty", "prefix", "empty-spec", "control", "number", "scope"],
)
def test_malformed_map_is_refused_with_the_reason(doc: object, why: str) -> None:
    with pytest.raises(ManifestError, match=r"importmap\.json") as err:
        _parse(doc)
    assert why in str(err.value)


def test_limits_hold() -> None:
    many = {f"m{i}": "./app.js" for i in range(5)}
    with pytest.raises(ManifestError, match="more than 4 entries"):
        parse_import_map(
            json.dumps({"imports": many}).encode(), "m.json", FILES, ImportMapLimits(max_entries=4)
        )
    with pytest.raises(ManifestError, match="larger than"):
        parse_import_map(b" " * 70_000, "m.json")
    with pytest.raises(ManifestError, match="not a UTF-8 JSON"):
        parse_import_map(b'{"imports": NaN}', "m.json")


def test_render_is_absolute_inert_ascii_json() -> None:
    result = parse_import_map(
        json.dumps(
            {"imports": {"</script><script>alert(1)</script>": "./app.js", "é": "./app.js"}}
        ).encode(),
        "importmap.json",
        FILES,
    )
    text = result.render("app://com.example.app")
    assert text.isascii() and "<" not in text and ">" not in text and "&" not in text
    assert (
        json.loads(text)["imports"]["</script><script>alert(1)</script>"]
        == "app://com.example.app/app.js"
    )
    assert json.loads(text)["imports"]["é"] == "app://com.example.app/app.js"


def _app(tmp_path: Path, importmap: object, name: str = "importmap.json") -> Path:
    (tmp_path / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (tmp_path / "app.js").write_text("", encoding="utf-8")
    (tmp_path / name).write_text(json.dumps(importmap), encoding="utf-8")
    manifest = {
        "app_id": "com.example.maps",
        "name": "Maps",
        "version": {"name": "1", "code": 1},
        "superapp": {"importmap": name},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return tmp_path


def test_manifest_names_the_field_and_the_entry(tmp_path: Path) -> None:
    folder = _app(tmp_path, {"imports": {"x": "data:text/javascript,1"}})
    with pytest.raises(ManifestError) as err:
        load_manifest_dir(folder)
    assert str(err.value).startswith(
        "manifest.json: superapp.importmap: importmap.json: imports['x']"
    )


def test_manifest_accepts_a_good_map_and_refuses_a_missing_file(tmp_path: Path) -> None:
    folder = _app(tmp_path, {"imports": {"x": "./app.js"}})
    assert load_manifest_dir(folder).superapp.importmap == "importmap.json"
    (folder / "importmap.json").unlink()
    with pytest.raises(
        ManifestError, match=r"superapp\.importmap: file 'importmap\.json' is not in the bundle"
    ):
        load_manifest_dir(folder)


def test_manifest_refuses_a_map_that_is_not_json_by_name(tmp_path: Path) -> None:
    folder = _app(tmp_path, {"imports": {"x": "./app.js"}}, name="importmap.js")
    with pytest.raises(ManifestError, match=r"is not a \.json file"):
        load_manifest_dir(folder)


def test_pack_refuses_a_map_pointing_outside_the_bundle(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from superapp.bundles import pack_dir

    folder = _app(tmp_path, {"imports": {"x": "blob:app://com.example.maps/1"}})
    with pytest.raises(
        ManifestError, match=r"superapp\.importmap: importmap\.json: imports\['x'\]"
    ):
        pack_dir(folder, Ed25519PrivateKey.generate())

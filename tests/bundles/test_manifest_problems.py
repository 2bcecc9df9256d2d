"""Manifest problems in plain words: every problem at once, each with its field and a fix."""

from __future__ import annotations

import json
from typing import Any

import pytest

from superapp.bundles import parse_manifest
from superapp.bundles._manifest import check_manifest
from superapp.core.errors import ManifestError
from tests.bundles.builders import app_files, manifest

_PYDANTIC_WORDS = ("Input should be", "instance of", "valid dictionary", "Value error", "pydantic")


def _problems(doc: Any) -> list[tuple[str, str, str]]:
    parsed, problems = check_manifest(json.dumps(doc).encode())
    assert parsed is None
    return [(p.field, p.message, p.fix) for p in problems]


def test_version_as_a_string_is_explained_without_pydantic_words() -> None:
    [(field, message, fix)] = _problems(manifest(version="1.0"))
    assert field == "version"
    assert message == 'must be an object in braces { }, not a string ("1.0")'
    assert '"version": {"name": "1.0.0", "code": 1}' in fix
    with pytest.raises(ManifestError) as info:
        parse_manifest(json.dumps(manifest(version="1.0")).encode())
    for words in _PYDANTIC_WORDS:
        assert words not in str(info.value)


def test_every_problem_is_reported_at_once_with_a_fix() -> None:
    doc = manifest(app_id="x", name="", version={"name": "1", "code": "1"})
    doc["superapp"] = {"allowed_host": ["api.example.com"]}
    doc["req_permissions"] = [{"name": "camera"}]
    found = _problems(doc)
    fields = [f for f, _, _ in found]
    assert fields == [
        "app_id",
        "name",
        "version.code",
        "req_permissions[0].name",
        "superapp.allowed_host",
    ]
    by_field = {f: (m, fix) for f, m, fix in found}
    assert (
        by_field["version.code"][0] == 'must be a whole number without quotes, not a string ("1")'
    )
    assert by_field["superapp.allowed_host"][1].startswith("did you mean 'allowed_hosts'?")
    assert by_field["req_permissions[0].name"][1].startswith("did you mean 'media:camera'?")
    assert all(fix for _, _, fix in found)
    for _, message, fix in found:
        for words in _PYDANTIC_WORDS:
            assert words not in message and words not in fix
    with pytest.raises(ManifestError) as info:
        parse_manifest(json.dumps(doc).encode())
    assert str(info.value).startswith("manifest.json has 5 problems: app_id: ")
    assert "more problem" not in str(info.value)


def test_host_setting_at_the_top_level_is_pointed_into_superapp() -> None:
    [(field, _, fix)] = _problems(manifest(engine_storage="persistent"))
    assert field == "engine_storage"
    assert 'move it into the "superapp" object' in fix


def test_schema_reference_is_accepted_and_ignored() -> None:
    doc = {"$schema": "./.superapp/manifest.schema.json", **manifest()}
    parsed = parse_manifest(json.dumps(doc).encode())
    assert parsed.app_id == "com.example.notes"
    assert _problems({"$schema": 5, **manifest()})[0][0] == "$schema"


def test_missing_and_fake_files_are_all_listed() -> None:
    files = app_files()
    parsed = parse_manifest(files["manifest.json"])
    files.pop("index.html")
    files["icon.png"] = b"GIF89a not a png"
    problems = parsed.file_problems(files)
    assert [p.field for p in problems] == ["pages[0]", "icons[0].src"]
    assert "is not in the bundle" in problems[0].message
    assert "is not a PNG image" in problems[1].message
    with pytest.raises(ManifestError, match=r"manifest\.json has 2 problems"):
        parsed.check_files(files)

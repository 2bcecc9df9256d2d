"""``superapp.engine_storage``: in memory unless the manifest opts in, by name (issue 12)."""

from __future__ import annotations

import json

import pytest

from superapp.bundles import parse_manifest
from superapp.core.errors import ManifestError
from tests.bundles.builders import manifest


def _with(value: object) -> bytes:
    doc = manifest()
    doc["superapp"]["engine_storage"] = value
    return json.dumps(doc).encode()


def test_engine_storage_is_in_memory_unless_the_manifest_opts_in() -> None:
    assert parse_manifest(json.dumps(manifest()).encode()).superapp.engine_storage == "memory"
    assert parse_manifest(_with("persistent")).superapp.engine_storage == "persistent"
    assert parse_manifest(_with("memory")).superapp.engine_storage == "memory"


@pytest.mark.parametrize("value", ["disk", "Persistent", True, 1, None], ids=repr)
def test_unknown_engine_storage_mode_is_refused_naming_the_field(value: object) -> None:
    with pytest.raises(ManifestError) as info:
        parse_manifest(_with(value))
    assert "superapp.engine_storage" in str(info.value)

"""docs/manifest.schema.json is generated from the model and must be kept up to date."""

from __future__ import annotations

import json

from superapp.bundles import schema


def test_shipped_schema_is_up_to_date() -> None:
    assert schema.SCHEMA_PATH.read_text(encoding="utf-8") == schema.render(), (
        "run: python -m superapp.bundles.schema --write"
    )
    assert schema.main(["--check"]) == 0


def test_packaged_schema_is_the_published_one() -> None:
    from superapp.resources import manifest_schema_text

    assert manifest_schema_text() == schema.SCHEMA_PATH.read_text(encoding="utf-8")


def test_schema_refuses_unknown_fields_and_names_capabilities() -> None:
    doc = json.loads(schema.render())
    assert doc["additionalProperties"] is False
    assert doc["$defs"]["SuperappExtension"]["additionalProperties"] is False
    assert "storage" in doc["$defs"]["Permission"]["properties"]["name"]["enum"]
    assert set(doc["required"]) == {"app_id", "name", "version"}

"""Generate the manifest's JSON Schema from the ``Manifest`` model.

    python -m superapp.bundles.schema            # print the schema
    python -m superapp.bundles.schema --write    # write both copies (below)
    python -m superapp.bundles.schema --check    # exit 1 if either copy is out of date

Two copies, both generated, both checked by the test suite: ``docs/manifest.schema.json`` for
people and editors, and ``superapp/bundles/manifest.schema.json``, package data that an installed
wheel reads through :func:`superapp.resources.manifest_schema_text` (the repository's ``docs/``
folder is not shipped).

The schema lets editors check a ``manifest.json`` as it is typed; the host itself validates
with the model, which also runs checks a schema cannot express (references to bundle files,
``allow_http_hosts`` being a subset of ``allowed_hosts``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from superapp.bundles._manifest import Manifest

__all__ = [
    "PACKAGED_SCHEMA_PATH",
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "main",
    "manifest_schema",
    "render",
]

#: The copy for people (exists in the repository only; --write/--check are developer tools).
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "manifest.schema.json"
#: The copy shipped as package data.
PACKAGED_SCHEMA_PATH = Path(__file__).resolve().parent / "manifest.schema.json"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: The schema's identity. A URN, not a URL: the project publishes the file itself (docs/ and
#: package data; ``superapp new`` copies it into each app), and a URL we do not serve would
#: invite editors to fetch it. Bump the trailing number when a change is incompatible.
SCHEMA_ID = "urn:superapp:schema:manifest:1"


def manifest_schema() -> dict[str, Any]:
    schema = Manifest.model_json_schema(mode="validation", by_alias=True)
    return {"$schema": _DIALECT, "$id": SCHEMA_ID, **schema}


def render() -> str:
    return json.dumps(manifest_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m superapp.bundles.schema")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="write both copies")
    group.add_argument("--check", action="store_true", help="exit 1 if a copy is stale")
    args = parser.parse_args(argv)
    text = render()
    targets = (SCHEMA_PATH, PACKAGED_SCHEMA_PATH)
    if args.write:
        for target in targets:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
        return 0
    if args.check:
        for target in targets:
            current = target.read_text(encoding="utf-8") if target.exists() else ""
            if current != text:
                print(f"{target} is out of date: run python -m superapp.bundles.schema --write")
                return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

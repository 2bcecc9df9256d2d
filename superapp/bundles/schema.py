"""Generate ``docs/manifest.schema.json`` from the ``Manifest`` model.

    python -m superapp.bundles.schema            # print the schema
    python -m superapp.bundles.schema --write    # write docs/manifest.schema.json
    python -m superapp.bundles.schema --check    # exit 1 if the file is out of date

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

__all__ = ["SCHEMA_PATH", "main", "manifest_schema", "render"]

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "manifest.schema.json"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def manifest_schema() -> dict[str, Any]:
    schema = Manifest.model_json_schema(mode="validation")
    return {"$schema": _DIALECT, **schema}


def render() -> str:
    return json.dumps(manifest_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m superapp.bundles.schema")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help=f"write {SCHEMA_PATH.name}")
    group.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        SCHEMA_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_PATH}")
        return 0
    if args.check:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is out of date: run python -m superapp.bundles.schema --write")
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

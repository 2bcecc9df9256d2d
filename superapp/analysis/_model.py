"""Findings and the scan report, with its JSON and SARIF 2.1.0 renderings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from superapp import __version__
from superapp.analysis._rules import RULES, Severity

__all__ = ["Finding", "ScanReport"]

_SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "superapp-scan"


@dataclass(frozen=True, order=True)
class Finding:
    """One rule hit. ``line`` and ``column`` are 1-based; columns count code points."""

    file: str
    line: int
    column: int
    rule_id: str
    message: str
    snippet: str = ""
    #: Set when an inline suppression comment covers this (warn-level) finding.
    suppressed_by: str | None = field(default=None, compare=False)

    @property
    def severity(self) -> str:
        return RULES[self.rule_id].severity.value

    @property
    def rule_name(self) -> str:
        return RULES[self.rule_id].name

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "rule": self.rule_name,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "snippet": self.snippet,
        }
        if self.suppressed_by is not None:
            out["suppressed_by"] = self.suppressed_by
        return out


@dataclass(frozen=True)
class ScanReport:
    """The result of scanning one bundle. ``findings`` excludes suppressed ones."""

    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...] = ()
    files_scanned: int = 0
    bytes_scanned: int = 0

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == Severity.BLOCK.value)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == Severity.WARN.value)

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity] += 1
        return out

    def summary(self, limit: int = 3) -> str:
        """One line for an install refusal or an audit reason, e.g.
        ``2 block-level findings: SA102 app.js:3:1, SA201 index.html:9:5``."""
        c = self.counts()
        if not self.blocking:
            return f"no block-level findings ({c['warn']} warn, {c['info']} info)"
        shown = ", ".join(
            f"{f.rule_id} {f.file}:{f.line}:{f.column}" for f in self.blocking[:limit]
        )
        more = f", and {len(self.blocking) - limit} more" if len(self.blocking) > limit else ""
        noun = "finding" if len(self.blocking) == 1 else "findings"
        return f"{len(self.blocking)} block-level {noun}: {shown}{more}"

    def audit_fields(self) -> dict[str, Any]:
        """Fields for ``AuditLog.record(..., **report.audit_fields())`` (no code, no paths
        outside the bundle)."""
        c = self.counts()
        return {
            "scan_block": c["block"],
            "scan_warn": c["warn"],
            "scan_info": c["info"],
            "scan_suppressed": len(self.suppressed),
            "scan_rules": sorted({f.rule_id for f in self.findings if f.severity != "info"}),
            "scan_files": self.files_scanned,
            "scan_bytes": self.bytes_scanned,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": {"name": TOOL_NAME, "version": __version__},
            "summary": {
                **self.counts(),
                "suppressed": len(self.suppressed),
                "files_scanned": self.files_scanned,
                "bytes_scanned": self.bytes_scanned,
            },
            "findings": [f.to_json() for f in self.findings],
            "suppressed": [f.to_json() for f in self.suppressed],
        }

    def to_sarif(self) -> dict[str, Any]:
        """SARIF 2.1.0, accepted by GitHub code scanning and VS Code's SARIF viewer.

        Locations are relative URIs under ``%SRCROOT%`` (the bundle root); no host path is
        included. Suppressed findings are kept, with an ``inSource`` suppression.
        """
        rule_ids = sorted(RULES)
        index = {rid: i for i, rid in enumerate(rule_ids)}
        rules = [_sarif_rule(rid) for rid in rule_ids]
        results = [_sarif_result(f, index[f.rule_id]) for f in self.findings]
        results += [_sarif_result(f, index[f.rule_id]) for f in self.suppressed]
        return {
            "$schema": _SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": TOOL_NAME,
                            "version": __version__,
                            "semanticVersion": __version__,
                            "rules": rules,
                        }
                    },
                    "columnKind": "unicodeCodePoints",
                    "results": results,
                }
            ],
        }


def _sarif_rule(rule_id: str) -> dict[str, Any]:
    r = RULES[rule_id]
    return {
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": f"{r.summary}. {r.rationale}"},
        "help": {
            "text": f"{r.rationale} See {r.doc_anchor}.",
            "markdown": f"{r.rationale} See `{r.doc_anchor}`.",
        },
        "defaultConfiguration": {"level": r.severity.sarif_level},
        "properties": {"severity": r.severity.value, "tags": ["security"]},
    }


def _sarif_result(f: Finding, rule_index: int) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": f.line, "startColumn": f.column}
    if f.snippet:
        region["snippet"] = {"text": f.snippet}
    fingerprint = hashlib.sha256(
        f"{f.rule_id}\0{f.file}\0{f.snippet}".encode("utf-8", "surrogatepass")
    ).hexdigest()[:32]
    out: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": RULES[f.rule_id].severity.sarif_level,
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(f.file), "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {"superappScan/v1": fingerprint},
    }
    if f.suppressed_by is not None:
        out["suppressions"] = [{"kind": "inSource", "justification": f.suppressed_by}]
    return out

"""Static analysis of mini-app bundles: refuse known-malicious code before anything runs.

JavaScript (files, inline ``<script>``, ``on*`` handlers, ``javascript:`` URLs) is parsed
with tree-sitter and rules run on the syntax tree, with constant folding of simple string
expressions and resolution of aliases, so ``window['ev'+'al']`` is ``eval``. Every rule is
listed in ``RULES`` and documented in ``docs/rules.md``.

    report = scan_path(Path("app.sapp"))          # or scan_files({...}, allowed_hosts)
    if report.blocking: refuse(report)
    json.dumps(report.to_sarif())
"""

from superapp.analysis._denylist import Denylist, DenylistError
from superapp.analysis._limits import DEFAULT_LIMITS, ScanLimits
from superapp.analysis._model import Finding, ScanReport
from superapp.analysis._rules import RULES, Rule, Severity
from superapp.analysis._scan import ScanInputError, read_bundle, scan_files, scan_path

__all__ = [
    "DEFAULT_LIMITS",
    "RULES",
    "Denylist",
    "DenylistError",
    "Finding",
    "Rule",
    "ScanInputError",
    "ScanLimits",
    "ScanReport",
    "Severity",
    "read_bundle",
    "scan_files",
    "scan_path",
]

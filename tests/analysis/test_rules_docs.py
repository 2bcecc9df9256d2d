"""Every rule has its section in docs/rules.md with its severity."""

from __future__ import annotations

import re

from superapp.analysis import RULES
from tests.analysis._libraries import REPO

DOC = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")


def test_every_rule_has_a_doc_section_stating_its_severity() -> None:
    for rule in RULES.values():
        m = re.search(rf"^### {rule.id} {rule.name}\n\*\*(\w+)\.\*\*", DOC, re.MULTILINE)
        assert m is not None, f"docs/rules.md has no section '### {rule.id} {rule.name}'"
        assert m.group(1) == rule.severity.value, rule.id


def test_doc_anchor_matches_the_heading() -> None:
    for rule in RULES.values():
        assert rule.doc_anchor == f"docs/rules.md#{rule.id.lower()}-{rule.name}"

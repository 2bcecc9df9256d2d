"""The denylist refuses known-bad files by digest, from the packaged list or a file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from superapp.analysis import Denylist, DenylistError, scan_files

TEST_FILE = b"superapp-scan denylist test file: this file is reported by rule SA601.\n"


def test_packaged_test_entry_is_refused_under_any_name() -> None:
    report = scan_files({"assets/innocent.png": TEST_FILE})
    assert [(f.rule_id, f.file) for f in report.blocking] == [("SA601", "assets/innocent.png")]


def test_denylist_from_a_file_is_merged_with_the_packaged_one(tmp_path: Path) -> None:
    bad = b"console.log('looks fine')\n"
    digest = hashlib.sha256(bad).hexdigest()
    listing = tmp_path / "deny.txt"
    listing.write_text(f"# local additions\n\n{digest.upper()}  sample dropper\n")
    deny = Denylist.default([listing])
    report = scan_files({"a.js": bad, "b.bin": TEST_FILE}, denylist=deny)
    assert [(f.rule_id, f.file) for f in report.blocking] == [("SA601", "a.js"), ("SA601", "b.bin")]
    assert "sample dropper" in report.blocking[0].message
    assert scan_files({"a.js": bad}).blocking == ()


def test_malformed_denylist_line_refuses_the_whole_file(tmp_path: Path) -> None:
    listing = tmp_path / "deny.txt"
    listing.write_text("a" * 64 + "\nnot-a-digest\n")
    with pytest.raises(DenylistError, match=r"deny.txt:2: expected a 64-hex-digit SHA-256"):
        Denylist.load(listing)


def test_unreadable_denylist_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DenylistError, match="cannot read denylist"):
        Denylist.load(tmp_path / "missing.txt")

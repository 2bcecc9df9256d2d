""".sappignore: what pack leaves out of the signed bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from superapp.bundles import collect_files, pack_dir, verify_bundle
from superapp.bundles._ignore import parse_ignore
from superapp.core.errors import BundleError
from superapp.core.paths import Paths
from tests.bundles.builders import app_files, make_env, write_tree


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "ignored"),
    [
        ("tests/", "tests", True, True),
        ("tests/", "tests", False, False),  # a trailing / means folders only
        ("tests/", "lib/tests", True, True),  # no inner / : any depth
        ("/tests/", "lib/tests", True, False),  # leading / anchors
        ("*.map", "js/app.js.map", False, True),
        ("*.map", "js/app.js", False, False),
        ("docs/*.md", "docs/a.md", False, True),
        ("docs/*.md", "docs/sub/a.md", False, False),
        ("docs/**/*.md", "docs/sub/deep/a.md", False, True),
        ("docs/**/*.md", "docs/a.md", False, True),
        ("?.txt", "a.txt", False, True),
        ("?.txt", "ab.txt", False, False),
        ("manifest.json", "manifest.json", False, False),  # never ignorable
        ("# comment", "# comment", False, False),
    ],
)
def test_patterns(pattern: str, path: str, is_dir: bool, ignored: bool) -> None:
    assert parse_ignore(pattern).ignores(path, is_dir=is_dir) is ignored


def test_negation_is_refused_with_the_line() -> None:
    with pytest.raises(BundleError, match=r"\.sappignore:2: '!' patterns"):
        parse_ignore("tests/\n!tests/keep.js\n")


def test_pack_leaves_ignored_files_out_even_symlinks_under_them(
    tmp_path: Path, superapp_home: Paths
) -> None:
    files = app_files()
    files["tests/test_app.py"] = b"def test(): pass\n"
    files["src/app.ts"] = b"let a: number = 1;\n"
    files["js/app.js.map"] = b"{}"
    app = write_tree(tmp_path / "app", files)
    (app / "node_modules").mkdir()
    # node_modules/.bin is full of symlinks; an ignored folder is never walked.
    (app / "node_modules" / "tool").symlink_to("/usr/bin/env")
    (app / ".sappignore").write_text("# dev files\ntests/\nsrc/\n*.map\nnode_modules/\n")
    collected = collect_files(app)
    assert not any(n.startswith(("tests/", "src/", "node_modules/")) for n in collected)
    assert "js/app.js.map" not in collected and "js/app.js" in collected
    env = make_env(superapp_home)
    bundle = verify_bundle(pack_dir(app, env.key), env.trust)
    assert set(bundle.names) == set(collected)


def test_without_the_ignore_file_a_symlink_is_still_refused(tmp_path: Path) -> None:
    app = write_tree(tmp_path / "app", app_files())
    (app / "tool").symlink_to("/usr/bin/env")
    with pytest.raises(BundleError, match="symlinks are not allowed"):
        collect_files(app)

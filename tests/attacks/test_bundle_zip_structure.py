"""Hostile ZIP structure: zip-slip names, symlinks, duplicates, case collisions, hidden bytes.

Every hostile bundle here carries a *valid signature by a trusted key* over its entries, so
the refusal comes from the structural rule under test, not from the signature.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from superapp.bundles import install_bundle, pack_bundle, verify_bundle
from superapp.core.errors import BundleError
from superapp.core.paths import Paths
from tests.bundles.builders import (
    SYMLINK_EXTERNAL,
    Env,
    RawEntry,
    app_files,
    audit_actions,
    entries_of,
    make_env,
    signed_raw_bundle,
    state_of,
    with_entry,
)


@pytest.fixture
def env(superapp_home: Paths) -> Env:
    e = make_env(superapp_home)
    install_bundle(e.paths, pack_bundle(app_files(code=1), e.key))
    return e


def _refused(env: Env, data: bytes, match: str) -> None:
    before = state_of(env.paths)
    with pytest.raises(BundleError, match=match):
        verify_bundle(data, env.trust)
    with pytest.raises(BundleError, match=match):
        install_bundle(env.paths, data)
    assert state_of(env.paths) == before
    assert audit_actions(env.paths)[-1][0] == "bundle.install_failed"


ZIP_SLIP = {
    "dotdot": ("../evil.js", "'..' path part"),
    "nested_dotdot": ("js/../../evil.js", "'..' path part"),
    "absolute": ("/tmp/evil.js", "absolute path"),
    "drive_letter": ("C:/evil.js", "drive letter"),
    "drive_relative": ("C:evil.js", "drive letter"),
    "backslash": ("js\\..\\..\\evil.js", "backslash"),
    "dot_part": ("./evil.js", "'.' or '..'"),
    "empty_part": ("js//evil.js", "empty"),
    "nul_byte": ("evil.js\x00.png", "control character"),
    "reserved_meta_inf": ("meta-inf/signature.json", "reserved for the host"),
    "not_nfc": ("caf\u0065\u0301.js", "NFC"),
}


@pytest.mark.parametrize("case", sorted(ZIP_SLIP), ids=sorted(ZIP_SLIP))
def test_zip_slip_entry_is_rejected(env: Env, case: str, tmp_path: Path) -> None:
    name, match = ZIP_SLIP[case]
    entries = [*entries_of(app_files(code=2)), RawEntry.of(name, b"steal()")]
    _refused(env, signed_raw_bundle(entries, env.key), match)
    assert not (env.paths.data / "evil.js").exists()
    assert not Path("/tmp/evil.js").exists()


def test_symlink_entry_is_rejected(env: Env) -> None:
    entries = entries_of(app_files(code=2))
    link = RawEntry("js/link.js", b"/etc/passwd", external=SYMLINK_EXTERNAL)
    _refused(env, signed_raw_bundle([*entries, link], env.key), "'js/link.js' is a symlink")


def test_folder_entry_is_rejected(env: Env) -> None:
    entries = entries_of(app_files(code=2))
    folder = RawEntry("js/", b"", external=(0o040755 << 16) | 0x10)
    _refused(env, signed_raw_bundle([*entries, folder], env.key), "is a folder entry")


def test_duplicate_names_are_rejected(env: Env) -> None:
    entries = entries_of(app_files(code=2))
    twin = RawEntry.of("js/app.js", b"steal()")
    _refused(env, signed_raw_bundle([*entries, twin], env.key), "'js/app.js' appears twice")


@pytest.mark.parametrize(
    ("first", "twin"),
    [("js/app.js", "JS/App.js"), ("js/app.js", "js/APP.JS"), ("js/apps.js", "js/app\u017f.js")],
    ids=["folder_case", "file_case", "long_s_casefold"],
)
def test_case_colliding_names_are_rejected(env: Env, first: str, twin: str) -> None:
    files = app_files(code=2)
    files[first] = b"one()"
    entries = [*entries_of(files), RawEntry.of(twin, b"two()")]
    _refused(env, signed_raw_bundle(entries, env.key), "differ only by case")


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"prepend": b"MZ" + b"\x00" * 62}, "overlaps another entry or follows hidden bytes"),
        ({"append": b"trailing"}, "no ZIP end record at the very end"),
        ({"comment": b"hi"}, "no ZIP end record at the very end"),
    ],
    ids=["prepended_bytes", "trailing_bytes", "archive_comment"],
)
def test_bytes_outside_the_entries_are_rejected(
    env: Env, options: dict[str, bytes], match: str
) -> None:
    entries = entries_of(app_files(code=2))
    data = signed_raw_bundle(
        entries,
        env.key,
        comment=options.get("comment", b""),
        prepend=options.get("prepend", b""),
        append=options.get("append", b""),
    )
    _refused(env, data, match)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"extra": b"\x55\x54\x05\x00\x01\x00\x00\x00\x00"}, "extra fields"),
        ({"flags": 0x0801}, "is encrypted"),
        ({"flags": 0x0808}, "non-canonical header fields"),
        ({"made_by": 20}, "non-canonical header fields"),
        ({"method": 12}, "compression method 12"),
    ],
    ids=["extra_field", "encrypted", "data_descriptor", "dos_made_by", "bzip2"],
)
def test_non_canonical_entry_headers_are_rejected(
    env: Env, change: dict[str, object], match: str
) -> None:
    entries = with_entry(entries_of(app_files(code=2)), 2, **change)
    _refused(env, signed_raw_bundle(entries, env.key), match)


def test_overlapping_entries_are_rejected(env: Env) -> None:
    # Two directory records pointing at the same local entry (the "overlapping files" bomb).
    entries = entries_of(app_files(code=2))
    data = bytearray(signed_raw_bundle(entries, env.key))
    # Rewrite the second central record's local offset to point at the first entry.
    cd = data.index(b"PK\x01\x02")
    second = data.index(b"PK\x01\x02", cd + 4)
    data[second + 42 : second + 46] = (0).to_bytes(4, "little")
    _refused(env, bytes(data), "overlaps another entry")

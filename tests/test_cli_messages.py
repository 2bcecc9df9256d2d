"""Issue 15 point 5: the messages people met verbatim, replaced — each asserted through the
real CLI (a subprocess: its stderr, stdout and exit code are the contract)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from superapp.core.paths import Paths
from tests.bundles.builders import app_files, write_tree


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "superapp", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=os.environ.copy(),
    )


def _one_error_line(out: subprocess.CompletedProcess[str]) -> str:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    return lines[0]


@pytest.fixture
def signed(tmp_path: Path, superapp_home: Paths) -> tuple[Path, Path, Path]:
    """(app folder, keys folder, packed bundle) made with the real CLI."""
    app = write_tree(tmp_path / "app", app_files())
    keys = tmp_path / "keys"
    assert _run("keygen", "--out", str(keys)).returncode == 0
    bundle = tmp_path / "app.sapp"
    out = _run("pack", str(app), "--key", str(keys / "publisher.key"), "--out", str(bundle))
    assert out.returncode == 0, out.stderr
    return app, keys, bundle


def test_public_key_given_to_pack_is_named_as_the_public_half(
    signed: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    app, keys, _ = signed
    out = _run(
        "pack", str(app), "--key", str(keys / "publisher.pub"), "--out", str(tmp_path / "x.sapp")
    )
    line = _one_error_line(out)
    assert out.returncode == 1
    assert "is the public half of a key pair" in line
    assert "publisher.key" in line
    assert "BEGIN/END delimiters" not in line  # the cryptography library's wording
    assert not (tmp_path / "x.sapp").exists()


def test_untrusted_key_is_explained_once(signed: tuple[Path, Path, Path]) -> None:
    _, _, bundle = signed
    line = _one_error_line(_run("install", str(bundle)))
    assert "which is not trusted here" in line
    assert "superapp trust add PUBKEY" in line
    assert line.count("not trusted") == 1


def test_file_appended_after_signing_is_diagnosed_as_such(signed: tuple[Path, Path, Path]) -> None:
    _, keys, bundle = signed
    assert _run("trust", "add", str(keys / "publisher.pub")).returncode == 0
    with zipfile.ZipFile(bundle, "a") as zf:  # what a developer does with a ZIP tool
        zf.writestr("extra.txt", "added later")
    out = _run("install", str(bundle))
    line = _one_error_line(out)
    assert out.returncode == 1
    assert "'extra.txt'" in line
    assert "added or changed after signing" in line
    assert "folder or a special file" not in line


def test_install_of_a_folder_points_to_pack_and_dev(signed: tuple[Path, Path, Path]) -> None:
    app, _, _ = signed
    out = _run("install", str(app))
    line = _one_error_line(out)
    assert out.returncode == 2
    assert "is a folder, not a .sapp bundle" in line
    assert "superapp pack" in line and "superapp dev" in line
    assert "Is a directory" not in line


def test_stop_of_an_unknown_id_exits_2(superapp_home: Paths) -> None:
    out = _run("stop", "unknown.id")
    assert out.returncode == 2
    assert "no mini-app with id 'unknown.id' is running or installed" in _one_error_line(out)


def test_stop_of_an_installed_app_that_is_not_running_exits_1(
    signed: tuple[Path, Path, Path],
) -> None:
    _, keys, bundle = signed
    assert _run("trust", "add", str(keys / "publisher.pub")).returncode == 0
    assert _run("install", str(bundle)).returncode == 0
    out = _run("stop", "com.example.notes")
    assert out.returncode == 1
    assert "is installed but not running" in _one_error_line(out)


def test_audit_text_has_no_program_spellings(signed: tuple[Path, Path, Path]) -> None:
    _, keys, bundle = signed
    assert _run("trust", "add", str(keys / "publisher.pub")).returncode == 0
    assert _run("install", str(bundle)).returncode == 0  # previous_version_code is null
    assert _run("revoke-grant", "com.example.notes", "storage").returncode == 0
    out = _run("audit")
    assert out.returncode == 0
    assert "bundle.installed" in out.stdout and "grant.revoked" in out.stdout
    for spelling in ("None", "null", "previous_version_code="):
        assert spelling not in out.stdout, out.stdout
    assert 'previous="never granted"' in out.stdout
    # The stored JSON keeps the field as it was recorded.
    stored = [json.loads(line) for line in _run("audit", "--json").stdout.splitlines()]
    installed = next(e for e in stored if e["event"]["action"] == "bundle.installed")
    assert installed["superapp"]["previous_version_code"] is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("instal",), "unknown command 'instal'; did you mean 'install'?"),
        (("trust", "ad"), "unknown command 'ad'; did you mean 'add'?"),
        (("scan", "--format", "txt", "."), "unknown choice 'txt'; did you mean 'text'?"),
        (("frobnicate",), "unknown command 'frobnicate' (one of: launcher"),
    ],
    ids=["command", "sub-command", "choice", "nothing-close"],
)
def test_mistyped_command_gets_a_suggestion(
    args: tuple[str, ...], expected: str, superapp_home: Paths
) -> None:
    out = _run(*args)
    assert out.returncode == 2
    assert expected in _one_error_line(out)

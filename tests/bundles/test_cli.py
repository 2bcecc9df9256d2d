"""The bundle and trust commands: a stable contract (exit codes, one-line errors, --json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from superapp.cli import main
from superapp.core.paths import Paths
from tests.bundles.builders import app_files, write_tree


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_developer_flow_keygen_pack_trust_verify_install_remove(
    superapp_home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys, src, sapp = (
        tmp_path / "keys",
        write_tree(tmp_path / "app", app_files()),
        tmp_path / "notes.sapp",
    )

    code, out, _ = run(capsys, "keygen", "--out", str(keys), "--json")
    assert code == 0
    key_id = json.loads(out)["key_id"]

    assert (
        run(capsys, "pack", str(src), "--key", str(keys / "publisher.key"), "--out", str(sapp))[0]
        == 0
    )
    before = sapp.read_bytes()
    assert (
        run(capsys, "pack", str(src), "--key", str(keys / "publisher.key"), "--out", str(sapp))[0]
        == 0
    )
    assert sapp.read_bytes() == before  # deterministic

    code, out, err = run(capsys, "verify", str(sapp))
    assert code == 1 and out == ""
    assert err.startswith("superapp: error: bundle is signed by key") and err.count("\n") == 1

    code, out, _ = run(capsys, "trust", "add", str(keys / "publisher.pub"), "--name", "Example Co")
    assert code == 0 and "Example Co" in out

    code, out, _ = run(capsys, "verify", str(sapp), "--json")
    doc = json.loads(out)
    assert code == 0
    assert (doc["app_id"], doc["publisher_name"], doc["key_id"]) == (
        "com.example.notes",
        "Example Co",
        key_id,
    )

    code, out, _ = run(capsys, "install", str(sapp), "--json")
    assert code == 0 and json.loads(out)["status"] == "installed"
    code, out, _ = run(capsys, "install", str(sapp))
    assert code == 0 and "already installed" in out

    code, out, _ = run(capsys, "trust", "list", "--json")
    assert [k["key_id"] for k in json.loads(out)] == [key_id]

    code, out, _ = run(capsys, "remove", "com.example.notes")
    assert code == 0
    code, _, err = run(capsys, "remove", "com.example.notes")
    assert code == 2 and "no installed mini-app" in err


def test_install_refusals_exit_nonzero_with_one_line(
    superapp_home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    run(capsys, "keygen", "--out", str(keys))
    run(capsys, "trust", "add", str(keys / "publisher.pub"))
    for code_, name in ((2, "v2.sapp"), (1, "v1.sapp")):
        src = write_tree(tmp_path / f"src{code_}", app_files(code=code_))
        run(
            capsys,
            "pack",
            str(src),
            "--key",
            str(keys / "publisher.key"),
            "--out",
            str(tmp_path / name),
        )
    result = run(capsys, "install", str(tmp_path / "v2.sapp"))
    assert result[0] == 0, result
    code, out, err = run(capsys, "install", str(tmp_path / "v1.sapp"))
    assert code == 1 and out == "" and "is not newer" in err and err.count("\n") == 1
    assert run(capsys, "install", str(tmp_path / "v1.sapp"), "--allow-downgrade")[0] == 0

    (tmp_path / "junk.sapp").write_bytes(b"PK not really")
    code, _, err = run(capsys, "install", str(tmp_path / "junk.sapp"))
    assert code == 1 and "not a .sapp bundle" in err
    code, _, err = run(capsys, "install", str(tmp_path / "missing.sapp"))
    assert code == 2 and "cannot read" in err


def test_trust_remove_by_prefix_names_the_apps_that_will_not_launch(
    superapp_home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    key_id = json.loads(run(capsys, "keygen", "--out", str(keys), "--json")[1])["key_id"]
    run(capsys, "trust", "add", str(keys / "publisher.pub"))
    src = write_tree(tmp_path / "app", app_files())
    run(
        capsys,
        "pack",
        str(src),
        "--key",
        str(keys / "publisher.key"),
        "--out",
        str(tmp_path / "a.sapp"),
    )
    run(capsys, "install", str(tmp_path / "a.sapp"))
    code, out, _ = run(capsys, "trust", "remove", key_id[:12], "--json")
    assert code == 0
    assert json.loads(out)["affected_apps"] == ["com.example.notes"]
    code, _, err = run(capsys, "trust", "remove", key_id[:12])
    assert code == 1 and "no trusted key id starts with" in err


def test_samples_install_from_a_folder(
    superapp_home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path / "miniapps" / "notes", app_files("com.example.samples.notes"))
    code, out, _ = run(capsys, "samples", "install", "--src", str(tmp_path / "miniapps"), "--json")
    assert code == 0
    assert [a["publisher_name"] for a in json.loads(out)] == ["superapp samples"]
    code, _, err = run(capsys, "samples", "install", "--src", str(tmp_path / "nope"))
    assert code == 2 and "is not a folder" in err


def test_pack_refuses_output_without_sapp_suffix(
    superapp_home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "keygen", "--out", str(tmp_path / "k"))
    src = write_tree(tmp_path / "app", app_files())
    code, _, err = run(
        capsys,
        "pack",
        str(src),
        "--key",
        str(tmp_path / "k" / "publisher.key"),
        "--out",
        str(tmp_path / "a.zip"),
    )
    assert code == 2 and "must end in .sapp" in err

"""Platform tooling and host commands: keygen, add, sign (co-sign, rotate), refresh, list."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from superapp.cli import main
from superapp.core.paths import Paths
from tests.revocation.conftest import Server


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _keygen(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    code, out, _ = _run(capsys, "revocation", "keygen", "--out", str(path))
    assert code == 0
    match = re.search(r"public key:\s+(\S+)", out)
    assert match
    return match.group(1)


def _policy(paths: Paths, source: str, *keys: str, threshold: int = 1) -> None:
    listed = ", ".join(f'"{k}"' for k in keys)
    paths.policy_file.write_text(
        f'[revocation]\nsource = "{source}"\nplatform_keys = [{listed}]\nthreshold = {threshold}\n'
    )


def test_platform_workflow_end_to_end(
    superapp_home: Paths, tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "platform.pem"
    public = _keygen(capsys, key)
    assert key.stat().st_mode & 0o777 == 0o600
    doc = tmp_path / "revocations.json"
    bundle = tmp_path / "evil.sapp"
    bundle.write_bytes(b"PK not really a zip")
    assert (
        _run(
            capsys,
            "revocation",
            "add",
            str(doc),
            "--app",
            "com.example.notes",
            "--reason",
            "malware",
        )[0]
        == 0
    )
    assert (
        _run(
            capsys, "revocation", "add", str(doc), "--app", "com.example.chat", "--versions", "3,4"
        )[0]
        == 0
    )
    assert _run(capsys, "revocation", "add", str(doc), "--bundle", str(bundle))[0] == 0
    code, out, _ = _run(capsys, "revocation", "add", str(doc), "--app", "com.example.notes")
    assert code == 0 and "already listed" in out
    code, out, _ = _run(capsys, "revocation", "sign", str(doc), "--key", str(key))
    assert code == 0 and "version 1 (3 entries" in out
    server.body = doc.read_bytes()
    _policy(superapp_home, server.url, public)
    code, out, _ = _run(capsys, "revocations", "refresh")
    assert code == 0 and "version 1 (updated)" in out
    code, out, _ = _run(capsys, "revocations", "list", "--json")
    listed = json.loads(out)
    assert listed["version"] == 1 and not listed["stale"]
    assert [r["kind"] for r in listed["revocations"]] == ["app", "app_versions", "bundle_digest"]
    # the next signature bumps the version
    code, out, _ = _run(capsys, "revocation", "sign", str(doc), "--key", str(key))
    assert "version 2" in out


def test_cosigning_meets_a_threshold_of_two(
    superapp_home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    k1, k2 = tmp_path / "k1.pem", tmp_path / "k2.pem"
    p1, p2 = _keygen(capsys, k1), _keygen(capsys, k2)
    doc = tmp_path / "doc.json"
    _run(capsys, "revocation", "add", str(doc), "--app", "com.example.notes")
    _run(capsys, "revocation", "sign", str(doc), "--key", str(k1))
    _policy(superapp_home, str(doc), p1, p2, threshold=2)
    code, _, err = _run(capsys, "revocations", "refresh")
    assert code == 1 and "signed by 1 trusted platform key(s); the policy needs 2" in err
    assert _run(capsys, "revocation", "sign", str(doc), "--key", str(k2), "--cosign")[0] == 0
    assert json.loads(doc.read_text())["signed"]["version"] == 1
    assert _run(capsys, "revocations", "refresh")[0] == 0


def test_rotation_through_the_cli(
    superapp_home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.pem", tmp_path / "new.pem"
    p_old, p_new = _keygen(capsys, old), _keygen(capsys, new)
    doc = tmp_path / "doc.json"
    _run(capsys, "revocation", "add", str(doc), "--app", "com.example.notes")
    code, _, _ = _run(
        capsys,
        "revocation",
        "sign",
        str(doc),
        "--key",
        str(old),
        "--key",
        str(new),
        "--next-key",
        p_new,
    )
    assert code == 0
    _policy(superapp_home, str(doc), p_old)
    assert _run(capsys, "revocations", "refresh")[0] == 0
    _run(capsys, "revocation", "sign", str(doc), "--key", str(new))
    assert _run(capsys, "revocations", "refresh")[0] == 0
    _run(capsys, "revocation", "sign", str(doc), "--key", str(old))
    code, _, err = _run(capsys, "revocations", "refresh")
    assert code == 1 and "not signed by any trusted platform key" in err


def test_keygen_refuses_to_overwrite_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "k.pem"
    _keygen(capsys, key)
    before = key.read_bytes()
    code, _, err = _run(capsys, "revocation", "keygen", "--out", str(key))
    assert code == 1 and "already exists" in err and key.read_bytes() == before


def test_refresh_without_a_source_is_a_clear_error(
    superapp_home: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "revocations", "refresh")
    assert code == 2 and "no revocation source is configured" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--versions", "3"], "--versions goes with --app"),
        (["--app", "com.x.y", "--versions", "a,b"], "comma-separated version codes"),
        (["--digest", "xyz"], "bad entry: digest"),
    ],
    ids=["versions_alone", "bad_versions", "bad_digest"],
)
def test_bad_add_arguments_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    doc = tmp_path / "doc.json"
    if argv == ["--versions", "3"]:
        argv = ["--digest", "ab" * 32, "--versions", "3"]
    code, _, err = _run(capsys, "revocation", "add", str(doc), *argv)
    assert code == 2 and message in err and not doc.exists()

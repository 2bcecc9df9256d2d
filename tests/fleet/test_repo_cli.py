"""``superapp repo`` and ``superapp store`` as an operator and a user run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from superapp.bundles import TrustStore, load_private_key
from superapp.cli import main
from superapp.core.paths import Paths
from superapp.testing._fleet import StaticServer, make_bundle

APP = "com.acme.notes"


def test_operator_workflow_then_store_install(
    tmp_path: Path, superapp_home: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, keys, pub = tmp_path / "repo", tmp_path / "keys", tmp_path / "acme.pem"
    assert main(["repo", "init", str(repo), "--keys", str(keys)]) == 0
    assert main(["repo", "keygen", str(pub)]) == 0
    assert main(["repo", "add-publisher", str(repo), "--keys", str(keys), "acme",
                 "--key", str(pub), "--app", "com.acme.*"]) == 0  # fmt: skip
    bundle = tmp_path / "notes.sapp"
    bundle.write_bytes(make_bundle(pub, APP, 1))
    assert main(["repo", "publish", str(repo), "--keys", str(keys), str(bundle),
                 "--publisher", "acme", "--key", str(pub), "--rollout", "10"]) == 0  # fmt: skip
    assert main(["repo", "rollout", str(repo), "--keys", str(keys), APP, "1", "100"]) == 0
    # the percentage only grows: refused with one line, nothing changed
    capsys.readouterr()
    assert main(["repo", "rollout", str(repo), "--keys", str(keys), APP, "1", "50"]) == 1
    assert "only grows" in capsys.readouterr().err
    assert main(["repo", "status", str(repo)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["apps"][APP]["rollout"]["percent"] == 100
    assert main(["repo", "refresh", str(repo), "--keys", str(keys)]) == 0

    with StaticServer(repo) as server:
        superapp_home.config.mkdir(parents=True, exist_ok=True)
        superapp_home.policy_file.write_text(
            f'[fleet]\nrepository = "{server.url}"\nroot = "{repo / "metadata" / "1.root.json"}"\n',
            encoding="utf-8",
        )
        TrustStore(superapp_home).add(load_private_key(pub).public_key(), "Acme")
        capsys.readouterr()
        assert main(["store", "list"]) == 0
        assert f"{APP}\tNotes\tinstalled -\tavailable 1" in capsys.readouterr().out
        assert main(["store", "install", APP]) == 0
        assert "installed" in capsys.readouterr().out
        assert main(["repo", "revoke", str(repo), "--keys", str(keys), "--app", APP,
                     "--reason", "bad"]) == 0  # fmt: skip
        assert main(["store", "list"]) == 0  # a poll: the host now holds the revocation
        assert main(["run", APP]) != 0
        assert "switched off by the platform" in capsys.readouterr().err

"""Role thresholds (``repo init --threshold``) and root key rotation (``repo rotate-root``):
hosts follow the chain of roots across versions; a root signed below the old threshold, or one
that does not meet its own, is refused with the audit entry and nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner, Signer
from tuf.api.metadata import Metadata, Root

from superapp.cli import main
from superapp.core.errors import FleetError
from superapp.core.paths import Paths
from superapp.fleet import generate_key
from superapp.fleet._repo import _SERIALIZER
from superapp.fleet._roots import parse_thresholds, rotate_root
from superapp.testing import audit_events
from tests.fleet.conftest import NOTES, World, make_world


@pytest.fixture
def world2(tmp_path: Path) -> Iterator[World]:
    """The conftest's world, made with ``--threshold root=2 --threshold timestamp=2``."""
    yield from make_world(tmp_path, thresholds={"root": 2, "timestamp": 2})


def _trusted_root(paths: Paths) -> Root:
    md: Metadata[Root] = Metadata.from_bytes(
        (paths.data / "fleet" / "metadata" / "root.json").read_bytes()
    )
    return md.signed


def test_thresholds_at_init_make_and_use_that_many_keys(world2: World) -> None:
    root = world2.repo.load("root")
    assert root.signed.roles["root"].threshold == 2
    assert root.signed.roles["timestamp"].threshold == 2
    assert len(root.signatures) == 2  # both root keys signed root v1
    assert len(world2.repo.load("timestamp").signatures) == 2
    assert {p.name for p in world2.keys.glob("root*.pem")} == {"root.pem", "root-2.pem"}
    world2.publish(NOTES, 1)
    assert world2.store().install(NOTES).status == "installed"


def test_a_role_short_of_its_threshold_of_keys_writes_nothing(world2: World) -> None:
    before = {p.name: p.read_bytes() for p in world2.repo.meta.iterdir()}
    (world2.keys / "timestamp-2.pem").rename(world2.keys.parent / "offline-timestamp-2.pem")
    with pytest.raises(FleetError, match="'timestamp' needs 2 of its keys"):
        world2.repo.refresh()
    assert {p.name: p.read_bytes() for p in world2.repo.meta.iterdir()} == before


def test_hosts_follow_a_root_rotation_across_two_versions(world: World) -> None:
    world.publish(NOTES, 1)
    assert world.store().install(NOTES).status == "installed"
    assert _trusted_root(world.paths).version == 1
    first = rotate_root(world.repo)  # v2: a new root key made in the keys folder
    offline = world.keys.parent / "offline"
    new_keys = [offline / "a.pem", offline / "b.pem"]
    for path in new_keys:
        generate_key(path)
    second = rotate_root(world.repo, new_keys, threshold=2)  # v3: two keys, both must sign
    assert (first.signed.version, second.signed.version) == (2, 3)
    assert second.signed.roles["root"].threshold == 2
    world.publish(NOTES, 2)
    # The host last trusted root v1: it walks v2 then v3, and takes the update under v3.
    [outcome] = world.store().update_all()
    assert outcome.status == "updated" and world.installed() == 2
    trusted = _trusted_root(world.paths)
    assert trusted.version == 3
    assert trusted.roles["root"].keyids == second.signed.roles["root"].keyids
    # A host set up from the shipped 1.root.json now follows the same chain.
    other = world.host("late")
    assert world.store(other).install(NOTES).status == "installed"
    assert _trusted_root(other).version == 3


def _forged_root(world: World, signers: list[Signer], new: CryptoSigner) -> bytes:
    """Root v2 naming ``new`` as the only root key, signed by ``signers``."""
    md: Metadata[Root] = world.repo.load("root")
    for keyid in list(md.signed.roles["root"].keyids):
        md.signed.revoke_key(keyid, "root")
    md.signed.add_key(new.public_key, "root")
    md.signed.roles["root"].threshold = 1
    md.signed.version += 1
    md.signatures.clear()
    for signer in signers:
        md.sign(signer, append=True)
    return md.to_bytes(_SERIALIZER)


def test_root_signed_below_the_old_threshold_is_refused(world2: World) -> None:
    """One of the two root keys leaks: its holder cannot rotate the fleet onto a root of
    their own (old threshold 2, one old signature, however valid the new key's is)."""
    world2.publish(NOTES, 1)
    assert world2.store().install(NOTES).status == "installed"
    before = world2.snapshot_files()
    leaked = world2.repo._signer("root")
    attacker = CryptoSigner.generate_ed25519()
    world2.server.overrides["metadata/2.root.json"] = _forged_root(
        world2, [leaked, attacker], attacker
    )
    with pytest.raises(FleetError) as info:
        world2.store().client.session()
    assert info.value.rule == "signature"
    [entry] = audit_events(world2.paths, "fleet.refused")
    assert entry["superapp"]["rule"] == "signature" and "root" in entry["event"]["reason"]
    assert world2.snapshot_files() == before
    assert _trusted_root(world2.paths).version == 1


def test_root_not_signed_by_its_own_new_keys_is_refused(world2: World) -> None:
    """Both old keys sign, but the new root is not signed by the key it names: refused (a
    root must vouch for itself, or a typo in a key would lock the fleet out)."""
    world2.poll()
    old = world2.repo._signers("root")
    world2.server.overrides["metadata/2.root.json"] = _forged_root(
        world2, old, CryptoSigner.generate_ed25519()
    )
    with pytest.raises(FleetError) as info:
        world2.store().client.session()
    assert info.value.rule == "signature"
    assert _trusted_root(world2.paths).version == 1


def test_rotate_root_refuses_below_the_old_threshold(world2: World) -> None:
    """The tool itself will not write a root the fleet would refuse: with one of the two old
    root keys present, rotate-root fails and root v2 is not written."""
    (world2.keys / "root-2.pem").rename(world2.keys.parent / "elsewhere.pem")
    with pytest.raises(FleetError, match="'root' needs 2 of its keys"):
        rotate_root(world2.repo)
    assert not (world2.repo.meta / "2.root.json").exists()


def test_cli_init_with_thresholds_and_rotate_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, keys = tmp_path / "repo", tmp_path / "keys"
    argv = ["repo", "init", str(repo), "--keys", str(keys)]
    assert main([*argv, "--threshold", "root=x"]) == 1
    assert "ROLE=N" in capsys.readouterr().err
    assert not repo.exists() or not (repo / "metadata" / "1.root.json").exists()
    assert main([*argv, "--threshold", "root=2", "--threshold", "fleet=2"]) == 0
    fleet = json.loads((repo / "metadata" / "targets.json").read_bytes())
    assert fleet["signed"]["delegations"]["roles"][0]["threshold"] == 2
    assert len(json.loads((repo / "metadata" / "fleet.json").read_bytes())["signatures"]) == 2
    capsys.readouterr()
    assert main(["repo", "rotate-root", str(repo), "--keys", str(keys), "--threshold", "3"]) == 0
    assert "root version 2: 3 of 3 new root keys" in capsys.readouterr().out
    root = json.loads((repo / "metadata" / "2.root.json").read_bytes())
    assert len(root["signatures"]) == 2 + 3  # the old threshold and the new one
    assert main(["repo", "status", str(repo)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["root_version"] == 2 and status["thresholds"]["root"] == 3


def test_parse_thresholds() -> None:
    assert parse_thresholds(["root=2", "fleet=3"]) == {"root": 2, "fleet": 3}
    for bad in ("root", "root=0", "root=11", "acme=2", "root=-1"):
        with pytest.raises(FleetError):
            parse_thresholds([bad])


def test_operator_commands_need_no_publisher_key(world: World) -> None:
    """Publishers keep their own keys: revoking one (its role is written emptied, unsigned)
    must not look for its key in the operator's keys folder."""
    world.publish(NOTES, 1)
    world.acme_key.rename(world.keys.parent / "acme-elsewhere.pem")
    world.repo.revoke_publisher("acme")
    assert "acme" not in world.repo.publishers()
    assert world.repo.load("acme").signatures == {}

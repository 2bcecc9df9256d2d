"""Attacks from TUF's threat model against a host polling a real repository over loopback HTTP.

Each test: the host refuses (a ``FleetError`` naming the check), audits ``fleet.refused`` with
that rule, and nothing was installed or changed (its verified metadata and apps are the same
bytes as before). The mirror is the attacker: ``server.overrides`` answers a path with other
bytes, as a compromised mirror or CDN would.
"""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import DelegatedRole, Metadata, TargetFile

from superapp.core.errors import FleetError
from superapp.fleet import generate_key
from superapp.fleet._repo import _SERIALIZER
from superapp.testing._fleet import make_bundle
from tests.fleet.conftest import CHAT, NOTES, World


def _refused(
    world: World, rule: str | tuple[str, ...], before: dict[str, bytes], call: object
) -> FleetError:
    with pytest.raises(FleetError) as info:
        call()  # type: ignore[operator]
    rules = (rule,) if isinstance(rule, str) else rule
    assert info.value.rule in rules, str(info.value)
    entries = world.audit("fleet.refused")
    assert entries and entries[-1]["superapp"]["rule"] == info.value.rule
    assert world.snapshot_files() == before
    return info.value


def _installed_v1(world: World) -> dict[str, bytes]:
    world.publish(NOTES, 1)
    assert world.store().install(NOTES).status == "installed"
    return world.snapshot_files()


def _meta(world: World, name: str) -> bytes:
    return (world.repo.meta / name).read_bytes()


def test_rollback_of_timestamp_is_refused(world: World) -> None:
    old = _meta(world, "timestamp.json")
    before = _installed_v1(world)
    world.publish(NOTES, 2)
    held = (world.paths.data / "fleet" / "metadata" / "timestamp.json").read_bytes()
    world.server.overrides["metadata/timestamp.json"] = old
    _refused(world, "version", before, lambda: world.store().update_all())
    assert (world.paths.data / "fleet" / "metadata" / "timestamp.json").read_bytes() == held


def test_rollback_of_snapshot_is_refused(world: World) -> None:
    """A timestamp signed for an older snapshot version than the host holds (a replay of the
    snapshot key's old output with a fresh timestamp) is refused."""
    world.publish(NOTES, 1)
    store = world.store()
    store.install(NOTES)
    held = world.repo.load("snapshot").signed.version
    world.publish(NOTES, 2)
    before = world.snapshot_files()
    ts = world.repo.load("timestamp")
    ts.signed.snapshot_meta.version = held - 1
    ts.signed.snapshot_meta.length = None
    ts.signed.snapshot_meta.hashes = None
    ts.signed.version += 1
    ts.signatures.clear()
    ts.sign(CryptoSigner.from_priv_key_uri if False else world.repo._signer("timestamp"))
    world.server.overrides["metadata/timestamp.json"] = ts.to_bytes(_SERIALIZER)
    _refused(world, "version", before, lambda: world.store().update_all())


def test_rollback_of_targets_role_is_refused(world: World) -> None:
    """An older (validly signed) fleet role replayed under the new version's name: the
    snapshot pins each role's length and hash, so it is refused before it is parsed."""
    before = _installed_v1(world)
    v = world.repo.load("fleet").signed.version
    old_fleet = _meta(world, f"{v}.fleet.json")
    world.publish(NOTES, 2)
    new_v = world.repo.load("fleet").signed.version
    world.server.overrides[f"metadata/{new_v}.fleet.json"] = old_fleet
    _refused(world, ("length", "hash"), before, lambda: world.store().update_all())


def test_freeze_expired_timestamp_is_refused(world: World) -> None:
    """The mirror keeps serving the last good metadata; the clock moves past its expiry."""
    before = _installed_v1(world)
    world.publish(NOTES, 2)
    world.server.overrides["metadata/timestamp.json"] = _meta(world, "timestamp.json")
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2), tick=True):
        _refused(world, "expired", before, lambda: world.store().update_all())
    assert world.installed() == 1


def test_mix_and_match_snapshot_is_refused(world: World) -> None:
    """A snapshot from another moment served under the version the timestamp names."""
    before = _installed_v1(world)
    old_snapshot = _meta(world, f"{world.repo.load('snapshot').signed.version}.snapshot.json")
    world.publish(NOTES, 2)
    v = world.repo.load("snapshot").signed.version
    world.server.overrides[f"metadata/{v}.snapshot.json"] = old_snapshot
    _refused(world, ("hash", "length"), before, lambda: world.store().update_all())


# ngclient stops reading at the signed length and leaves urllib3's half-read response (and its
# socket) to the garbage collector; the refusal is what these tests are about.
@pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)
def test_endless_data_timestamp_is_refused(world: World) -> None:
    before = _installed_v1(world)
    world.server.endless.add("metadata/timestamp.json")
    _refused(world, "length", before, lambda: world.store().update_all())
    gc.collect()  # the half-read response's socket goes here, not in the next test


# ngclient stops reading at the signed length and leaves urllib3's half-read response (and its
# socket) to the garbage collector; the refusal is what these tests are about.
@pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)
def test_endless_data_bundle_is_refused(world: World) -> None:
    world.publish(NOTES, 1)
    before = world.poll()
    info_path = next(p for p in (world.repo.targets_dir / NOTES).iterdir())
    world.server.endless.add(f"targets/{NOTES}/{info_path.name}")
    _refused(world, "length", before, lambda: world.store().install(NOTES))
    assert world.installed() is None
    gc.collect()  # the half-read response's socket goes here, not in the next test


def test_target_swapped_on_the_mirror_is_refused(world: World) -> None:
    """Another validly signed bundle of the same app served in place of the published one."""
    world.publish(NOTES, 1)
    before = world.poll()
    served = next((world.repo.targets_dir / NOTES).iterdir())
    evil = make_bundle(world.acme_key, NOTES, 1, capabilities=("storage", "clipboard:read"))
    world.server.overrides[f"targets/{NOTES}/{served.name}"] = evil[: served.stat().st_size].ljust(
        served.stat().st_size, b"\0"
    )
    _refused(world, "hash", before, lambda: world.store().install(NOTES))
    assert world.installed() is None
    assert not list((world.paths.data / "fleet" / "downloads").rglob("*.sapp"))


def test_arbitrary_package_from_a_compromised_mirror_is_refused(world: World) -> None:
    """The mirror invents a newer release: metadata it cannot sign, so a re-signed publisher
    role with an unknown key does not verify and nothing is fetched."""
    world.publish(NOTES, 1)
    before = world.poll()
    md = world.repo.load("acme")
    evil = make_bundle(world.acme_key, NOTES, 1)
    md.signed.targets[f"{NOTES}/1.sapp"] = TargetFile.from_data(f"{NOTES}/1.sapp", evil, ["sha256"])
    md.signed.targets[f"{NOTES}/1.sapp"].unrecognized_fields["custom"] = dict(
        world.repo.load("acme").signed.targets[f"{NOTES}/1.sapp"].custom
    )
    md.signatures.clear()
    md.sign(CryptoSigner.generate_ed25519())
    v = md.signed.version
    world.server.overrides[f"metadata/{v}.acme.json"] = md.to_bytes(_SERIALIZER)
    _refused(world, "hash", before, lambda: world.store().install(NOTES))
    assert world.installed() is None


def test_publisher_cannot_sign_another_publishers_app(world: World) -> None:
    """beta (delegated com.beta.*) signs a release of com.acme.notes in its own role: the
    terminating delegation never asks beta about acme's paths, so it is not found."""
    world.publish(CHAT, 1, publisher="beta")
    world.publish("com.acme.todo", 1)  # acme has a role, without notes in it
    # beta builds a notes bundle and lists it under its own role, signed by its own key.
    evil = make_bundle(world.beta_key, NOTES, 1)
    md = world.repo.load("beta")
    path = f"{NOTES}/1.sapp"
    md.signed.targets[path] = world.repo._write_target(path, evil)
    md.signed.targets[path].unrecognized_fields["custom"] = {
        "app_id": NOTES,
        "name": "Notes",
        "version_code": 1,
        "version_name": "1.1.0",
        "capabilities": ["storage"],
        "bundle_key": "0" * 64,
        "publisher": "beta",
    }
    world.repo._commit({"beta": md}, signers={"beta": world.repo._signer("beta")})
    # ... and the operator's index is made to point at it (the worst case: index compromised).
    from superapp.fleet._model import AppChannel, Rollout

    index, revs = world.repo.fleet_state()
    apps = {
        **index.apps,
        NOTES: AppChannel(
            publisher="beta", stable=None, rollout=Rollout(version_code=1, percent=100)
        ),
    }
    world.repo.save_fleet(index.model_copy(update={"apps": apps}), revs)
    before = world.poll()
    _refused(world, "not_found", before, lambda: world.store().install(NOTES))
    assert world.installed() is None


def test_revoked_publisher_key_is_refused(world: World) -> None:
    world.publish(NOTES, 1)
    world.repo.revoke_publisher("acme")
    before = world.poll()
    _refused(world, "not_found", before, lambda: world.store().install(NOTES))
    # The holder of the revoked key signs acme's role again, with a new release in it, and
    # the mirror serves it where the re-added publisher's (new key) role is expected.
    new_key = world.keys / "acme-new.pem"
    world.repo.add_publisher("acme", generate_key(new_key), ["com.acme.*"])
    world.repo.publish(make_bundle(new_key, NOTES, 2), "acme", new_key, rollout=100)
    before = world.poll()
    forged = world.repo.load("acme")
    forged.signed.targets[f"{NOTES}/3.sapp"] = TargetFile.from_data(
        f"{NOTES}/3.sapp", b"x", ["sha256"]
    )
    forged.signatures.clear()
    forged.sign(world.repo._signer("acme"))
    v = forged.signed.version
    world.server.overrides[f"metadata/{v}.acme.json"] = forged.to_bytes(_SERIALIZER)
    _refused(world, ("hash", "length", "signature"), before, lambda: world.store().install(NOTES))
    assert world.installed() is None


def test_below_threshold_signatures_are_refused(world: World, tmp_path: Path) -> None:
    """The operator raises targets' threshold to 2 (root v2); a targets file with one
    signature is refused even though that signature is valid."""
    before = _installed_v1(world)
    root = world.repo.load("root")
    second = generate_key(world.keys / "targets-2.pem")
    root.signed.add_key(second, "targets")
    root.signed.roles["targets"].threshold = 2
    root.signed.version += 1
    world.repo._sign_and_save(root, "root", [world.repo._signer("root")])
    world.publish(NOTES, 2)  # targets signed only by targets.pem: below the threshold of 2
    err = _refused(world, "signature", world.snapshot_files(), lambda: world.store().update_all())
    assert "targets" in str(err)
    assert world.installed() == 1
    assert before.keys() <= world.snapshot_files().keys()


def test_delegation_to_a_publisher_is_by_app_id(world: World) -> None:
    """Control for the two tests above: the same publisher may publish its own app."""
    world.publish(CHAT, 1, publisher="beta")
    assert world.store().install(CHAT).status == "installed"
    _ = DelegatedRole, Metadata


def test_rollback_of_root_is_refused(world: World) -> None:
    """The host trusts root v2; the mirror serves v1's content as the next root (v3)."""
    root = world.repo.load("root")
    root.signed.version += 1
    world.repo._sign_and_save(root, "root", [world.repo._signer("root")])
    before = _installed_v1(world)
    world.server.overrides["metadata/3.root.json"] = _meta(world, "1.root.json")
    _refused(world, "version", before, lambda: world.store().update_all())
    trusted = world.paths.data / "fleet" / "metadata" / "root.json"
    assert b'"version":2' in trusted.read_bytes()

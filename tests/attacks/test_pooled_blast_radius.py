"""Blast radius of a pooled runtime (issues 14 + 16, docs/pool.md): code in a runtime locked down
by the pool's generic plan (``superapp.confine.generic_plan``, applied before it knows its app)
tries to reach what a claim never gives it.

The pooled plan can never be widened at claim, so it must already exclude every app's folder,
the registry, the keys and the policy file; the host copies an app's bundle into the slot. Each
test spawns a real confined process (``tests.confine._child`` with ``slot``) and asserts the
refusal one layer below the API: the errno, no byte read, no file written, no connection seen.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.confine.world import ATTACKER, SECRET, VICTIM, World, landlock_abi

pytestmark = pytest.mark.skipif(
    landlock_abi() < 6, reason="this kernel has no Landlock ABI 6 (the report says so)"
)

DENIED = {errno.EACCES, errno.EPERM}


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World.build(tmp_path)


@pytest.fixture
def slot(world: World) -> Path:
    folder = world.paths.run / "slots" / "0123456789abcdef"
    folder.mkdir(parents=True)
    (folder / "bundle.sapp").write_bytes(b"the host's copy")
    return folder


def _refused(result: dict[str, Any]) -> None:
    assert result["succeeded"] is False, f"{result['step']} succeeded: {result['detail']}"
    assert result["errno"] in DENIED, result


def test_pooled_runtime_reports_every_layer_on(world: World, slot: Path) -> None:
    run = world.run([("read", [str(slot / "bundle.sapp")])], slot=str(slot))
    for layer in (
        "no_new_privs", "capabilities", "not_dumpable", "seccomp", "landlock_fs",
        "landlock_net", "landlock_scope",
    ):  # fmt: skip
        assert run.report[layer]["status"] == "on", (layer, run.report[layer])
    assert run.only()["succeeded"] is True  # the bundle copy in its slot is readable


def test_pooled_runtime_may_write_only_its_slot(world: World, slot: Path) -> None:
    target = slot / "scratch.bin"
    assert world.run([("write", [str(target)])], slot=str(slot)).only()["succeeded"] is True
    assert target.read_bytes() == b"written by a confined app"


@pytest.mark.parametrize(
    "relative",
    [
        "keys/master-1.key", f"keys/apps/{VICTIM}.key", "registry.sqlite3",
        f"apps/{VICTIM}/storage/kv.sqlite3", f"apps/{VICTIM}/files/diary.txt",
        f"apps/{ATTACKER}/bundle/index.html",
    ],
    ids=["master_key", "data_key", "registry", "other_storage", "other_files", "installed_bundle"],
)  # fmt: skip
def test_pooled_runtime_cannot_read_the_data_folder(
    world: World, slot: Path, relative: str
) -> None:
    target = world.paths.data / relative
    assert target.exists()
    _refused(world.run([("read", [str(target)])], slot=str(slot)).only())


def test_pooled_runtime_cannot_read_the_policy_file(world: World, slot: Path) -> None:
    world.paths.policy_file.parent.mkdir(parents=True, exist_ok=True)
    world.paths.policy_file.write_bytes(SECRET)
    _refused(world.run([("read", [str(world.paths.policy_file)])], slot=str(slot)).only())


@pytest.mark.parametrize(
    "relative",
    [f"apps/{ATTACKER}/bundle/index.html", f"apps/{ATTACKER}/storage/new.db", "trust/publishers.json"],
    ids=["installed_bundle", "own_app_storage", "trust_store"],
)  # fmt: skip
def test_pooled_runtime_cannot_write_outside_its_slot(
    world: World, slot: Path, relative: str
) -> None:
    target = world.paths.data / relative
    before = target.read_bytes() if target.exists() else None
    _refused(world.run([("write", [str(target)])], slot=str(slot)).only())
    assert (target.read_bytes() if target.exists() else None) == before


def test_pooled_runtime_connects_only_to_generic_ports(world: World, slot: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        run = world.run([("connect_tcp", [port])], slot=str(slot), egress_port=None)
        _refused(run.only())
        with pytest.raises(BlockingIOError):
            listener.accept()  # no connection ever reached it

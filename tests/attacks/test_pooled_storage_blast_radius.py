"""A pooled runtime bound to app A, with A's storage moved into its slot (issue 16, docs/pool.md),
reaches A's storage and nothing of B's: not B's folder at home, and not B's storage moved into
another pooled runtime's slot. The host's real ``move_in`` moves the folders; the confined
process is a real process under the generic plan (``tests.confine._child`` with ``slot``), and
each refusal is asserted one layer below the API: the errno, no byte read, no file written."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any

import pytest

from superapp.audit import AuditLog
from superapp.host._slotmove import move_back, move_in
from tests.confine.world import ATTACKER, SECRET, VICTIM, World, landlock_abi

pytestmark = pytest.mark.skipif(
    landlock_abi() < 6, reason="this kernel has no Landlock ABI 6 (the report says so)"
)

DENIED = {errno.EACCES, errno.EPERM}
MINE = b"attacker's own value"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World.build(tmp_path)


def _slot(world: World, name: str) -> Path:
    folder = world.paths.run / "slots" / name
    folder.mkdir(parents=True)
    return folder


def _refused(result: dict[str, Any]) -> None:
    assert result["succeeded"] is False, f"{result['step']} succeeded: {result['detail']}"
    assert result["errno"] in DENIED, result


def test_pooled_runtime_reads_and_writes_only_its_own_moved_storage(world: World) -> None:
    (world.paths.app_storage(ATTACKER) / "kv.sqlite3").write_bytes(MINE)
    mine = _slot(world, "00000000000000aa")
    theirs = _slot(world, "00000000000000bb")
    home_a = move_in(world.paths, ATTACKER, mine)
    home_b = move_in(world.paths, VICTIM, theirs)  # B runs in another pooled runtime
    # The runtime bound to A: A's moved storage is readable and writable.
    run = world.run([("read", [str(home_a / "storage" / "kv.sqlite3")])], slot=str(mine))
    assert run.only()["succeeded"] is True
    assert world.run([("write", [str(home_a / "files" / "new.txt")])], slot=str(mine)).only()[
        "succeeded"
    ]
    assert (home_a / "files" / "new.txt").read_bytes() == b"written by a confined app"
    # B's storage, moved into the other runtime's slot: neither read nor written.
    for target in (home_b / "storage" / "kv.sqlite3", home_b / "files" / "diary.txt"):
        _refused(world.run([("read", [str(target)])], slot=str(mine)).only())
    _refused(world.run([("write", [str(home_b / "files" / "planted.txt")])], slot=str(mine)).only())
    assert not (home_b / "files" / "planted.txt").exists()
    assert (home_b / "storage" / "kv.sqlite3").read_bytes() == SECRET
    # B's storage once it is home again: still out of reach of A's runtime.
    assert move_back(world.paths, VICTIM, theirs, AuditLog(world.paths.audit_log))
    _refused(
        world.run(
            [("read", [str(world.paths.app_storage(VICTIM) / "kv.sqlite3")])], slot=str(mine)
        ).only()
    )
    assert (world.paths.app_storage(VICTIM) / "kv.sqlite3").read_bytes() == SECRET
    assert move_back(world.paths, ATTACKER, mine, AuditLog(world.paths.audit_log))
    assert (world.paths.app_files(ATTACKER) / "new.txt").exists()


def _listen(port: int) -> socket.socket | None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", port))
    except OSError:
        listener.close()
        return None
    listener.listen(1)
    listener.setblocking(False)
    return listener


@pytest.mark.parametrize("port", [443, 80, 53])
def test_cold_generic_runtime_of_an_app_without_hosts_connects_to_no_web_port(
    world: World, port: int
) -> None:
    """A cold launch through the generic path (``--connect-ports``) of an app whose allowlist is
    empty may connect to nothing but its proxy, exactly as its own app plan: the generic plan's
    53/80/443 are narrowed away (a pooled runtime keeps them; docs/pool.md)."""
    slot = _slot(world, "00000000000000cc")
    listener = _listen(port)
    if listener is None:
        pytest.skip(f"cannot listen on 127.0.0.1:{port} here (not root, or in use)")
    with listener:
        # The generic plan as the pool applies it reaches the port (the documented gap)...
        wide = world.run([("connect_tcp", [port])], slot=str(slot), egress_port=None)
        assert wide.only()["succeeded"] is True
        listener.accept()[0].close()
        # ...narrowed to the app's own (no) ports, it does not: refused below the socket API.
        run = world.run(
            [("connect_tcp", [port])], slot=str(slot), egress_port=None, generic_ports=[]
        )
        _refused(run.only())
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_pooled_runtime_cannot_read_another_apps_engine_profile(world: World) -> None:
    """A ``persistent`` app's engine profile (``webview``) moved into A's slot is A's; B's
    profile, at home or moved into another pooled runtime's slot, is out of A's reach: read and
    write refused below the API (the errno), no byte read, nothing planted."""
    cookies = Path("webview") / "Default" / "Cookies"
    (world.paths.app_dir(ATTACKER) / cookies).write_bytes(MINE)
    mine = _slot(world, "00000000000000dd")
    theirs = _slot(world, "00000000000000ee")
    # B's profile at home (B not running): refused.
    at_home = world.paths.app_dir(VICTIM) / cookies
    _refused(world.run([("read", [str(at_home)])], slot=str(mine)).only())
    home_a = move_in(world.paths, ATTACKER, mine, ("webview",))
    home_b = move_in(world.paths, VICTIM, theirs, ("storage", "files", "webview"))
    assert not world.paths.app_webview(VICTIM).exists()  # renamed, not copied
    # A's own moved profile: read and written (the engine's named profile lives there).
    own = world.run([("read", [str(home_a / cookies)])], slot=str(mine)).only()
    assert own["succeeded"] is True, own
    assert world.run([("write", [str(home_a / "webview" / "new.txt")])], slot=str(mine)).only()[
        "succeeded"
    ]
    # B's profile, moved into the other runtime's slot: neither read nor written.
    _refused(world.run([("read", [str(home_b / cookies)])], slot=str(mine)).only())
    _refused(world.run([("write", [str(home_b / "webview" / "planted")])], slot=str(mine)).only())
    assert not (home_b / "webview" / "planted").exists()
    assert (home_b / cookies).read_bytes() == SECRET
    audit = AuditLog(world.paths.audit_log)
    assert move_back(world.paths, VICTIM, theirs, audit)
    assert move_back(world.paths, ATTACKER, mine, audit)
    assert (world.paths.app_dir(VICTIM) / cookies).read_bytes() == SECRET
    assert (world.paths.app_webview(ATTACKER) / "new.txt").exists()

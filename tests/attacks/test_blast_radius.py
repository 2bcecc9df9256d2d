"""Blast radius (issue 14, DESIGN §6.10): code running inside one app's runtime, locked down by
the runtime's own ``confine(runtime_plan(...))``, tries to reach what is not its own.

Each test spawns a real confined process (``tests.confine._child``) and asserts the refusal
one layer below the API: the errno, that no byte came back, that the file was not created,
that the listener saw no connection, that the signalled process got no signal and lives.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from superapp.audit import AuditLog
from superapp.host import HostServer
from superapp.testing import audit_events
from tests.confine.world import ATTACKER, SECRET, VICTIM, World, landlock_abi

pytestmark = pytest.mark.skipif(
    landlock_abi() < 6, reason="this kernel has no Landlock ABI 6 (the report says so)"
)

DENIED = {errno.EACCES, errno.EPERM}


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World.build(tmp_path)


def assert_refused(result: dict[str, Any]) -> None:
    assert result["succeeded"] is False, f"{result['step']} succeeded: {result['detail']}"
    assert result["errno"] in DENIED, result


def test_confined_app_reports_every_layer_on(world: World) -> None:
    run = world.run([("read", [str(world.paths.app_bundle(ATTACKER) / "index.html")])])
    for layer in (
        "no_new_privs", "capabilities", "not_dumpable", "seccomp", "landlock_fs",
        "landlock_net", "landlock_scope",
    ):  # fmt: skip
        assert run.report[layer]["status"] == "on", (layer, run.report[layer])
    # Control: the plan is not "deny everything" — its own bundle is readable.
    assert run.only()["succeeded"] is True


@pytest.mark.parametrize(
    "relative",
    ["storage/kv.sqlite3", "files/diary.txt", "webview/Default/Cookies"],
    ids=["storage", "files", "engine_profile"],
)
def test_app_cannot_read_another_apps_data(world: World, relative: str) -> None:
    target = world.paths.app_dir(VICTIM) / relative
    run = world.run([("read", [str(target)]), ("list", [str(target.parent)])])
    for result in run.results:
        assert_refused(result)
    assert target.read_bytes() == SECRET


@pytest.mark.parametrize(
    "target",
    ["keys/master-1.key", f"keys/apps/{VICTIM}.key", "registry.sqlite3", "trust/publishers.json"],
    ids=["master_key", "other_data_key", "registry", "trust_store"],
)
def test_app_cannot_read_host_secrets(world: World, target: str) -> None:
    path = world.paths.data / target
    run = world.run([("read", [str(path)]), ("list", [str(world.paths.data)])])
    for result in run.results:
        assert_refused(result)


def test_app_cannot_read_the_users_ssh_keys(world: World) -> None:
    key = world.user_home / ".ssh" / "id_ed25519"
    run = world.run([("read", [str(key)]), ("list", [str(world.user_home)])])
    for result in run.results:
        assert_refused(result)


@pytest.mark.parametrize(
    "where", ["victim_files", "data_root", "user_home", "tmp"], ids=lambda w: str(w)
)
def test_app_cannot_write_outside_its_folder(world: World, where: str) -> None:
    target = {
        "victim_files": world.paths.app_files(VICTIM) / "planted.txt",
        "data_root": world.paths.data / "planted.txt",
        "user_home": world.user_home / ".bashrc",
        "tmp": world.root / "planted.txt",
    }[where]
    own = world.paths.app_files(ATTACKER) / "mine.txt"
    run = world.run([("write", [str(target)]), ("write", [str(own)])])
    assert_refused(run.results[0])
    assert not target.exists()
    assert run.results[1]["succeeded"] is True and own.read_bytes()  # its own folder works


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _accepted(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def test_app_without_net_cannot_connect_to_a_loopback_listener(
    world: World, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    run = world.run([("connect_tcp", [port])], egress_port=port + 1 if port < 65535 else 1)
    assert_refused(run.only())
    assert not _accepted(listener), "a connection reached the listener"


def test_app_connects_only_to_its_own_ports(world: World, listener: socket.socket) -> None:
    """Control for the test above: the plan's own port does reach the listener."""
    port = listener.getsockname()[1]
    run = world.run([("connect_tcp", [port]), ("bind_tcp", [0])], egress_port=port)
    assert run.results[0]["succeeded"] is True
    assert _accepted(listener)
    assert_refused(run.results[1])  # and it may not listen anywhere


def test_app_cannot_signal_the_host(world: World) -> None:
    received: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda sig, frame: received.append(sig))
    try:
        run = world.run([("signal", [os.getpid(), int(signal.SIGUSR1)])])
        assert_refused(run.only())
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert received == []


def test_app_cannot_signal_or_trace_another_app(world: World) -> None:
    victim = world.start_victim()
    try:
        run = world.run(
            [
                ("signal", [victim.pid, int(signal.SIGKILL)]),
                ("ptrace", [victim.pid]),
                ("process_vm_readv", [victim.pid]),
                ("read", [f"/proc/{victim.pid}/environ"]),
            ]
        )
        for result in run.results:
            assert_refused(result)
        assert victim.poll() is None, "the other app was killed"
    finally:
        assert victim.stdin is not None and victim.stdout is not None
        victim.stdin.close()
        victim.wait(30)
        victim.stdout.close()


def test_app_cannot_trace_or_read_the_host(world: World) -> None:
    """The host stand-in hardens itself as ``start_host`` does (``harden_host``)."""
    code = "import sys; from superapp.confine import harden_host; harden_host(); sys.stdin.read()"
    stand_in = subprocess.Popen(
        [sys.executable, "-c", code], env=world.env(), stdin=subprocess.PIPE
    )
    try:
        _refuse_host_reads(world, stand_in.pid)
        assert stand_in.poll() is None
    finally:
        assert stand_in.stdin is not None
        stand_in.stdin.close()
        stand_in.wait(30)


def _refuse_host_reads(world: World, host: int) -> None:
    run = world.run(
        [
            ("ptrace", [host]),
            ("process_vm_readv", [host]),
            ("read", [f"/proc/{host}/mem"]),
            ("read", [f"/proc/{host}/environ"]),
        ]
    )
    for result in run.results:
        assert_refused(result)


def test_app_cannot_connect_to_an_abstract_socket_outside(world: World) -> None:
    name = f"superapp-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind("\0" + name)
        server.listen(1)
        server.setblocking(False)
        run = world.run([("connect_abstract", [name])])
        assert_refused(run.only())
        assert not _accepted(server)


#: x86_64 numbers: each call works for an unprivileged process without the filter (keyrings,
#: io_uring, perf on itself) or needs a capability the runtime dropped too.
_KERNEL_SURFACE = {
    "keyctl_get_keyring_id": (250, 0, -3, 0),  # KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING
    "io_uring_setup": (425, 4, -1),
    "perf_event_open_self": (298, -1, 0, -1, -1, 0),
    "bpf_map_create": (321, 0, -1, 72),
    "unshare_mount_ns": (272, 0x00020000),
}


@pytest.mark.skipif(platform.machine() != "x86_64", reason="system call numbers are x86_64's")
@pytest.mark.parametrize("call", sorted(_KERNEL_SURFACE))
def test_app_cannot_reach_kernel_surfaces(world: World, call: str) -> None:
    run = world.run([("syscall", list(_KERNEL_SURFACE[call]))])
    assert_refused(run.only())


class _RecordingSupervisor:
    def __init__(self) -> None:
        self.stopped: list[str] = []

    def stop(self, app_id: str) -> None:
        self.stopped.append(app_id)


def test_app_cannot_use_the_hosts_control_socket(world: World) -> None:
    supervisor = _RecordingSupervisor()
    server = HostServer(world.paths, supervisor, AuditLog(world.paths.audit_log))  # type: ignore[arg-type]
    server.start()
    try:
        request = json.dumps({"op": "stop", "app_id": VICTIM}) + "\n"
        run = world.run([("connect_unix", [str(server.path), request])])
        result = run.only()
        # Landlock ABI 7 does not cover named sockets: the host refuses the confined peer,
        # answers FORBIDDEN and audits it.
        assert "FORBIDDEN" in result["detail"], result
        assert supervisor.stopped == []
        [refusal] = audit_events(world.paths, "host.control")
        assert refusal["event"]["outcome"] == "failure"
        assert refusal["event"]["reason"] == "a confined process"
        assert refusal["superapp"]["code"] == "FORBIDDEN"
        # Control: an unconfined process of the same user is still served.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(10)
            client.connect(str(server.path))
            client.sendall(request.encode())
            assert b'"ok": true' in client.makefile("rb").readline()
        assert supervisor.stopped == [VICTIM]
    finally:
        server.close(drain_s=5)

"""Attacks on the launcher's launch endpoint (``<state>/run/launcher.sock``, issue 16): the
socket through which ``superapp run APP_ID`` asks the running launcher to open an app.

Its promise (SECURITY.md): only this user reaches it, only a well-formed ``{"app_id": <id>}``
is acted on, every refusal gets a typed code and an audit entry, and the host keeps serving.
The endpoint here is the real one, on a real supervisor and audit log in this process; the
requests are raw bytes on a real Unix socket, and "another user" is a real process running as
``nobody`` (setpriv), checked by the kernel's ``SO_PEERCRED``, one layer below the request.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.host import Supervisor
from superapp.host._delegate import LaunchEndpoint
from superapp.protocol._delegate import launcher_socket
from superapp.testing import audit_events
from tests.helpers.other_user import send_as_nobody

UNINSTALLED = "com.example.never.installed"


@pytest.fixture
def endpoint(superapp_home: Paths) -> Iterator[LaunchEndpoint]:
    supervisor = Supervisor(superapp_home, AuditLog(superapp_home.audit_log))
    served = LaunchEndpoint(superapp_home, supervisor, supervisor.audit)
    assert served.start()
    yield served
    served.close(drain_s=5)
    supervisor.shutdown()


def _exchange(paths: Paths, payload: bytes, *, half_close: bool = True) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(launcher_socket(paths)))
        sock.sendall(payload)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        line = sock.makefile("rb").readline(8192)
    reply: dict[str, Any] = json.loads(line)
    return reply


def _refusals(paths: Paths) -> list[dict[str, Any]]:
    return [
        e for e in audit_events(paths, "launcher.delegate") if e["event"]["outcome"] == "failure"
    ]


def _still_serves(paths: Paths) -> None:
    """The host survived: a well-formed request still gets its typed answer."""
    reply = _exchange(paths, json.dumps({"app_id": UNINSTALLED}).encode() + b"\n")
    assert reply["code"] == "NOT_INSTALLED", reply


FORGED = {
    "not_json": b"launch com.example.notes\n",
    "no_newline": b'{"app_id": "com.example.notes"}',
    "extra_field_bundle": b'{"app_id": "com.example.notes", "bundle": "/tmp/evil.sapp"}\n',
    "extra_field_flags": (
        b'{"app_id": "com.example.notes", "flags": ["--remote-debugging-port", "9222"]}\n'
    ),
    "host_op": b'{"op": "stop", "app_id": "com.example.notes"}\n',
    "path_as_id": b'{"app_id": "../../../../etc/passwd"}\n',
    "upper_case_id": b'{"app_id": "Com.Example.Notes"}\n',
    "id_with_nul": b'{"app_id": "com.example.notes\\u0000x"}\n',
    "id_not_a_string": b'{"app_id": ["com.example.notes"]}\n',
    "id_coerced_number": b'{"app_id": 5}\n',
    "not_an_object": b'["com.example.notes"]\n',
    "oversize": b'{"app_id": "' + b"a" * 9000 + b'"}\n',
    "bidi_field_name": '{"app_id": "com.example.notes", "\u202eevil\u2028": 1}\n'.encode(),
}


@pytest.mark.parametrize("payload", FORGED.values(), ids=FORGED.keys())
def test_forged_launch_request_is_refused_and_audited(
    endpoint: LaunchEndpoint, superapp_home: Paths, payload: bytes
) -> None:
    reply = _exchange(superapp_home, payload)
    assert reply["code"] == "INVALID_REQUEST", reply
    [refusal] = _refusals(superapp_home)
    assert refusal["superapp"]["code"] == "INVALID_REQUEST"
    assert refusal["superapp"]["peer_uid"] == os.getuid()
    # Which rule failed, never the caller's bytes (a path, a field name, a bidi override).
    reason = refusal["event"]["reason"]
    assert reason.startswith("invalid request")
    for echoed in ("evil", "passwd", "9222", "\u202e", "aaaa"):
        assert echoed not in reason and echoed not in reply.get("detail", "")
    # Nothing was launched, nothing is recorded as running; the endpoint still serves.
    assert not audit_events(superapp_home, "app.launched")
    assert not list((superapp_home.run / "apps").glob("*.json"))
    _still_serves(superapp_home)


def test_launch_endpoint_is_owner_only_on_disk(
    endpoint: LaunchEndpoint, superapp_home: Paths
) -> None:
    assert stat.S_IMODE(os.stat(superapp_home.run).st_mode) == 0o700
    mode = os.stat(endpoint.path)
    assert stat.S_ISSOCK(mode.st_mode) and stat.S_IMODE(mode.st_mode) == 0o600
    assert mode.st_uid == os.getuid()


def test_a_second_launcher_does_not_take_over_the_endpoint(
    endpoint: LaunchEndpoint, superapp_home: Paths
) -> None:
    other = LaunchEndpoint(superapp_home, endpoint._supervisor, endpoint._supervisor.audit)
    assert not other.start()  # the first holds launcher.lock
    other.close(drain_s=0)
    assert endpoint.path.exists()  # its socket was not unlinked by the second
    _still_serves(superapp_home)


def _as_nobody(paths: Paths) -> dict[str, Any]:
    return send_as_nobody(paths.run, "launcher.sock", {"app_id": UNINSTALLED})


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run a client as another user",
)
def test_another_user_cannot_launch_through_the_endpoint(
    endpoint: LaunchEndpoint, superapp_home: Paths
) -> None:
    # Layer 1, the file system: the owner-only folder and socket refuse the connection.
    assert _as_nobody(superapp_home) == {"connect": "PermissionError"}
    assert not _refusals(superapp_home)  # it never reached the host
    # Layer 2, the kernel's peer credentials: even with both modes opened up (a user's
    # mistake, a restored backup), the host refuses a peer of another uid and audits it.
    os.chmod(superapp_home.run, 0o711)  # noqa: S103 (the misconfiguration under test)
    os.chmod(endpoint.path, 0o666)  # noqa: S103
    try:
        reply = _as_nobody(superapp_home)
    finally:
        os.chmod(superapp_home.run, 0o700)
        os.chmod(endpoint.path, 0o600)
    assert reply["code"] == "FORBIDDEN", reply
    [refusal] = _refusals(superapp_home)
    assert refusal["superapp"]["code"] == "FORBIDDEN"
    assert refusal["superapp"]["peer_uid"] == 65534
    assert refusal["event"]["reason"] == "another user"
    assert not audit_events(superapp_home, "app.launched")
    _still_serves(superapp_home)


def test_confined_app_cannot_launch_through_the_endpoint(tmp_path: Path) -> None:
    """A mini-app's runtime is this user's process: the socket's modes let it connect (Landlock
    ABI 7 does not cover named sockets), so the host refuses it by what it is (more confined
    than the host), audits it, and launches nothing."""
    from tests.confine.world import VICTIM, World, landlock_abi

    if landlock_abi() < 6:
        pytest.skip("this kernel has no Landlock ABI 6 (the report says so)")
    world = World.build(tmp_path)
    supervisor = Supervisor(world.paths, AuditLog(world.paths.audit_log))
    served = LaunchEndpoint(world.paths, supervisor, supervisor.audit)
    assert served.start()
    try:
        request = json.dumps({"app_id": VICTIM}) + "\n"
        result = world.run([("connect_unix", [str(served.path), request])]).only()
        assert "FORBIDDEN" in result["detail"], result
        [refusal] = _refusals(world.paths)
        assert refusal["event"]["reason"] == "a confined process"
        assert refusal["superapp"]["code"] == "FORBIDDEN"
        assert not audit_events(world.paths, "app.launched")
    finally:
        served.close(drain_s=5)
        supervisor.shutdown()


def test_request_while_the_launcher_closes_is_told_to_run_its_own_host(
    endpoint: LaunchEndpoint, superapp_home: Paths
) -> None:
    """A connection the launcher took just before it began to close: ``HOST_EXITING`` (the
    caller then starts its own host, where the run lock decides), audited, nothing launched."""
    from superapp.testing import wait_until

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(endpoint.path))
        wait_until(lambda: endpoint._conns.active == 1, what="the endpoint took the connection")
        endpoint.stop_accepting()
        assert not endpoint.path.exists()  # new callers find no launcher
        sock.sendall(json.dumps({"app_id": UNINSTALLED}).encode() + b"\n")
        reply = json.loads(sock.makefile("rb").readline())
    assert reply["code"] == "HOST_EXITING", reply
    [refusal] = _refusals(superapp_home)
    assert refusal["superapp"]["code"] == "HOST_EXITING"
    assert not audit_events(superapp_home, "app.launched")


def test_run_finds_no_launcher_behind_a_killed_launchers_socket(superapp_home: Paths) -> None:
    """A launcher killed with SIGKILL leaves its socket file: ``superapp run`` is refused the
    connection and starts its own host (the next launcher replaces the file)."""
    from superapp.cli._delegate import open_in_launcher

    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(launcher_socket(superapp_home)))
    stale.close()  # the file stays, nobody listens
    assert open_in_launcher(superapp_home, UNINSTALLED) == "no launcher is running"

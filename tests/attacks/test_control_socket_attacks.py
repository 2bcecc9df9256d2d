"""Attacks on the host's control socket (``<state>/run/host-<pid>.sock``): the socket through
which ``superapp stop|hide|suspend|discard|resume APP_ID`` reaches the host running the app.

Its promise (SECURITY.md): only this user reaches it, only a well-formed
``{"op": <op>, "app_id": <id in the id grammar>}`` is acted on, every refusal gets a typed code
and an audit entry (``host.control``) that never echoes the caller's bytes, and the host keeps
serving. The server is the real one on a real supervisor and audit log in this process; the
requests are raw bytes on a real Unix socket, and "another user" is a real process running as
``nobody`` (setpriv), checked by the kernel's ``SO_PEERCRED``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from superapp.audit import AuditLog
from superapp.core.errors import AppStateError, UsageError
from superapp.core.paths import Paths
from superapp.host import HostServer, Supervisor, request_lifecycle, request_stop
from superapp.testing import audit_events
from tests.helpers.other_user import send_as_nobody

NOT_RUNNING = "com.example.not.running"


class _Recorder:
    """Every app id the supervisor was asked to act on (none, for a refused request)."""

    def __init__(self, supervisor: Supervisor, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[str] = []
        for name in ("stop", "get"):
            real = getattr(supervisor, name)

            def record(app_id: str, *args: Any, _real: Any = real, **kw: Any) -> Any:
                self.asked.append(app_id)
                return _real(app_id, *args, **kw)

            monkeypatch.setattr(supervisor, name, record)


@pytest.fixture
def server(superapp_home: Paths) -> Iterator[HostServer]:
    supervisor = Supervisor(superapp_home, AuditLog(superapp_home.audit_log))
    served = HostServer(superapp_home, supervisor)
    served.start()
    yield served
    served.close(drain_s=5)
    supervisor.shutdown()


def _exchange(server: HostServer, payload: bytes) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(server.path))
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        line = sock.makefile("rb").readline(8192)
    reply: dict[str, Any] = json.loads(line)
    return reply


def _refusals(paths: Paths) -> list[dict[str, Any]]:
    return [e for e in audit_events(paths, "host.control") if e["event"]["outcome"] == "failure"]


def _still_serves(server: HostServer) -> None:
    """The host survived: a well-formed request still gets its typed answer."""
    reply = _exchange(server, json.dumps({"op": "stop", "app_id": NOT_RUNNING}).encode() + b"\n")
    assert reply == {"ok": False, "code": "REFUSED", "error": f"{NOT_RUNNING} is not running"}


FORGED = {
    "path_as_id": b'{"op": "stop", "app_id": "../../../../etc/passwd"}\n',
    "path_in_id": b'{"op": "resume", "app_id": "com.example/../../evil"}\n',
    "upper_case_id": b'{"op": "suspend", "app_id": "Com.Example.Notes"}\n',
    "id_with_nul": b'{"op": "stop", "app_id": "com.example.notes\\u0000evil"}\n',
    "id_with_bidi": '{"op": "stop", "app_id": "com.example.\u202eevil"}\n'.encode(),
    "id_with_newline": b'{"op": "hide", "app_id": "com.example.notes\\nevil"}\n',
    "id_not_a_string": b'{"op": "stop", "app_id": ["com.example.notes"]}\n',
    "id_coerced_number": b'{"op": "stop", "app_id": 5}\n',
    "id_too_long": b'{"op": "stop", "app_id": "com.' + b"q" * 200 + b'"}\n',
    "unknown_op": b'{"op": "evil_launch", "app_id": "com.example.notes"}\n',
    "extra_field": b'{"op": "stop", "app_id": "com.example.notes", "bundle": "/tmp/evil"}\n',
    "bidi_field_name": '{"op": "stop", "app_id": "com.example.notes", "\u202eevil": 1}\n'.encode(),
    "not_json": b"stop com.example.notes\n",
    "not_an_object": b'["stop", "com.example.notes"]\n',
    "no_newline": b'{"op": "stop", "app_id": "com.example.notes"}',
    "oversize": b'{"op": "stop", "app_id": "' + b"q" * 9000 + b'"}\n',
}


@pytest.mark.parametrize("payload", FORGED.values(), ids=FORGED.keys())
def test_control_socket_refuses_a_forged_app_id_and_audits_it(
    server: HostServer, superapp_home: Paths, monkeypatch: pytest.MonkeyPatch, payload: bytes
) -> None:
    recorder = _Recorder(server.supervisor, monkeypatch)
    reply = _exchange(server, payload)
    assert reply["ok"] is False and reply["code"] == "INVALID_REQUEST", reply
    # The supervisor was never asked to act on anything.
    assert recorder.asked == []
    [refusal] = _refusals(superapp_home)
    assert refusal["superapp"]["code"] == "INVALID_REQUEST"
    assert refusal["superapp"]["peer_uid"] == os.getuid()
    assert refusal["superapp"]["peer_pid"] == os.getpid()
    assert "app_id" not in refusal["superapp"]  # the forged id is not recorded as an app's
    # Which rule failed, never the caller's bytes (a path, a field name, a bidi override).
    reason = refusal["event"]["reason"]
    assert reason.startswith("invalid request")
    line = (superapp_home.audit_log).read_text(encoding="utf-8")
    # "qqqq", not "aaaa": the audit line holds hex digests, where "aaaa" turns up by chance.
    for echoed in ("evil", "passwd", "\u202e", "\\u202e", "qqqq", "/tmp"):
        assert echoed not in reason and echoed not in reply["error"]
        assert echoed not in line
    assert not list((superapp_home.run / "apps").glob("*.json"))
    _still_serves(server)


def test_control_socket_refuses_a_silent_peer_in_time_and_keeps_serving(
    server: HostServer, superapp_home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A peer that connects and sends nothing holds no thread past the request timeout."""
    from superapp.host import _server

    monkeypatch.setattr(_server, "REQUEST_TIMEOUT_S", 0.2)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(server.path))
        reply = json.loads(sock.makefile("rb").readline())
    assert reply["code"] == "INVALID_REQUEST" and "nothing sent in time" in reply["error"]
    [refusal] = _refusals(superapp_home)
    assert refusal["event"]["reason"] == "invalid request: nothing sent in time"
    _still_serves(server)


def test_control_request_for_an_app_this_host_does_not_run_is_refused_with_a_code(
    server: HostServer, superapp_home: Paths
) -> None:
    _still_serves(server)
    [refusal] = _refusals(superapp_home)
    assert refusal["superapp"]["code"] == "REFUSED"
    assert refusal["superapp"]["app_id"] == NOT_RUNNING
    assert refusal["superapp"]["op"] == "stop"


def test_control_client_refuses_an_invalid_app_id_before_connecting(superapp_home: Paths) -> None:
    """``superapp stop`` with an id outside the grammar is a usage error, not a request."""
    with pytest.raises(UsageError, match="not a valid app id"):
        request_stop(superapp_home, "../../etc/passwd")
    with pytest.raises(UsageError, match="not a valid app id"):
        request_lifecycle(superapp_home, "Com.Example", "resume")
    with pytest.raises(AppStateError, match="is not running"):
        request_stop(superapp_home, NOT_RUNNING)  # valid, not running: no record to follow


def _as_nobody(server: HostServer) -> dict[str, Any]:
    return send_as_nobody(server.paths.run, server.path.name, {"op": "stop", "app_id": NOT_RUNNING})


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run a client as another user",
)
def test_another_user_cannot_use_the_control_socket(
    server: HostServer, superapp_home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _Recorder(server.supervisor, monkeypatch)
    # Layer 1, the file system: the owner-only folder and socket refuse the connection.
    assert _as_nobody(server) == {"connect": "PermissionError"}
    assert not _refusals(superapp_home)
    # Layer 2, the kernel's peer credentials, with both modes opened up by mistake.
    os.chmod(superapp_home.run, 0o711)  # noqa: S103 (the misconfiguration under test)
    os.chmod(server.path, 0o666)  # noqa: S103
    try:
        reply = _as_nobody(server)
    finally:
        os.chmod(superapp_home.run, 0o700)
        os.chmod(server.path, 0o600)
    assert reply == {"ok": False, "code": "FORBIDDEN", "error": "another user"}
    [refusal] = _refusals(superapp_home)
    assert refusal["superapp"]["code"] == "FORBIDDEN"
    assert refusal["superapp"]["peer_uid"] == 65534
    assert "app_id" not in refusal["superapp"]  # a refused peer's request is never parsed
    assert recorder.asked == []
    _still_serves(server)

"""The control channel's decoder refuses what is not a strict, typed message — through a real socket.

Regressions for what bench/fuzz.py found (bench/RESULTS.md): a deeply nested frame made the JSON
scanner raise RecursionError out of ``Channel.recv``, which ended the host's reader thread for
that app instead of closing the channel; NaN, infinities and lone surrogates were accepted though
they cannot be written back as JSON (audit log, answers).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from superapp import protocol as control
from superapp.audit import AuditLog
from superapp.core.consent import ConsentAnswer
from superapp.core.paths import Paths
from superapp.host import RunningApp, Supervisor


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, control.Channel]]:
    """A raw runtime end (sends any bytes) and the host's Channel on the other end."""
    runtime, host = socket.socketpair()
    channel = control.Channel(host)
    yield runtime, channel
    channel.close()
    runtime.close()


def _send_soon(sock: socket.socket, data: bytes) -> None:
    # Frames larger than the socket buffer block until the other end reads.
    sender = threading.Thread(target=sock.sendall, args=(data,), daemon=True)
    sender.start()


MALFORMED = {
    "deep_array": b"[" * 100_000 + b"\n",
    "deep_object": b'{"type":"audit","action":"x","fields":' + b'{"a":' * 50_000 + b"1\n",
    "nan": b'{"type":"loaded","url":"app://a/","elapsed_ms":NaN}\n',
    "infinity": b'{"type":"audit","action":"x","fields":{"n":-Infinity}}\n',
    "overflowing_float": b'{"type":"loaded","url":"app://a/","elapsed_ms":1e999}\n',
    "lone_surrogate": b'{"type":"audit","action":"x","reason":"\\ud800"}\n',
    "lone_surrogate_in_key": b'{"type":"audit","action":"x","fields":{"\\udfff":1}}\n',
    "unknown_type": b'{"type":"exec","cmd":"sh"}\n',
    "extra_field": b'{"type":"terminate","reason":"x","app_id":"com.other"}\n',
    "hello_without_version": b'{"type":"hello","pid":7,"sandbox":true}\n',
    "not_utf8": b'{"type":"notice","level":"info","message":"\xff"}\n',
    # Parses and validates, but pydantic cannot serialise it back ("Maximum serialization
    # depth exceeded"): found by bench/fuzz.py on protocol v2.
    "deeper_than_it_can_be_written_back": b'{"type":"audit","action":"x","fields":{"a":'
    + b"[" * 300
    + b"]" * 300
    + b"}}\n",
}


@pytest.mark.parametrize("frame", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_frame_closes_the_channel(
    pair: tuple[socket.socket, control.Channel], frame: bytes
) -> None:
    runtime, channel = pair
    _send_soon(runtime, frame)
    with pytest.raises(control.ChannelClosedError, match="malformed control message"):
        channel.recv()


def test_nesting_the_limit_allows_is_accepted_and_written_back() -> None:
    inner: object = 1
    for _ in range(control.MAX_NESTING - 2):  # the message and its fields are two levels
        inner = [inner]
    msg = control.Audit(action="x", fields={"a": inner})
    frame = msg.model_dump_json().encode("utf-8") + b"\n"
    assert control.decode_message(frame) == msg
    with pytest.raises(control.ChannelClosedError, match="nested deeper"):
        control.decode_message(frame.replace(b"[", b"[[", 1).replace(b"]", b"]]", 1))


def test_deep_nesting_ends_serve_instead_of_killing_the_reader(
    pair: tuple[socket.socket, control.Channel],
) -> None:
    runtime, channel = pair
    handled: list[control.Message] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            channel.serve(handled.append)
        except BaseException as err:  # what the reader thread would have died of
            errors.append(err)

    reader = threading.Thread(target=read)
    reader.start()
    hello = b'{"type":"hello","protocol":%d,"pid":7,"sandbox":true}\n' % control.PROTOCOL_VERSION
    runtime.sendall(hello + b"[" * 100_000 + b"\n")
    runtime.shutdown(socket.SHUT_WR)
    reader.join(timeout=60)
    assert not reader.is_alive()
    assert errors == []
    assert handled == [control.Hello(protocol=control.PROTOCOL_VERSION, pid=7, sandbox=True)]


def test_every_message_type_still_round_trips(pair: tuple[socket.socket, control.Channel]) -> None:
    runtime, channel = pair
    sender = control.Channel(runtime)
    messages: list[control.Message] = [
        control.Hello(protocol=control.PROTOCOL_VERSION, pid=1, sandbox=False),
        control.Loaded(url="app://com.example.a/", elapsed_ms=1.5, renderer_pid=2),
        control.Audit(action="net.blocked", reason="é", fields={"n": [1, 2.5, None, {"k": "v"}]}),
        control.ConsentRequest(request_id=3, capability="user:readProfile", reason="r"),
        control.ConsentReply(request_id=3, answer=ConsentAnswer.DENY),
        control.ShareRequest(request_id=4, to="com.example.b", data="{}"),
        control.ShareAnswer(request_id=4, outcome="declined"),
        control.Metrics(counters={"storage.writes": 9}),
        control.Notice(level="error", message="m"),
        control.Console(
            stream="csp", level="error", text="index.html:3: x", source="index.html", line=3
        ),
        control.Terminate(reason="budget"),
        control.Lifecycle(command="freeze"),
        control.WindowState(visible=False, page="frozen", audible=True, input=False),
    ]
    for msg in messages:
        sender.send(msg)
    assert [channel.recv() for _ in messages] == messages


def test_runtime_audit_fields_cannot_end_the_hosts_reader(tmp_path: Path) -> None:
    """An ``audit`` message whose fields are named like ``AuditLog.record``'s own keywords
    (``app_id``, ``outcome``, ``reason``) made the host's handler raise TypeError, which ended
    the reader thread for that app: later messages (consent requests, metrics) went unread.
    """
    paths = Paths.from_env({"SUPERAPP_HOME": str(tmp_path)})
    paths.ensure()
    audit = AuditLog(paths.audit_log)
    supervisor = Supervisor(paths, audit)
    runtime, host = socket.socketpair()
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    with (tmp_path / "lock").open("wb") as lock:
        app = RunningApp("com.example.a", proc, control.Channel(host), lock)
        reader = threading.Thread(target=supervisor._read, args=(app,))
        reader.start()
        sender = control.Channel(runtime)
        sender.send(
            control.Audit(
                action="page.said",
                fields={"app_id": "com.example.victim", "outcome": "success", "reason": "x"},
            )
        )
        sender.send(control.Metrics(counters={"storage.writes": 3}))
        sender.close()  # EOF: serve() returns once both messages are handled
        reader.join(timeout=60)
        assert not reader.is_alive()
        app.channel.close()
    assert app.counters == {"storage.writes": 3}  # the message after the audit was read
    [event] = [e for e in audit.events() if e["event"]["action"] == "page.said"]
    assert event["superapp"]["app_id"] == "com.example.a"  # identity from the channel
    assert event["superapp"]["app_id_"] == "com.example.victim"
    assert event["event"]["outcome"] == "unknown"


@pytest.mark.parametrize(
    "frame",
    [
        b'{"type":"lifecycle","command":"kill"}\n',
        b'{"type":"window_state","visible":true,"page":"zombie"}\n',
    ],
    ids=["unknown-command", "unknown-page-state"],
)
def test_lifecycle_messages_are_strict(frame: bytes) -> None:
    with pytest.raises(control.ChannelClosedError, match="malformed"):
        control.decode_message(frame)

"""The control channel's decoder refuses what is not a strict, typed message — through a real socket.

Regressions for what bench/fuzz.py found (bench/RESULTS.md): a deeply nested frame made the JSON
scanner raise RecursionError out of ``Channel.recv``, which ended the host's reader thread for
that app instead of closing the channel; NaN, infinities and lone surrogates were accepted though
they cannot be written back as JSON (audit log, answers).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from superapp import control


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
    "extra_field": b'{"type":"grants_changed","app_id":"com.other"}\n',
    "not_utf8": b'{"type":"notice","level":"info","message":"\xff"}\n',
}


@pytest.mark.parametrize("frame", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_frame_closes_the_channel(
    pair: tuple[socket.socket, control.Channel], frame: bytes
) -> None:
    runtime, channel = pair
    _send_soon(runtime, frame)
    with pytest.raises(control.ChannelClosedError, match="malformed control message"):
        channel.recv()


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
    runtime.sendall(b'{"type":"hello","pid":7,"sandbox":true}\n' + b"[" * 100_000 + b"\n")
    runtime.shutdown(socket.SHUT_WR)
    reader.join(timeout=60)
    assert not reader.is_alive()
    assert errors == []
    assert handled == [control.Hello(pid=7, sandbox=True)]


def test_every_message_type_still_round_trips(pair: tuple[socket.socket, control.Channel]) -> None:
    runtime, channel = pair
    sender = control.Channel(runtime)
    messages: list[control.Message] = [
        control.Hello(pid=1, sandbox=False),
        control.Loaded(url="app://com.example.a/", elapsed_ms=1.5, renderer_pid=2),
        control.Audit(action="net.blocked", reason="é", fields={"n": [1, 2.5, None, {"k": "v"}]}),
        control.ConsentRequest(request_id=3, capability="user:readProfile", reason="r"),
        control.ConsentAnswer(request_id=3, answer="deny"),
        control.ShareRequest(request_id=4, to="com.example.b", data="{}"),
        control.ShareAnswer(request_id=4, outcome="declined"),
        control.Metrics(counters={"storage.writes": 9}),
        control.Notice(level="error", message="m"),
        control.Terminate(reason="budget"),
        control.GrantsChanged(),
    ]
    for msg in messages:
        sender.send(msg)
    assert [channel.recv() for _ in messages] == messages

"""Where a bound runtime's grants check spends its time (no window): the ``grants_query``
round trip to the host over a real control socket, and its parts.

    python bench/grants_query.py [--calls N]

Parts, each timed alone in this process: the registry read the host answers with (a fresh
connection per answer, as ``superapp.host._bind.grant_rows`` does; one indexed read on a
kept-open connection; ``PRAGMA data_version``, what an answer cache's validator would cost;
a ``stat`` of the file and its WAL, the identity check of ``superapp.host._grantanswers``),
and the four codec steps (runtime encodes the query, host decodes it, host encodes the reply,
runtime decodes it).

Round trip: ``HostGrants.states()`` in this process (the runtime's side: its control reader
thread matches the reply) against a host in a child process (``--serve``) on a
``socketpair``, as the supervisor spawns a runtime. The host answers as before 2026-12-02
(``fresh``: a connection opened per answer), through ``answer_grants`` and its kept-open
connection (``kept``), or with a constant reply (``constant``: the transport and codec
floor, no registry at all). Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from superapp import protocol as control  # noqa: E402
from superapp.core.paths import Paths  # noqa: E402
from superapp.state.grants import GrantStore  # noqa: E402

APP = "dev.superapp.benchgrants"
CAPS = ("storage", "clipboard:write", "notifications", "user:readProfile")


def _setup() -> Paths:
    paths = Paths.from_env()
    with GrantStore(paths.registry_db) as store:
        store.sync_declared(APP, CAPS)
        store.grant(APP, "user:readProfile", source="consent")
    return paths


def _time(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    for _ in range(min(200, calls)):
        fn()
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return statistics.median(samples) * 1e6, samples[int(len(samples) * 0.99)] * 1e6


def _parts(paths: Paths, calls: int) -> list[tuple[str, float, float]]:
    from superapp.host._bind import grant_rows

    rows = grant_rows(paths, APP)
    conn = sqlite3.connect(paths.registry_db, isolation_level=None, check_same_thread=False)
    select = "SELECT capability, state, source, updated_at FROM grants WHERE app_id = ?"
    db, wal = str(paths.registry_db), f"{paths.registry_db}-wal"
    query = control.GrantsQuery(request_id=1)
    reply = control.GrantsReply(request_id=1, grants=rows)
    query_line = query.model_dump_json().encode() + b"\n"
    reply_line = reply.model_dump_json().encode() + b"\n"
    parts: list[tuple[str, Callable[[], object]]] = [
        ("host: registry read, fresh connection (main)", lambda: grant_rows(paths, APP)),
        (
            "host: registry read, kept-open connection",
            lambda: conn.execute(select, (APP,)).fetchall(),
        ),
        (
            "host: PRAGMA data_version, kept-open connection",
            lambda: conn.execute("PRAGMA data_version").fetchone(),
        ),
        ("host: stat of the file and its WAL", lambda: (os.stat(db), os.stat(wal))),
        ("runtime: encode grants_query", lambda: query.model_dump_json().encode() + b"\n"),
        ("host: decode grants_query", lambda: control.decode_message(query_line)),
        ("host: encode grants_reply (4 rows)", lambda: reply.model_dump_json().encode() + b"\n"),
        ("runtime: decode grants_reply", lambda: control.decode_message(reply_line)),
    ]
    out = [(label, *_time(fn, calls)) for label, fn in parts]
    conn.close()
    return out


def _serve(fd: int, mode: str) -> None:
    """The host's side: answer every ``grants_query`` on the channel until it closes."""
    from superapp.host._bind import grant_rows

    paths = Paths.from_env()
    channel = control.Channel.from_fd(fd)
    app: Any = SimpleNamespace(app_id=APP, channel=channel)
    if mode == "fresh":  # main's answer_grants: a connection opened and closed per answer
        answer: Callable[[Any], None] = lambda msg: channel.send(  # noqa: E731
            control.GrantsReply(request_id=msg.request_id, grants=grant_rows(paths, APP))
        )
    elif mode == "constant":
        rows = grant_rows(paths, APP)
        answer = lambda msg: channel.send(  # noqa: E731
            control.GrantsReply(request_id=msg.request_id, grants=rows)
        )
    else:
        from superapp.host._bind import answer_grants
        from superapp.host._grantanswers import GrantAnswers

        answers = GrantAnswers(paths.registry_db)
        answer = lambda msg: answer_grants(answers, app, msg)  # noqa: E731

    def handle(msg: control.Message) -> None:
        if isinstance(msg, control.GrantsQuery):
            answer(msg)

    channel.serve(handle)


def _round_trip(mode: str, calls: int) -> tuple[float, float]:
    from superapp.runtime._hostside import HostGrants, HostRequests

    ours, theirs = socket.socketpair()
    host = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(theirs.fileno()), "--mode", mode],
        pass_fds=(theirs.fileno(),),
    )
    theirs.close()
    channel = control.Channel(ours)
    requests = HostRequests(channel)

    def reader() -> None:
        def on(msg: control.Message) -> None:
            if isinstance(msg, control.GrantsReply):
                requests.answer(msg)

        channel.serve(on)

    threading.Thread(target=reader, daemon=True).start()
    grants = HostGrants(requests, APP)
    try:
        assert grants.states(APP).get("user:readProfile") == "granted"
        return _time(lambda: grants.states(APP), calls)
    finally:
        channel.close()
        host.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="fresh", help=argparse.SUPPRESS)
    parser.add_argument("--modes", default="fresh,kept,constant")
    args = parser.parse_args()
    if args.serve is not None:
        _serve(args.serve, args.mode)
        return 0
    with tempfile.TemporaryDirectory() as home:
        os.environ["SUPERAPP_HOME"] = home
        paths = _setup()
        print(f"load average {os.getloadavg()[0]:.1f}, {args.calls} calls each\n")
        print("| part | p50 µs | p99 µs |\n|---|---:|---:|")
        for label, p50, p99 in _parts(paths, args.calls):
            print(f"| {label} | {p50:.1f} | {p99:.1f} |")
        print("\n| HostGrants.states() round trip, host answers | p50 µs | p99 µs |")
        print("|---|---:|---:|")
        for mode in args.modes.split(","):
            p50, p99 = _round_trip(mode, args.calls)
            print(f"| {mode} | {p50:.1f} | {p99:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

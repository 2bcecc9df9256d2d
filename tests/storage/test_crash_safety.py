"""kill -9 in the middle of writes, 50 times: the store always opens, every acknowledged
write is there, and no value or file is half-written.

A child process (storage_child.py crash) writes values and files without end and
acknowledges each write on a pipe only after its transaction committed. The parent kills it
with SIGKILL after a random number of acknowledgements (so the kill lands anywhere inside
the next write: mid-transaction, mid-fsync, between a file rename and its ledger commit),
then opens the store itself and checks it. The writers are forked by one long-lived child
(a fork server that has done the imports), so 50 kills cost 50 forks, not 50 interpreter
start-ups; each writer opens its own store after the fork.
"""

from __future__ import annotations

import importlib
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.storage import AppStore, StorageLimits, open_store

sys.path.insert(0, str(Path(__file__).parent))
_child = importlib.import_module("storage_child")
crash_file, crash_value = _child.crash_file, _child.crash_value

APP = "com.example.crashy"
KILLS = 50
CHILD = Path(__file__).with_name("storage_child.py")
LIMITS = StorageLimits(quota_bytes=1 << 30, max_keys=1_000_000, max_files=100_000)


def _run_and_kill(writer: subprocess.Popen[bytes], start: int, acks_before_kill: int) -> list[int]:
    """Fork a writer at ``start``, SIGKILL it after that many acks; every ack it sent."""
    assert writer.stdin is not None and writer.stdout is not None
    writer.stdin.write(f"{start}\n".encode())
    writer.stdin.flush()
    first = writer.stdout.readline()
    assert first.startswith(b"pid "), first
    pid = int(first.split()[1])
    acked: list[int] = []
    while len(acked) < acks_before_kill:
        line = writer.stdout.readline()
        assert line.endswith(b"\n") and not line.startswith(b"dead"), "writer died early"
        acked.append(int(line))
    os.kill(pid, signal.SIGKILL)
    # acks already in the pipe were sent before death: they count. "dead" comes after all.
    for line in iter(writer.stdout.readline, b"dead\n"):
        assert line, "fork server died"
        acked.append(int(line))
    return acked


def _check_round(store: AppStore, acked: list[int]) -> None:
    in_flight = acked[-1] + 1  # the one write that may have committed without its ack
    # every acknowledged value is present and whole
    for seq in acked:
        if seq % 4:
            assert store.kv.get(f"w{seq}") == crash_value(seq), seq
    last_value = max(s for s in acked if s % 4)
    assert last_value <= store.kv.get("last") <= in_flight
    last_file = max((s for s in acked if s % 4 == 0), default=-1)
    assert last_file <= store.kv.get("last-file", -1) <= in_flight
    # nothing beyond acked + in-flight exists in this round's range, and that is whole too
    present = {int(k[1:]) for k in store.kv.keys("w") if int(k[1:]) >= acked[0]}
    assert set(s for s in acked if s % 4) <= present <= set(acked) | {in_flight}
    for seq in present - set(acked):
        assert store.kv.get(f"w{seq}") == crash_value(seq)
    # every file slot holds one whole file, at least as new as its last acknowledged write
    for slot in {s % 64 for s in acked if s % 4 == 0}:
        content = store.files.read(f"f/{slot}.bin")
        assert content is not None
        seq = int(content.split(b" ")[1])
        assert content == crash_file(seq)
        newest_acked = max(s for s in acked if s % 4 == 0 and s % 64 == slot)
        assert newest_acked <= seq <= in_flight
    # the quota ledger matches what is really there
    usage = store.usage()
    assert usage.keys == len(store.kv.keys())
    listed = {e.name: e.size for e in store.files.list("f")}
    for name, size in listed.items():
        content = store.files.read(f"f/{name}")
        assert content is not None and len(content) == size


def test_kill_9_during_writes_loses_no_acknowledged_write(paths: Paths) -> None:
    rng = random.Random(20261121)
    home = paths.data.parent
    audit = AuditLog(paths.audit_log)
    start = 1
    all_acked: list[int] = []
    with subprocess.Popen(
        [sys.executable, str(CHILD), "crash", str(home), APP],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as writer:
        for _ in range(KILLS):
            acked = _run_and_kill(writer, start, rng.randint(40, 300))
            assert acked == list(range(start, start + len(acked)))
            with open_store(paths, APP, limits=LIMITS, audit=audit) as store:
                assert store.recovered is None, store.recovered
                _check_round(store, acked)
            all_acked += acked
            start = acked[-1] + 1
        assert writer.stdin is not None
        writer.stdin.close()
    assert writer.returncode == 0
    assert len(all_acked) >= 40 * KILLS
    with open_store(paths, APP, limits=LIMITS, audit=audit) as store:
        for seq in all_acked:
            if seq % 4:
                assert store.kv.get(f"w{seq}") == crash_value(seq)
    assert not [e for e in audit.events() if e["event"]["action"] == "storage.recovered"]

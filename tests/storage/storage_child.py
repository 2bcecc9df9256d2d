"""A child process for the crash and quota-race tests (run as a script, not collected).

storage_child.py crash HOME APP_ID         a fork server: for each line "START" on stdin,
                                           fork a writer (printing "pid <pid>") that
                                           writes forever from sequence START and prints
                                           "<seq>" after each commit (the acknowledgement);
                                           when the writer dies, print "dead <status>"
storage_child.py race HOME APP_ID TAG N QUOTA
                                           try N writes of 100-byte values; print
                                           "ok <key>" / "quota <key>" per write
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
from pathlib import Path

from superapp.core.paths import Paths
from superapp.storage import QuotaError, StorageLimits, open_store


def crash_value(seq: int) -> dict[str, object]:
    """The value written at ``seq``: its padding is checked against its digest on reading."""
    pad = random.Random(seq).randbytes(random.Random(-seq).randint(10, 3000)).hex()
    return {"seq": seq, "pad": pad, "sha": hashlib.sha256(pad.encode()).hexdigest()}


def crash_file(seq: int) -> bytes:
    return (f"file {seq} ".encode() * 200)[: 500 + seq % 1500]


def _paths(home: str) -> Paths:
    root = Path(home)
    return Paths(root / "data", root / "state", root / "config", root / "cache")


def _crash_writer(paths: Paths, app_id: str, seq: int) -> None:
    out = sys.stdout
    out.write(f"pid {os.getpid()}\n")
    out.flush()
    limits = StorageLimits(quota_bytes=1 << 30, max_keys=1_000_000, max_files=100_000)
    store = open_store(paths, app_id, limits=limits)
    while True:
        if seq % 4 == 0:
            store.files.write(f"f/{seq % 64}.bin", crash_file(seq))
            store.kv.set("last-file", seq)
        else:
            store.kv.set(f"w{seq}", crash_value(seq))
            store.kv.set("last", seq)
        out.write(f"{seq}\n")
        out.flush()
        seq += 1


def main(argv: list[str]) -> int:
    mode, home, app_id = argv[1], argv[2], argv[3]
    paths = _paths(home)
    if mode == "crash":
        # Imports are done once here; each writer is a fresh fork that opens its own store.
        for line in sys.stdin:
            pid = os.fork()
            if pid == 0:
                _crash_writer(paths, app_id, int(line))
            os.waitpid(pid, 0)
            sys.stdout.write("dead\n")
            sys.stdout.flush()
        return 0
    if mode == "race":
        tag, count, quota = argv[4], int(argv[5]), int(argv[6])
        with open_store(paths, app_id, limits=StorageLimits(quota_bytes=quota)) as store:
            for i in range(count):
                key = f"{tag}-{i:04d}"
                try:
                    store.kv.set(key, "v" * 98)
                    print(f"ok {key}", flush=True)
                except QuotaError:
                    print(f"quota {key}", flush=True)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Run records are written by two threads of a host at once (launch and the monitor loop):
each write goes through its own temporary file, so none fails and none is lost (issue 13: a
single fixed ``.tmp`` path made one thread's rename fail when the other had just renamed it)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from superapp.core.paths import Paths
from superapp.host._records import read_record, record_path, running_record, write_record
from superapp.protocol import RunRecord

APP = "com.example.records"


def test_two_threads_write_run_records_without_loss(superapp_home: Paths) -> None:
    errors: list[BaseException] = []
    seen: set[str] = set()
    done = threading.Event()

    def writer(name: str) -> None:
        try:
            for i in range(300):
                record = RunRecord(app_id=APP, host_pid=1, runtime_pid=2, detail=f"{name}-{i}")
                write_record(superapp_home, record)
        except BaseException as err:
            errors.append(err)

    def reader() -> None:
        while not done.is_set():
            record = read_record(superapp_home, APP)  # always a whole record, or none yet
            if record is not None:
                seen.add(record.detail.split("-")[0])

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("launch", "monitor")]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    watcher.join()
    assert errors == []
    final = read_record(superapp_home, APP)
    assert final is not None and final.detail in ("launch-299", "monitor-299")
    folder = record_path(superapp_home, APP).parent
    assert [p.name for p in folder.iterdir()] == [f"{APP}.json"]  # no temporary file left
    assert seen <= {"launch", "monitor"}


def test_a_record_of_a_dead_runtime_is_not_running(superapp_home: Paths) -> None:
    write_record(superapp_home, RunRecord(app_id=APP, host_pid=1, runtime_pid=2**22 + 7))
    assert read_record(superapp_home, APP) is not None
    assert running_record(superapp_home, APP) is None


def test_a_record_of_a_zombie_runtime_is_not_running(superapp_home: Paths) -> None:
    # A runtime whose host was killed is reparented to PID 1, which may reap it seconds later;
    # kill(pid, 0) still succeeds on the zombie. Here the test is the slow reaper.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        write_record(superapp_home, RunRecord(app_id=APP, host_pid=1, runtime_pid=child.pid))
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
        assert Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        assert running_record(superapp_home, APP) is None
    finally:
        child.wait()


def test_a_record_of_a_live_runtime_is_running(superapp_home: Paths) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        write_record(superapp_home, RunRecord(app_id=APP, host_pid=1, runtime_pid=child.pid))
        assert running_record(superapp_home, APP) is not None
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()

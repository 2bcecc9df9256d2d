"""A resume from discarded whose new runtime never loads says why (``_resumewatch``).

A bench once saw the relaunched page not come within 60 s, with nothing to look at afterwards.
Now a runtime that dies is reported at once with its exit status and what the host heard from
it; one that hangs is reported at the limit with the kernel's view of it, audited, and left
alive (never killed by the stack-dump signal it does not catch). The windowless fake runtime
on the real supervisor; states, never timings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from superapp._spawn import runtime_command
from superapp.core.errors import AppStateError
from superapp.core.paths import Paths
from superapp.host import AppState, Supervisor
from superapp.host._app import RunningApp
from superapp.host._discard import DiscardLimits
from superapp.host._resumewatch import DUMP_SIGNAL, _catches, diagnose, proc_state
from superapp.protocol import Channel
from superapp.testing import audit_events, wait_until
from tests.host.conftest import MakeSupervisor, install_signed
from tests.host.test_discard_resume import APP, READY


def _discarded(
    make_supervisor: MakeSupervisor, home: Paths, restored: list[dict[str, Any]]
) -> Supervisor:
    install_signed(home, APP)
    supervisor = make_supervisor(READY, options={"restored_steps": restored})
    first = supervisor.launch(APP)
    assert first.loaded.wait(60)
    supervisor.background.hide(APP, suspend=True)
    supervisor.background.discard(APP)
    assert supervisor.state(APP)[0] is AppState.DISCARDED
    return supervisor


def _failure(home: Paths) -> dict[str, Any]:
    """The one audit entry of the failed resume (its fields)."""
    [entry] = [e for e in audit_events(home, "app.lifecycle", APP)
               if "after resuming" in str(e) or "while resuming" in str(e)]  # fmt: skip
    fields: dict[str, Any] = entry["superapp"]
    return fields


def test_resume_whose_runtime_dies_says_so_with_its_exit(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    supervisor = _discarded(make_supervisor, superapp_home, [{"hello": {}}, {"exit": {"code": 3}}])
    with pytest.raises(AppStateError) as raised:
        supervisor.discarded.resume(APP, "test")  # default limit (60 s): it must not wait it out
    text = str(raised.value)
    assert "exited while resuming" in text
    assert "runtime exited with status 3; heard audit, hello" in text  # its restore audit
    entry = _failure(superapp_home)
    assert entry["exit_code"] == 3 and entry["heard"] == ["audit", "hello"]
    assert supervisor.state(APP)[0] is AppState.CRASHED


def test_resume_whose_runtime_hangs_is_diagnosed_and_left_alive(
    superapp_home: Paths, make_supervisor: MakeSupervisor
) -> None:
    supervisor = _discarded(make_supervisor, superapp_home, [{"hello": {}}])  # never `loaded`
    supervisor.discarded.limits = DiscardLimits(resume_timeout_s=1.0)
    with pytest.raises(AppStateError) as raised:
        supervisor.discarded.resume(APP, "test")
    text = str(raised.value)
    app = supervisor.get(APP)
    assert app is not None
    assert f"did not load within 1 s after resuming: runtime pid {app.pid} alive" in text
    entry = _failure(superapp_home)
    # What it had said by the limit (all of it, unless the machine is very slow), in order.
    heard = entry["heard"]
    assert heard == ["audit", "hello"][: len(heard)]
    assert f"heard {', '.join(heard) or 'nothing'}" in text
    assert "State " in text and "wchan " in text
    assert entry["pid"] == app.pid
    assert entry["proc_state"][0] in "RSD"  # alive: running or waiting, not stopped or dead
    assert "proc_sigblk" in entry and "proc_wchan" in entry
    # The fake does not catch the dump signal: it was not sent (it would have killed it).
    assert entry["stacks_dumped"] is False
    assert app.proc.poll() is None and not app.exited.is_set()


def test_a_real_runtime_stuck_at_start_dumps_its_stacks_when_diagnosed(
    superapp_home: Paths, tmp_path: Path
) -> None:
    """The real runtime (no window: a cold one waits for ``bind`` first) catches the dump
    signal from its first line; ``diagnose`` sends it and its stacks reach standard error."""
    host_end, child_end = socket.socketpair()
    slot = tmp_path / "slot"
    slot.mkdir()
    proc = subprocess.Popen(
        [*runtime_command(), "--control-fd", str(child_end.fileno()),
         "--parent-pid", str(os.getpid()), "--slot-dir", str(slot)],
        pass_fds=[child_end.fileno()], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    child_end.close()
    lock = (tmp_path / "lock").open("a+b")
    app = RunningApp(APP, proc, Channel(host_end), lock)
    try:
        wait_until(lambda: _catches(proc_state(proc.pid), DUMP_SIGNAL), what="handler set")
        line, fields = diagnose(app)
        assert fields["stacks_dumped"] is True
        assert f"runtime pid {proc.pid} alive" in line and "heard nothing" in line
        assert "stacks went to its standard error" in line
        app.channel.close()  # no bind: the runtime ends by itself
        assert proc.wait(60) == 0
        assert proc.stderr is not None
        dumped = proc.stderr.read().decode("utf-8", "replace")
        # Wherever its start was (imports, or waiting for bind): inside the runtime's main.
        assert "Current thread" in dumped and 'runtime/_main.py", line' in dumped
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
        app.channel.close()
        lock.close()

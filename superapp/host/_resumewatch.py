"""Waiting for a resumed (relaunched) app's page, and saying why it did not come.

Resuming a discarded app is a launch (``_discard``, ADR 0014) that returns once the new
runtime's page has loaded. A bench once saw that page not come within the 60 s limit, with
nothing on the runtime's standard error and nothing left to look at afterwards (2 of 15 runs,
bench/RESULTS.md). So:

- ``wait_loaded`` returns as soon as the runtime has *exited* too: a runtime that died (a
  start failure, a signal) is reported at once with its exit status, not after the limit.
- ``diagnose`` says where a runtime that neither loaded nor exited is: what the host heard
  from it (``RunningApp.heard``: ``hello``, ``confinement``, ``warm``… in order), the
  kernel's view of the process (``/proc/<pid>/status`` State, blocked and pending signals,
  threads, and ``wchan``), and asks it for its Python stacks: the runtime registers
  ``faulthandler`` for ``SIGUSR2`` first thing (``superapp.runtime._main``), and the dump
  goes to its standard error (the host's terminal). The signal is sent only if the process
  catches it (``SigCgt``): an interpreter stuck before that point would be killed by it.

Everything here is the host's own view of its child (numbers and kernel names, never a path
or page text), so it can go into the error message and the audit entry.
"""

from __future__ import annotations

import os
import signal
import time

from superapp.confine._peer import proc_status
from superapp.host._app import RunningApp, describe_exit

__all__ = ["DUMP_SIGNAL", "HEARD_MAX", "diagnose", "note_heard", "proc_state", "wait_loaded"]

#: The signal a runtime dumps its threads' Python stacks on (``faulthandler``, to stderr).
DUMP_SIGNAL = signal.SIGUSR2
#: How many message types ``RunningApp.heard`` keeps (the start's sequence is what matters).
HEARD_MAX = 16
#: The slice ``wait_loaded`` waits on ``loaded`` before it looks at ``exited`` again.
_SLICE_S = 0.05
_STATUS_KEYS = ("State", "Threads", "SigPnd", "ShdPnd", "SigBlk", "SigCgt")


def wait_loaded(app: RunningApp, timeout: float) -> bool:
    """True once ``app``'s page has loaded; False when it exited first or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while True:
        if app.loaded.wait(min(_SLICE_S, max(0.0, deadline - time.monotonic()))):
            return True
        if app.exited.is_set():  # the supervisor's exit handler is done with it
            return app.loaded.is_set()
        if time.monotonic() >= deadline:
            return False


def proc_state(pid: int) -> dict[str, str]:
    """The kernel's view of ``pid`` (empty if it is gone): ``_STATUS_KEYS`` and ``wchan``."""
    out: dict[str, str] = {}
    try:
        status = proc_status(pid)
        out.update((k, " ".join(status[k].split())[:40]) for k in _STATUS_KEYS if k in status)
        with open(f"/proc/{pid}/wchan", encoding="ascii", errors="replace") as f:
            out["wchan"] = f.read(64).strip() or "0"
    except OSError:
        pass
    return out


def _catches(state: dict[str, str], sig: signal.Signals) -> bool:
    try:
        return bool(int(state.get("SigCgt", "0"), 16) >> (int(sig) - 1) & 1)
    except ValueError:
        return False


def diagnose(app: RunningApp, *, dump: bool = True) -> tuple[str, dict[str, object]]:
    """Why ``app`` has not loaded: one line for the error message and the audit's fields.
    With ``dump``, a runtime that is alive and catches ``DUMP_SIGNAL`` is sent it."""
    heard = list(app.heard)
    fields: dict[str, object] = {"pid": app.pid, "heard": heard}
    code = app.proc.returncode  # set by the supervisor's exit handler (never reaped here)
    if code is not None:
        fields["exit_code"] = code
        # The exit handler's account (a notice it sent, and the status) once it is done.
        why = app.detail[:300] if app.detail else describe_exit(code)
        return f"runtime {why}; heard {', '.join(heard) or 'nothing'}", fields
    state = proc_state(app.pid)
    fields.update({f"proc_{k.lower()}": v for k, v in state.items()})
    dumped = False
    if dump and _catches(state, DUMP_SIGNAL):
        try:
            os.kill(app.pid, DUMP_SIGNAL)
            dumped = True
        except OSError:
            pass
    fields["stacks_dumped"] = dumped
    where = ", ".join(f"{k} {state[k]}" for k in ("State", "wchan", "Threads") if k in state)
    line = (
        f"runtime pid {app.pid} alive ({where or 'no /proc entry'}); heard "
        f"{', '.join(heard) or 'nothing'}"
        + ("; its threads' stacks went to its standard error" if dumped else "")
    )
    return line, fields


def note_heard(app: RunningApp, kind: str) -> None:
    """Record a message type the host read from ``app``'s runtime (the reader thread)."""
    if len(app.heard) < HEARD_MAX:
        app.heard.append(kind)

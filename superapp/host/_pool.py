"""Generic runtimes: how the host spawns one, and the prewarmed pool (issue 16 point 1).

``spawn_generic`` is the one way a runtime process is started. It knows no app: the process
gets its control channel, its parent's pid, a private *slot* folder (its engine's scratch:
XDG cache and data) and, for a cold launch of a ``persistent``-storage app only, the engine
profile folder. Everything app-specific arrives afterwards in ``bind`` (``_bind``). A cold
launch is ``spawn_generic`` + ``bind`` at once; a warm launch is ``RuntimePool.claim`` + ``bind``.

The pool keeps ``[pool] size`` generic runtimes warm (engine started, egress proxy refusing
everything, no page of any app). A claimed runtime leaves the pool for good and the pool starts
a replacement; a pooled runtime that dies before it is claimed is audited
(``pool.runtime_lost``) and replaced. Runtimes are single-use: once bound, a runtime serves that
app until it exits, and a process is never bound twice (the runtime refuses a second ``bind``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from superapp._spawn import start_runtime_process
from superapp.audit import AuditLog
from superapp.core.errors import RuntimeStartError
from superapp.core.paths import Paths
from superapp.monitor import tree_pss_mb
from superapp.policy import PoolPolicy
from superapp.protocol import (
    PROTOCOL_VERSION,
    Channel,
    ChannelClosedError,
    Hello,
    Message,
    Warm,
)

__all__ = ["GenericRuntime", "RuntimePool", "adopt", "discard", "remove_slot", "spawn_generic"]

_log = logging.getLogger("superapp.host")

#: How long a claim waits for a pooled runtime that is still warming up before it launches
#: cold instead (a warming runtime is usually ahead of a new one).
CLAIM_WAIT_S = 10.0
#: Pause before starting a replacement after a pooled runtime died unclaimed, so a runtime
#: that cannot start (broken install) does not become a fork loop.
RESPAWN_BACKOFF_S = 1.0


@dataclass
class GenericRuntime:
    """One spawned, not yet bound, runtime process."""

    proc: subprocess.Popen[bytes]
    channel: Channel
    slot: Path
    cdp_port: int | None = None
    #: The persistent profile folder it was started with (cold launches of such apps only).
    engine_profile: Path | None = None
    spawned_at: float = field(default_factory=time.monotonic)
    #: Started ``--pooled`` for a cold launch (``superapp run``) with its generic plan's TCP
    #: ports narrowed to these: it serves only an app whose own plan allows exactly them.
    connect_ports: tuple[int, ...] | None = None
    #: What the runtime said before it was bound (``hello``, ``warm``), for the broker.
    early: list[Message] = field(default_factory=list)
    warm: threading.Event = field(default_factory=threading.Event)
    claimed: bool = False

    @property
    def pid(self) -> int:
        return self.proc.pid


def remove_slot(slot: Path) -> None:
    """Delete a runtime's slot folder once the runtime has exited (its engine scratch) —
    never one that still holds an app's moved storage (its record is there: ``_slotmove``)."""
    from superapp.host._slotmove import record_of

    if record_of(slot).exists():
        return
    with contextlib.suppress(OSError):
        shutil.rmtree(slot)


def spawn_generic(
    paths: Paths,
    runtime_argv: Sequence[str] | None,
    *,
    cdp_port: int | None = None,
    engine_profile: Path | None = None,
    pooled: bool = False,
    extra_args: Sequence[str] = (),
    connect_ports: tuple[int, ...] | None = None,
) -> GenericRuntime:
    """Start a runtime process that knows no app (see the module docstring). ``pooled``: it
    locks itself down to its slot at once (generic; ``connect_ports`` narrows its TCP rule);
    else it waits for ``bind`` first.

    Raises:
        RuntimeStartError: the process could not be started.
    """
    try:
        proc, sock, slot = start_runtime_process(
            paths.run, runtime_argv, cdp_port=cdp_port, engine_profile=engine_profile,
            pooled=pooled, extra_args=extra_args, connect_ports=connect_ports,
        )  # fmt: skip
    except OSError as err:
        raise RuntimeStartError(f"cannot start a runtime: {err}") from err
    return GenericRuntime(
        proc, Channel(sock), slot, cdp_port=cdp_port, engine_profile=engine_profile,
        connect_ports=connect_ports,
    )  # fmt: skip


def discard(rt: GenericRuntime) -> None:
    """End a runtime that will not be bound (its whole group) and remove its slot."""
    _kill_group(rt.pid)
    rt.proc.wait()
    rt.channel.close()
    remove_slot(rt.slot)


def adopt(
    started: tuple[subprocess.Popen[bytes], socket.socket, Path],
    *,
    cdp_port: int | None,
    engine_profile: Path | None,
    connect_ports: tuple[int, ...] | None = None,
) -> GenericRuntime:
    """A runtime started by ``superapp._spawn.start_runtime_process`` before the host was up
    (``superapp run``), as the supervisor takes it; ``connect_ports``: it was started
    ``--pooled`` with them (the cold launch's generic path)."""
    proc, sock, slot = started
    return GenericRuntime(
        proc, Channel(sock), slot, cdp_port=cdp_port, engine_profile=engine_profile,
        connect_ports=connect_ports,
    )  # fmt: skip


class RuntimePool:
    """Prewarmed generic runtimes for one host (see the module docstring). Thread-safe."""

    def __init__(
        self,
        paths: Paths,
        audit: AuditLog,
        policy: PoolPolicy,
        *,
        runtime_argv: Sequence[str] | None = None,
        cdp_port: Callable[[], int | None] = lambda: None,
        tree_mb: Callable[[int], float] | None = None,
    ) -> None:
        self._paths = paths
        self._audit = audit
        self._policy = policy
        self._runtime_argv = list(runtime_argv) if runtime_argv is not None else None
        #: Test-only: a CDP port for each pooled runtime (end-to-end tests drive the page).
        self._cdp_port = cdp_port
        self._tree_mb = tree_mb or tree_pss_mb
        self._lock = threading.Lock()
        self._idle: list[GenericRuntime] = []
        self._closed = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # --- queries -------------------------------------------------------------------------
    def idle(self) -> list[GenericRuntime]:
        with self._lock:
            return list(self._idle)

    def idle_mb(self) -> float:
        """PSS of the idle runtimes' process trees (MB): the pool's idle cost."""
        return sum(self._tree_mb(rt.pid) for rt in self.idle())

    # --- life ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._policy.size == 0:
            return
        self._thread = threading.Thread(target=self._fill_loop, name="pool", daemon=True)
        self._thread.start()
        self._wake.set()

    def close(self) -> None:
        """Stop filling and end the idle runtimes (their groups)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        self._wake.set()
        for rt in idle:
            _kill_group(rt.pid)
            rt.channel.close()

    def claim(self) -> GenericRuntime | None:
        """Take one warm runtime out of the pool (waiting a little for one still warming),
        or None when the pool has none; a replacement is started in the background."""
        with self._lock:
            ready = [rt for rt in self._idle if rt.warm.is_set()]
            pick = ready[0] if ready else (self._idle[0] if self._idle else None)
        if pick is None:
            return None
        if not pick.warm.wait(CLAIM_WAIT_S) or pick.proc.poll() is not None:
            return None
        with self._lock:
            if pick not in self._idle:  # lost or claimed meanwhile
                return None
            self._idle.remove(pick)
            pick.claimed = True
        self._wake.set()
        return pick

    # --- filling -------------------------------------------------------------------------
    def _fill_loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while True:
                with self._lock:
                    if self._closed or len(self._idle) >= self._policy.size:
                        break
                if not self._within_budget():
                    break
                try:
                    rt = spawn_generic(
                        self._paths, self._runtime_argv, cdp_port=self._cdp_port(), pooled=True
                    )
                except RuntimeStartError as err:
                    self._audit.record("pool.spawn_failed", outcome="failure", reason=str(err))
                    break
                with self._lock:
                    closed = self._closed
                    if not closed:
                        self._idle.append(rt)
                if closed:
                    _kill_group(rt.pid)
                    break
                threading.Thread(
                    target=self._watch, args=(rt,), name="pool-watch", daemon=True
                ).start()
                # One at a time: each warm-up is a whole engine start, and the machine is
                # the user's (the next one starts once this one is warm).
                rt.warm.wait(CLAIM_WAIT_S * 3)
            with self._lock:
                if self._closed:
                    return

    def _within_budget(self) -> bool:
        idle = self.idle()
        if not idle:
            return True
        used = sum(self._tree_mb(rt.pid) for rt in idle)
        per_runtime = used / len(idle)
        if used + per_runtime <= self._policy.max_idle_mb:
            return True
        self._audit.record(
            "pool.over_budget", outcome="unknown",
            reason=f"another idle runtime would take the pool over {self._policy.max_idle_mb:g} MB",
            idle_mb=round(used, 1), idle=len(idle),
        )  # fmt: skip
        return False

    def _watch(self, rt: GenericRuntime) -> None:
        """Read what the runtime says until it is warm, then wait for its exit: one that
        dies unclaimed is audited and replaced."""
        try:
            while not rt.warm.is_set():
                msg = rt.channel.recv()
                rt.early.append(msg)
                if isinstance(msg, Hello) and msg.protocol != PROTOCOL_VERSION:
                    raise ChannelClosedError(f"protocol version {msg.protocol}")
                if isinstance(msg, Warm):
                    rt.warm.set()
        except ChannelClosedError as err:
            _log.warning("pooled runtime %s: %s", rt.pid, err)
            _kill_group(rt.pid)
        code = rt.proc.wait()
        with self._lock:
            lost = rt in self._idle
            if lost:
                self._idle.remove(rt)
            closed = self._closed
        if not rt.claimed:
            rt.channel.close()
            _kill_group(rt.pid)
            remove_slot(rt.slot)
            rt.warm.set()  # a claim waiting on it gives up
        if lost and not closed:
            self._audit.record(
                "pool.runtime_lost", outcome="failure",
                reason=f"a prewarmed runtime ended before it was claimed ({_describe(code)}); "
                "replaced", pid=rt.pid, exit_code=code,
            )  # fmt: skip
            time.sleep(RESPAWN_BACKOFF_S)
            self._wake.set()


def _describe(code: int) -> str:
    from superapp.host._app import describe_exit

    return describe_exit(code)


def _kill_group(pgid: int) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)

"""One running app as the host sees it, and its life-cycle states (DESIGN §1).

Life cycle of one app::

    stopped ──launch──▶ starting ──loaded──▶ running ──exit 0 / stop()──▶ stopped
                           │                    │
                           └──────crash─────────┴──▶ crashed      (signal, non-zero exit)
                                                └──▶ terminated   (the host stopped it for a reason)

While it runs it may be in the background or slowed down (``_background``): hidden,
suspended, discarded, throttled, and back to running when resumed.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from superapp.core.consent import ConsentAnswer
from superapp.host._prompt import ConsentPrompt
from superapp.protocol import Channel

if TYPE_CHECKING:
    from superapp.host._discard import SavedPage

__all__ = [
    "AppRef",
    "AppState",
    "ConsentFn",
    "RunningApp",
    "ShareConfirmFn",
    "StopTimeouts",
    "describe_exit",
]


class AppState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    #: In the background (issue 16, ``_background``): window hidden; page frozen and the
    #: process tree stopped; page discarded too; or slowed down by a budget's throttle step.
    HIDDEN = "hidden"
    SUSPENDED = "suspended"
    DISCARDED = "discarded"
    THROTTLED = "throttled"
    CRASHED = "crashed"
    TERMINATED = "terminated"


class AppRef(Protocol):
    """An app as the kill switch sees it: a running one, or a discarded one (``_discard``)."""

    @property
    def app_id(self) -> str: ...
    @property
    def dev_src(self) -> Path | None: ...


@dataclass(frozen=True)
class StopTimeouts:
    close_s: float = 3.0
    term_s: float = 2.0


#: Shows the host's consent prompt and returns the user's answer.
ConsentFn = Callable[[ConsentPrompt], ConsentAnswer]
#: Asks the user whether ``sender`` may send data to ``receiver`` (sender id, name, id).
ShareConfirmFn = Callable[[str, str, str], bool]


@dataclass
class RunningApp:
    app_id: str
    proc: subprocess.Popen[bytes]
    channel: Channel
    lock: IO[bytes]
    dev_src: Path | None = None
    cdp_port: int | None = None
    state: AppState = AppState.STARTING
    detail: str = ""
    started_at: float = field(default_factory=time.monotonic)
    loaded_at: float | None = None
    renderer_pid: int | None = None
    sandbox: bool | None = None
    #: Layer -> {status, detail}: the runtime's confinement report and the host's own check
    #: of the engine's sandbox (``_confinement``).
    confinement: dict[str, dict[str, str]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None
    #: Set when the app is stopped over its engine-storage budget: once it has exited (and
    #: before its lock is released) its engine profile is evicted, with this reason.
    evict_engine: str | None = None
    #: The runtime's private scratch folder (``_pool``), removed once it has exited.
    slot: Path | None = None
    #: Whether a prewarmed runtime from the pool serves this launch.
    pooled: bool = False
    #: Developer-mode switches it was started with (a discarded app is resumed with them).
    dev_flags: tuple[str, ...] = ()
    #: Set when the host ends it to discard it (``_discard``): what it kept of the page.
    discarded: SavedPage | None = None
    loaded: threading.Event = field(default_factory=threading.Event)
    exited: threading.Event = field(default_factory=threading.Event)
    #: Set when the control reader has read to the end of the channel.
    drained: threading.Event = field(default_factory=threading.Event)
    #: The types of the first messages the host read from its runtime, in order (``hello``,
    #: ``confinement``, ``warm``…): where a start that never loaded stopped (``_resumewatch``).
    heard: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"

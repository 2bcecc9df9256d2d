"""How the host starts a mini-app runtime, from a Python install or from a frozen build.

From a Python install the runtime is ``python -m superapp.runtime``. A frozen build (the
PyInstaller desktop package, ``packaging/build.sh``) has no ``-m``: its one executable is both
the ``superapp`` command and the runtime, told apart by a marker first argument that the
command line never accepts, so a runtime started from the package runs the same bundled code
as the host that started it (never a Python found on ``PATH``).
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

__all__ = [
    "INSTALLED_BUNDLE_NAME",
    "RUNTIME_MARKER",
    "allowlist_in",
    "early_start_of",
    "engine_storage_of",
    "frozen_main",
    "on_spawner_thread",
    "peek_superapp",
    "runtime_command",
    "start_runtime_process",
]

_T = TypeVar("_T")

#: The installed bundle's file name in an app's ``bundle/`` folder (``superapp.bundles.
#: BUNDLE_FILE``; repeated here so this module stays light to import — tests/test_spawn.py).
INSTALLED_BUNDLE_NAME = "app.sapp"
#: A manifest is small; more than this is not read to peek at one field.
_MANIFEST_PEEK_BYTES = 256 * 1024

# Not a valid ``superapp`` command or option, so it can never mean anything else.
RUNTIME_MARKER = "--superapp-runtime"


def _is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def runtime_command() -> list[str]:
    """The argv prefix that starts a runtime process; the caller appends its options."""
    if _is_frozen():
        return [sys.executable, RUNTIME_MARKER]
    return [sys.executable, "-m", "superapp.runtime"]


def frozen_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the frozen executable: a runtime if marked, else the ``superapp`` CLI."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == [RUNTIME_MARKER]:
        from superapp.runtime._main import main as runtime_main

        return runtime_main(args[1:])
    from superapp.cli import main as cli_main

    return cli_main(args)


def peek_superapp(bundle: Path) -> Any:
    """The ``superapp`` object of a ``.sapp`` file's manifest, peeked (read, not verified;
    ``{}`` when absent). Raises what reading and parsing raise (OSError, ValueError,
    zipfile.BadZipFile, KeyError, AttributeError): each caller decides what unreadable means."""
    with zipfile.ZipFile(bundle) as z, z.open("manifest.json") as f:
        return json.loads(f.read(_MANIFEST_PEEK_BYTES)).get("superapp") or {}


def _peek_installed(bundle_dir: Path) -> Any:
    """The installed bundle's ``superapp`` object, peeked; None when it cannot be read."""
    try:
        return peek_superapp(bundle_dir / INSTALLED_BUNDLE_NAME)
    except (OSError, ValueError, KeyError, AttributeError, zipfile.BadZipFile):
        return None


def _engine_storage_in(ext: Any) -> Literal["memory", "persistent"]:
    if not isinstance(ext, dict):  # unreadable or not an object: the cold path
        return "persistent"
    return "memory" if ext.get("engine_storage", "memory") == "memory" else "persistent"


def engine_storage_of(
    bundle_dir: Path | None, dev_src: Path | None
) -> Literal["memory", "persistent"]:
    """The manifest's ``superapp.engine_storage``, peeked (not verified): it decides whether
    a runtime started before the app is known can serve it (``persistent`` needs its profile
    folder before the engine starts). The runtime verifies the bundle and refuses a ``bind``
    that disagrees; a manifest that cannot be read counts as ``persistent`` (the cold path,
    where verification reports the real error)."""
    if dev_src is not None:
        try:
            raw = (dev_src / "manifest.json").read_bytes()[:_MANIFEST_PEEK_BYTES]
            ext = json.loads(raw).get("superapp") or {}
        except (OSError, ValueError, AttributeError):
            return "persistent"
        return _engine_storage_in(ext)
    if bundle_dir is None:
        return "persistent"
    return _engine_storage_in(_peek_installed(bundle_dir))


#: What a plain host name in an allowlist connects to: https, and DNS over TCP for long answers;
#: http too for ``allow_http_hosts`` (``superapp.runtime._confine.allowlist_ports``).
_HTTPS_PORTS, _HTTP_PORT = (53, 443), 80


def allowlist_in(ext: Any) -> tuple[list[str], list[str]] | None:
    """``allowed_hosts`` and ``allow_http_hosts`` of a peeked ``superapp`` object, as strings;
    None when they cannot be read (the caller takes its exact path)."""
    if not isinstance(ext, dict):
        return None
    try:
        hosts = [str(h) for h in ext.get("allowed_hosts", []) or []]
        http = [str(h) for h in ext.get("allow_http_hosts", []) or []]
    except TypeError:  # not a list
        return None
    return hosts, http


def _generic_ports_in(ext: Any) -> tuple[int, ...] | None:
    if os.environ.get("SUPERAPP_TEST_HOSTS") or os.environ.get("SUPERAPP_TEST_DNS"):
        return None
    allowlist = allowlist_in(ext)
    if allowlist is None:
        return None
    hosts, http = allowlist
    if any(":" in h for h in (*hosts, *http)):  # a port (or an IPv6 literal): the exact check
        return None
    ports = set(_HTTPS_PORTS) if hosts or http else set()
    if http:
        ports.add(_HTTP_PORT)
    return tuple(sorted(ports))


def early_start_of(
    bundle_dir: Path,
) -> tuple[tuple[int, ...] | None, Literal["memory", "persistent"]]:
    """How ``superapp run`` starts its runtime before the host is up, from one peek at the
    installed app's manifest: its engine storage (as ``engine_storage_of``) and the TCP ports
    a cold launch may take through the generic path (``--pooled --connect-ports``), peeked
    without importing the network policy. The ports are None when it must start on its own
    app plan: an allowlist entry with an explicit port (or anything unreadable), test-only
    loopback hosts. (``persistent`` engine storage fits: its profile folder is moved into the
    slot, docs/pool.md.) The host checks the exact ports again before it binds
    (``superapp.host._poolfit.cold_generic_ports``)."""
    ext = _peek_installed(bundle_dir)
    return _generic_ports_in(ext), _engine_storage_in(ext)


class _Spawner:
    """One long-lived thread that starts every runtime process.

    A runtime asks for the parent-death signal (``prctl(PR_SET_PDEATHSIG)``), and Linux sends
    it when the *thread* that forked the runtime ends, not the process. Launches come from
    short-lived threads (pywebview runs each launcher call in a thread of its own; the host's
    control socket serves each request in one), so a runtime forked there was SIGKILLed as
    soon as that call returned. Forking from this thread ties the signal to the host's life.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], object], list[object], threading.Event]]
        self._jobs = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, job: Callable[[], _T]) -> _T:
        if threading.current_thread() is self._thread:
            return job()  # already here (a job that spawns): no queue, no deadlock
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="spawner", daemon=True)
                self._thread.start()
        box: list[object] = []
        done = threading.Event()
        self._jobs.put((job, box, done))
        done.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]  # type: ignore[return-value]  # the job's own result

    def _loop(self) -> None:
        while True:
            job, box, done = self._jobs.get()
            try:
                box.append(job())
            except BaseException as err:  # handed to the caller, raised in its thread
                box.append(err)
            done.set()


_SPAWNER = _Spawner()


def on_spawner_thread(job: Callable[[], _T]) -> _T:
    """Run ``job`` on the one long-lived thread that forks runtimes (see ``_Spawner``)."""
    return _SPAWNER.run(job)


def start_runtime_process(
    run_dir: Path,
    runtime_argv: Sequence[str] | None,
    *,
    cdp_port: int | None = None,
    engine_profile: Path | None = None,
    pooled: bool = False,
    extra_args: Sequence[str] = (),
    connect_ports: Sequence[int] | None = None,
) -> tuple[subprocess.Popen[bytes], socket.socket, Path]:
    """Start a runtime process that knows no app (``superapp.host._pool`` says what it is).

    Light on purpose (no pydantic, no host import), so ``superapp run`` can start its runtime
    first and its own set-up overlaps the runtime's interpreter and engine start. Returns the
    process, the host's end of the control socket and the runtime's slot folder. ``pooled``: it
    is prewarmed and locks itself down to its slot (generic); otherwise it waits for ``bind``
    and locks itself down to that app's plan before its engine starts (docs/pool.md).
    ``connect_ports`` (with ``pooled``): the generic plan's TCP rule narrowed to these ports,
    for a cold launch whose app the host already knows (``early_start_of``).

    Raises:
        OSError: the process could not be started (nothing is left behind).
    """
    slots = run_dir / "slots"
    slots.mkdir(parents=True, exist_ok=True, mode=0o700)
    slot = slots / secrets.token_hex(8)
    slot.mkdir(mode=0o700)
    parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    base = list(runtime_argv) if runtime_argv is not None else runtime_command()
    cmd = [
        *base,
        "--control-fd", str(child_sock.fileno()),
        "--parent-pid", str(os.getpid()),
        "--slot-dir", str(slot),
        *extra_args,  # developer mode's switches (cold runtimes only)
    ]  # fmt: skip
    if cdp_port is not None:
        cmd += ["--remote-debugging-port", str(cdp_port)]
    if engine_profile is not None:
        cmd += ["--engine-profile", str(engine_profile)]
    if pooled:
        cmd.append("--pooled")
        if connect_ports is not None:
            cmd += ["--connect-ports", ",".join(str(p) for p in connect_ports)]
    env = dict(os.environ)
    env.pop("QTWEBENGINE_REMOTE_DEBUGGING", None)
    if os.geteuid() == 0:
        # A root host (and its launcher window) runs Qt without Chromium's sandbox;
        # its runtimes leave root (superapp.confine.leave_root) and keep theirs on.
        env.pop("QTWEBENGINE_DISABLE_SANDBOX", None)
    # A runtime uses no pydantic plugins; looking them up (every installed distribution's entry
    # points) cost ≈0.04 s CPU of its start (bench/RESULTS.md, cold-start breakdown).
    env["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        # From the spawner thread: the runtime's parent-death signal follows the forking thread.
        proc = on_spawner_thread(
            lambda: subprocess.Popen(  # noqa: S603 (our own interpreter or frozen executable)
                cmd,
                pass_fds=[child_sock.fileno()],
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        )
    except OSError:
        parent_sock.close()
        shutil.rmtree(slot, ignore_errors=True)
        raise
    finally:
        child_sock.close()
    return proc, parent_sock, slot

"""What a confined process may reach (``ConfinementPlan``) and what was applied (the report).

The plan is data, built by :func:`runtime_plan` from what the host says about one app (its
folder, its bundle, its egress port, the ports its allowlist needs). Nothing in it comes from
the page. Limits live in :class:`Rlimits` with documented defaults.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from superapp.core.paths import Paths

__all__ = [
    "GENERIC_PORTS",
    "LAYERS",
    "ConfinementPlan",
    "ConfinementReport",
    "LayerResult",
    "LayerStatus",
    "Rlimits",
    "app_folders",
    "fits_generic",
    "generic_plan",
    "runtime_plan",
    "system_read_paths",
    "x11_abstract_listener",
]

LayerStatus = Literal["on", "partial", "off", "unavailable"]

#: Every layer a report names, in the order they are applied.
LAYERS: tuple[str, ...] = (
    "no_new_privs",
    "capabilities",
    "not_dumpable",
    "rlimits",
    "seccomp",
    "landlock_fs",
    "landlock_net",
    "landlock_scope",
)

#: Read-only for the interpreter and the engine: system libraries, Qt's resources, fonts,
#: certificates, name resolution. /etc is listed file by file: as root, /etc/shadow would
#: otherwise be readable.
_SYSTEM_READ: tuple[str, ...] = (
    "/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/opt/google", "/snap",
    "/etc/fonts", "/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/ld.so.cache",
    "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/timezone",
    "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf",
    "/etc/passwd", "/etc/group", "/etc/machine-id", "/etc/os-release", "/etc/mime.types",
    "/etc/xdg", "/etc/alternatives", "/etc/locale.alias", "/etc/default/locale",
    "/var/lib/dbus/machine-id", "/proc", "/sys",
)  # fmt: skip
#: Read-write devices, and /dev/shm: Qt WebEngine's Chromium creates its shared memory there
#: (measured: without it the browser process aborts). Its files are 0600, opened with
#: O_EXCL and unlinked at once, so another app's buffer has no name to open after creation.
_SYSTEM_WRITE: tuple[str, ...] = (
    "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
    "/dev/shm",  # noqa: S108 (see above)
)  # fmt: skip
#: Per-app sub-folders the runtime may write (the bundle is read-only).
_APP_WRITE = ("storage", "files", "cache", "webview", "tmp")


@dataclass(frozen=True)
class Rlimits:
    """Resource limits of a confined process (soft = hard; an app cannot raise them)."""

    #: No core dumps: a core file would hold the app's data key and page contents.
    core_bytes: int = 0
    #: Largest file it may write (storage quotas are smaller; the engine's cache files too).
    file_bytes: int = 4 * 1024**3
    #: Processes and threads of its user. Chromium runs ~60 threads per window and several
    #: processes; NPROC counts the whole user's tasks, so this only stops a fork bomb. Root
    #: ignores it (CAP_SYS_RESOURCE), which the report says.
    nproc: int = 4096


@dataclass(frozen=True)
class ConfinementPlan:
    """Everything a confined process may reach; anything not listed is refused."""

    read_paths: tuple[Path, ...] = ()
    write_paths: tuple[Path, ...] = ()
    #: TCP ports it may connect to (any address); empty: no TCP connection at all.
    connect_ports: tuple[int, ...] = ()
    #: TCP ports it may bind (the test-only CDP port); empty: none (an egress socket bound
    #: before confinement keeps working).
    bind_ports: tuple[int, ...] = ()
    rlimits: Rlimits = field(default_factory=Rlimits)
    #: Refuse connections to abstract Unix sockets outside the domain. False when the X
    #: server listens on one: libxcb tries the abstract socket first and falls back to the
    #: path only on ENOENT/ECONNREFUSED, not on Landlock's EPERM (measured), so the window
    #: could not open. Signals are scoped either way.
    scope_abstract_unix: bool = True
    #: False for the generic stage: no Landlock yet (it is the app stage's, see the package).
    landlock: bool = True
    #: Layers whose loss the report must call "partial" and why (see ``runtime_plan``).
    notes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerResult:
    layer: str
    status: LayerStatus
    detail: str = ""


@dataclass(frozen=True)
class ConfinementReport:
    layers: tuple[LayerResult, ...]

    def status(self, layer: str) -> LayerStatus:
        for item in self.layers:
            if item.layer == layer:
                return item.status
        return "off"

    def missing(self) -> tuple[LayerResult, ...]:
        """Layers that are not fully on."""
        return tuple(item for item in self.layers if item.status != "on")

    def to_wire(self) -> dict[str, dict[str, str]]:
        return {i.layer: {"status": i.status, "detail": i.detail} for i in self.layers}


def _python_paths() -> list[Path]:
    """The interpreter, its standard library and site-packages, and where ``superapp`` and
    ``bridge`` are imported from — not every ``sys.path`` entry: ``python -m`` puts the
    working directory there, which may be any folder of the user's."""
    prefixes = {Path(sys.prefix), Path(sys.base_prefix)}
    out = {*prefixes, Path(sys.executable).resolve().parent}
    for entry in sys.path:
        path = Path(entry)
        if not entry or not path.is_absolute():
            continue
        if path.name in ("site-packages", "dist-packages") or any(
            path.is_relative_to(prefix) for prefix in prefixes
        ):
            out.add(path)
    for name in ("superapp", "bridge"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            out.update(Path(p).parent for p in spec.submodule_search_locations)
    return sorted(out)


def system_read_paths() -> tuple[Path, ...]:
    return tuple(Path(p) for p in _SYSTEM_READ)


def app_folders(paths: Paths, app_id: str) -> tuple[Path, ...]:
    """The app's writable folders (created 0700 by the caller before confinement)."""
    base = paths.app_dir(app_id)
    return tuple(base / sub for sub in _APP_WRITE)


def _exposes(root: Path, secret: Path) -> bool:
    """True if a rule on ``root`` would cover ``secret`` (or ``secret`` holds ``root``)."""
    try:
        r, s = root.resolve(), secret.resolve()
    except OSError:
        return True
    return r == s or s.is_relative_to(r)


def x11_abstract_listener(env: Mapping[str, str], unix_table: str = "/proc/net/unix") -> bool:
    """True if ``DISPLAY`` names a local X server that listens on an abstract socket (it is
    then what Qt's xcb connects to). Xvfb started with ``-nolisten local`` has none."""
    display = env.get("DISPLAY", "")
    if not display.startswith(":") or env.get("WAYLAND_DISPLAY"):
        return False
    number = display[1:].split(".", 1)[0]
    try:
        with open(unix_table, encoding="ascii", errors="replace") as f:
            return any(line.rstrip().endswith(f" @/tmp/.X11-unix/X{number}") for line in f)
    except OSError:
        return False


def runtime_plan(
    paths: Paths,
    app_id: str,
    *,
    egress_port: int | None,
    net_ports: Iterable[int] = (),
    cdp_port: int | None = None,
    extra_read: Iterable[Path] = (),
    extra_write: Iterable[Path] = (),
    env: Mapping[str, str] | None = None,
) -> ConfinementPlan:
    """The plan for one app's runtime (the cold path: applied once the app is known).

    Read-only: the system (``_SYSTEM_READ``), the Python environment, the app's bundle,
    ``XAUTHORITY``. Read-write: the app's own sub-folders, ``extra_write`` (the runtime's slot
    folder: its engine scratch) and devices. A read-only root that would cover the data folder
    or the home is dropped (a ``PYTHONPATH`` of ``~`` must not open ``~/.ssh``). Nothing else of
    the data folder: the runtime opens neither the registry, the key folder nor the policy file
    (the host's ``bind`` carries what it needs), and it verifies its bundle before this stage,
    so not the trust store either. TCP connect: the egress port and ``net_ports`` (what the
    app's allowlist resolves to); bind: only ``cdp_port``.
    """
    return _plan(
        paths,
        read=[paths.app_bundle(app_id)],
        write=[*app_folders(paths, app_id), *extra_write],
        connect=[p for p in (egress_port, *net_ports) if p],
        cdp_port=cdp_port,
        extra_read=extra_read,
        env=env,
    )


#: TCP ports a pooled (generic) runtime may connect to besides its egress proxy: what an
#: allowlist of plain host names resolves to (https, http, DNS over TCP). An app whose
#: allowlist needs another port is never bound to a pooled runtime (it starts cold).
GENERIC_PORTS: tuple[int, ...] = (53, 80, 443)


def generic_plan(
    paths: Paths,
    *,
    slot: Path,
    egress_port: int | None,
    cdp_port: int | None = None,
    extra_read: Iterable[Path] = (),
    env: Mapping[str, str] | None = None,
    ports: Iterable[int] | None = None,
) -> ConfinementPlan:
    """The plan for a pooled runtime, applied before it knows its app (docs/pool.md).

    Read-write only its own ``slot`` folder (engine scratch, and the bundle copy the host puts
    there at claim) and devices; read-only the system, Python and the trust store (public keys
    and revocations: the runtime verifies the host's bundle copy against it at bind). Nothing
    else of the data folder: no app's folder, no registry, keys or policy file. TCP connect:
    the egress port and ``GENERIC_PORTS``. It can never be widened, so the host binds a pooled
    runtime only to an app that fits it (``fits_generic``).

    ``ports``: a cold launch that takes this path (the host knows the app when it spawns the
    runtime) narrows the TCP rule to exactly what the app's own plan would allow — a subset of
    ``GENERIC_PORTS``, possibly none — so routing it here widens nothing.

    Raises:
        ValueError: ``ports`` names a port outside ``GENERIC_PORTS``.
    """
    connect = GENERIC_PORTS if ports is None else tuple(ports)
    if not fits_generic(connect):
        raise ValueError(f"a generic plan connects only to {GENERIC_PORTS}, not {connect}")
    return _plan(
        paths,
        read=[paths.trust],
        write=[slot],
        connect=[p for p in (egress_port, *connect) if p],
        cdp_port=cdp_port,
        extra_read=extra_read,
        env=env,
    )


def fits_generic(net_ports: Iterable[int], allowed: Iterable[int] = GENERIC_PORTS) -> bool:
    """Can a pooled runtime reach what an app's allowlist needs (``net_ports``)? ``allowed``:
    the ports its generic plan was narrowed to (``generic_plan(ports=...)``)."""
    return set(net_ports) <= set(allowed)


def _plan(
    paths: Paths,
    *,
    read: Iterable[Path],
    write: Iterable[Path],
    connect: Iterable[int],
    cdp_port: int | None,
    extra_read: Iterable[Path],
    env: Mapping[str, str] | None,
) -> ConfinementPlan:
    env = os.environ if env is None else env
    guarded = [paths.data, paths.state, paths.config, Path.home()]
    reads: list[Path] = []
    for root in [*system_read_paths(), *_python_paths(), *extra_read]:
        if root.is_absolute() and not any(_exposes(root, g) for g in guarded):
            reads.append(root)
    reads += read
    if env.get("XAUTHORITY"):
        reads.append(Path(env["XAUTHORITY"]))
    writes = [*(Path(p) for p in _SYSTEM_WRITE), *write]
    notes: dict[str, str] = {}
    abstract_x = x11_abstract_listener(env)
    if abstract_x:
        notes["landlock_scope"] = (
            "abstract Unix sockets are not scoped: the X server listens on one and libxcb "
            "would not fall back to its path (start it with -nolisten local)"
        )
    return ConfinementPlan(
        scope_abstract_unix=not abstract_x,
        read_paths=tuple(dict.fromkeys(reads)),
        write_paths=tuple(dict.fromkeys(writes)),
        connect_ports=tuple(sorted(set(connect))),
        bind_ports=(cdp_port,) if cdp_port else (),
        notes=notes,
    )

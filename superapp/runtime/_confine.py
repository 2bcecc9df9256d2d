"""The runtime's lockdown (issue 14), applied once, before any thread starts.

Landlock binds only the calling thread on this kernel, so ``_start.Startup.lock_down`` calls
this while the process has one thread: before the control reader, the egress proxy, Qt and the
engine. Two paths (docs/pool.md):

* cold (spawn and at once ``bind``): ``lock_down`` after the app is loaded and verified (the
  trust store is read then, and never again): the app's own plan.
* pooled (started before any app is known): ``lock_down_generic``: the slot folder only. Such a
  runtime is bound only to an app that ``fits_pooled``.

The egress proxy's listening socket is bound here, before the lockdown, so the runtime needs
no TCP bind right at all (only the test-only CDP port); the plan's connect ports are that
socket's port and the ports the app's allowlist names. An app with an empty allowlist may
connect to nothing but its own proxy.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from superapp.confine import (
    GENERIC_PORTS,
    ConfinementReport,
    app_folders,
    confine,
    fits_generic,
    generic_plan,
    leave_root,
    runtime_plan,
)
from superapp.core.paths import Paths
from superapp.net import NetPolicy
from superapp.runtime._env import test_dns_map, test_host_map

if TYPE_CHECKING:
    from superapp.runtime._app import LoadedApp

__all__ = [
    "Lockdown",
    "allowlist_ports",
    "fits_pooled",
    "lock_down",
    "lock_down_generic",
    "slot_paths",
]

_log = logging.getLogger("superapp.runtime")
_HTTPS, _HTTP, _DNS = 443, 80, 53
#: ``SUPERAPP_NO_CONFINE=1`` (benchmarks only: bench/startup.py --no-confine) skips it; the
#: report then says every layer is off, so the host audits and the policy can refuse it.
_OFF_SWITCH = "SUPERAPP_NO_CONFINE"


def _profile_file(paths: Paths) -> list[Path]:
    """The user profile file, read-only, when it exists: ``user.profile`` reads it (with the
    user's consent) in the runtime. Absent, it stays absent (Landlock needs an existing path)."""
    from superapp.state.profile import profile_path

    path = profile_path(paths)
    return [path] if path.is_file() else []


def _package_data_dirs() -> list[Path]:
    """Where the shim and the other assets are read from after the lockdown: an editable
    install maps ``superapp.assets`` outside the ``superapp`` folder (ADR 0006)."""
    try:
        return [Path(str(resources.files("superapp.assets")))]
    except (ModuleNotFoundError, TypeError):
        return []


@dataclass(frozen=True)
class Lockdown:
    report: ConfinementReport
    #: The egress proxy's listening socket (127.0.0.1, bound before the lockdown).
    egress_sock: socket.socket


def _listed(policy: NetPolicy, name: str) -> bool:
    """Does an allowlist entry name ``name`` (exactly, or as a wildcard's sub-domain)?"""
    return any(
        e.host.name == name or (e.wildcard and name.endswith("." + e.host.name))
        for e in policy.entries
    )


def allowlist_ports(policy: NetPolicy, env: Mapping[str, str]) -> set[int]:
    """TCP ports the app's egress proxy and ``net.request`` may connect to.

    End-to-end tests only: the loopback port of a ``SUPERAPP_TEST_HOSTS`` or
    ``SUPERAPP_TEST_DNS`` name is added when the allowlist lists that name (the proxy and
    ``net.request`` connect there for it); other test servers' ports stay closed, so a test
    server the app does not list is out of reach below the policy too."""
    ports: set[int] = set()
    for entry in policy.entries:
        if entry.port is not None:
            ports.add(entry.port)
        else:
            ports.add(_HTTPS)
            if entry.http:
                ports.add(_HTTP)
    if ports:
        ports.add(_DNS)  # a resolver falls back to TCP for long answers
        ports.update(p for n, p in test_host_map(env).items() if _listed(policy, n))
        ports.update(p for n, (_ip, p) in test_dns_map(env).items() if p and _listed(policy, n))
    return ports


def _egress_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def _off(sock: socket.socket) -> Lockdown | None:
    if os.environ.get(_OFF_SWITCH) != "1":
        return None
    from superapp.confine import LAYERS, LayerResult  # as before issue 14: not even leave_root

    off = tuple(LayerResult(n, "off", f"{_OFF_SWITCH}=1 (benchmarks)") for n in LAYERS)
    return Lockdown(ConfinementReport(off), sock)


def _leave_root() -> None:
    # A root runtime becomes an ordinary user in its own user namespace, so that Chromium's
    # sandbox can stay on (``superapp.confine._userns``); why not, if it cannot, is logged
    # and the host's renderer check reports the sandbox off.
    why_not = leave_root()
    if why_not is not None:
        _log.warning("the engine's sandbox stays off: %s", why_not)


def lock_down(
    paths: Paths, app: LoadedApp, *, slot: Path, cdp_port: int | None, dev: Path | None,
    dev_local_ports: Iterable[int] = (),
) -> Lockdown:  # fmt: skip
    """The cold path's app stage: bind the egress socket, then confine this process to the
    app's plan (its own folders and the slot read-write, its bundle read-only, its ports).
    The bundle was verified before this call, so the trust store stays out of reach.

    ``dev_local_ports``: the ports of ``superapp dev --allow-local`` origins (developer mode
    only; the caller refuses them otherwise). The egress proxy connects there for the page, so
    the plan must allow exactly those ports, as it allows the allowlist's."""
    app_id = app.app_id
    policy = NetPolicy.from_manifest(app_id, app.allowed_hosts, app.http_hosts)
    for folder in app_folders(paths, app_id):
        # Landlock needs the folders to exist; a ``memory`` app's engine folder is never made
        # (its engine scratch is in the slot), so it has no rule and stays absent.
        if folder == paths.app_webview(app_id) and app.engine_storage != "persistent":
            continue
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # A private temporary folder: Qt and Python write temporaries under TMPDIR.
    os.environ["TMPDIR"] = str(paths.app_dir(app_id) / "tmp")
    sock = _egress_socket()
    off = _off(sock)
    if off is not None:
        return off
    _leave_root()
    plan = runtime_plan(
        paths,
        app_id,
        egress_port=sock.getsockname()[1],
        net_ports=allowlist_ports(policy, os.environ) | set(dev_local_ports),
        cdp_port=cdp_port,
        extra_read=[
            *_package_data_dirs(),
            *_profile_file(paths),
            *([dev] if dev is not None else []),
        ],
        extra_write=[slot],
    )
    return Lockdown(confine(plan), sock)


def lock_down_generic(
    paths: Paths, *, slot: Path, cdp_port: int | None, ports: tuple[int, ...] | None = None
) -> Lockdown:
    """The pool path: a runtime that knows no app yet confines itself to its slot
    (``superapp.confine.generic_plan``) before it starts any thread; binding never widens it.
    ``ports``: a cold launch's narrower TCP rule (``--connect-ports``), else ``GENERIC_PORTS``."""
    tmp = slot / "tmp"
    tmp.mkdir(exist_ok=True, mode=0o700)
    os.environ["TMPDIR"] = str(tmp)
    sock = _egress_socket()
    off = _off(sock)
    if off is not None:
        return off
    _leave_root()
    plan = generic_plan(
        paths,
        slot=slot,
        egress_port=sock.getsockname()[1],
        cdp_port=cdp_port,
        extra_read=[*_package_data_dirs(), *_profile_file(paths)],
        ports=ports,
    )
    return Lockdown(confine(plan), sock)


def slot_paths(paths: Paths, app_id: str, app_dir: str, slot: Path) -> Paths:
    """The paths a pooled runtime opens its app's store with: ``storage`` and ``files`` in
    ``<slot>/app`` when the host moved them there (``bind.app_dir``), else ``paths``."""
    from superapp.storage._moved import MovedPaths

    if Path(app_dir) != slot / "app":
        return paths
    return MovedPaths(
        paths.data, paths.state, paths.config, paths.cache, moved_id=app_id, moved_root=slot / "app"
    )


def fits_pooled(
    app: LoadedApp, *, moved: bool = False, ports: tuple[int, ...] | None = None
) -> str | None:
    """Why a pooled runtime (``lock_down_generic``) cannot serve ``app``, or None if it can:
    an app that needs its own folder or a port outside the generic plan starts cold.
    ``moved``: the host moved the app's storage and files (and a ``persistent`` app's engine
    profile) into this runtime's slot (``bind.app_dir`` is ``<slot>/app``), which the generic
    plan already lets it write.
    ``ports``: what its plan was narrowed to (``--connect-ports``), else ``GENERIC_PORTS``."""
    if {"storage", "files"} & app.declared and not moved:
        return "it declares storage or files and the host did not move them into its slot"
    if app.engine_storage != "memory" and not moved:
        return "its engine storage is persistent and the host did not move it into its slot"
    if app.dev_mode:
        return "developer mode reads the developer's folder"
    policy = NetPolicy.from_manifest(app.app_id, app.allowed_hosts, app.http_hosts)
    allowed = GENERIC_PORTS if ports is None else ports
    if not fits_generic(allowlist_ports(policy, os.environ), allowed):
        return "its allowlist needs ports a pooled runtime may not connect to"
    return None

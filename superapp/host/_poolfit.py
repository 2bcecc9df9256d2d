"""Which launches a pooled runtime may serve, and handing it the app (docs/pool.md).

A pooled runtime locked itself down before it knew its app (``superapp.confine.generic_plan``):
read-write only its slot folder, nothing of any app's folder, TCP only to its egress proxy and
``GENERIC_PORTS``. Nothing can widen that later, so the host brings the app to the slot:

* the host *copies* the installed bundle into the slot at claim (a copy, never a hardlink: the
  runtime may write its slot and must not be able to write the installed bundle). The runtime
  verifies the copy against the trust store and the digests in ``bind``;
* an app that declares ``storage`` or ``files`` has those folders *moved* into ``<slot>/app``
  (``_slotmove``: one rename each, moved back when the runtime exits) and ``bind`` names
  ``app_dir = <slot>/app``; if the slot is on another file system than the app folder the
  launch is cold (never a copy);
* an app with ``engine_storage = "persistent"`` has its engine profile folder ``webview`` moved
  the same way; the runtime opens it at bind as a named profile inside the slot
  (``superapp.runtime.engine._prewarm.persistent_profile``) instead of an off-the-record one.

A launch is pooled only when the app needs nothing else: an installed bundle (not developer
mode), and an allowlist whose ports are all generic. Everything else starts
cold, locked down to its own app's plan before its engine starts. The manifest is peeked here
(not verified); the runtime checks the verified manifest again
(``superapp.runtime._confine.fits_pooled``) and refuses a bind that does not fit.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

from superapp._spawn import allowlist_in, peek_superapp
from superapp.confine import GENERIC_PORTS
from superapp.core.paths import Paths
from superapp.host._slotmove import move_in, same_file_system
from superapp.net import NetPolicy
from superapp.protocol import Bind

__all__ = ["bind_into_slot", "cold_generic_ports", "pool_can_serve"]

_KEYED = frozenset({"storage", "files"})
#: Test-only loopback servers (``SUPERAPP_TEST_HOSTS``/``_DNS``) listen on ports a pooled
#: runtime may not reach: an app listing any host then starts cold.
_TEST_ENV = ("SUPERAPP_TEST_HOSTS", "SUPERAPP_TEST_DNS")


def _allowlist(bundle: Path) -> tuple[list[str], list[str]] | None:
    try:
        ext = peek_superapp(bundle)
    except (OSError, ValueError, KeyError, AttributeError, zipfile.BadZipFile):
        return None
    return allowlist_in(ext)


def _ports_fit(app_id: str, hosts: list[str], http: list[str]) -> bool:
    if not hosts and not http:
        return True
    if any(os.environ.get(name) for name in _TEST_ENV):
        return False
    try:
        policy = NetPolicy.from_manifest(app_id, hosts, http)
    except ValueError:
        return False
    return all(e.port is None or e.port in GENERIC_PORTS for e in policy.entries)


def pool_can_serve(bind: Bind, declared: frozenset[str], paths: Paths | None = None) -> bool:
    """True if a pooled runtime's generic lockdown covers everything this launch needs.
    ``paths``: where the app's storage lives (without it, an app with storage is not served)."""
    if bind.dev_src is not None or bind.bundle_path is None:
        return False
    persistent = bind.engine_storage == "persistent"  # its profile folder is moved in too
    keyed = bool(declared & _KEYED) or bind.data_key is not None or persistent
    if keyed and (paths is None or not same_file_system(paths, bind.app_id, paths.run / "slots")):
        return False  # its storage cannot be renamed into a slot, never copied: cold
    allowlist = _allowlist(Path(bind.bundle_path))
    return allowlist is not None and _ports_fit(bind.app_id, *allowlist)


def cold_generic_ports(
    bind: Bind, declared: frozenset[str], paths: Paths
) -> tuple[int, ...] | None:
    """The TCP ports a *cold* launch may take through the generic path (spawned ``--pooled
    --connect-ports``, bound at once) — exactly the ports its own app plan would allow, so
    nothing is widened — or None when it starts on its app plan (what a pool cannot serve)."""
    if not pool_can_serve(bind, declared, paths):
        return None
    assert bind.bundle_path is not None  # noqa: S101 - pool_can_serve checked it
    allowlist = _allowlist(Path(bind.bundle_path))
    if allowlist is None:
        return None
    hosts, http = allowlist
    if not hosts and not http:
        return ()
    policy = NetPolicy.from_manifest(bind.app_id, hosts, http)  # pool_can_serve parsed it
    ports = {53}
    for e in policy.entries:
        ports.update((e.port,) if e.port is not None else (443, 80) if e.http else (443,))
    return tuple(sorted(ports))


def bind_into_slot(bind: Bind, slot: Path, paths: Paths | None = None) -> Bind:
    """Copy the installed bundle into the claimed runtime's slot; ``bind`` then names the copy.
    An app with a data key also gets its ``storage`` and ``files`` moved into ``<slot>/app``
    (``_slotmove.move_in``, done last), a ``persistent`` one its engine profile ``webview``,
    and ``bind`` names that folder.

    Raises:
        OSError: the copy or a move failed; nothing is left moved (the caller starts the
            launch cold instead).
    """
    assert bind.bundle_path is not None  # noqa: S101 - pool_can_serve checked it
    target = slot / "bundle.sapp"
    # copyfile writes new bytes (never a link to the installed file), owner-only by umask.
    shutil.copyfile(bind.bundle_path, target)
    os.chmod(target, 0o400)
    update: dict[str, str] = {"bundle_path": str(target)}
    subdirs: tuple[str, ...] = ("storage", "files") if bind.data_key is not None else ()
    if bind.engine_storage == "persistent":
        subdirs += ("webview",)
    if subdirs:
        if paths is None:
            raise OSError("no data folder to move the app's storage from")
        update["app_dir"] = str(move_in(paths, bind.app_id, slot, subdirs))
    return bind.model_copy(update=update)

"""Which launches a pooled runtime may serve, and handing it the app (docs/pool.md).

A pooled runtime locked itself down before it knew its app (``superapp.confine.generic_plan``):
read-write only its slot folder, nothing of any app's folder, TCP only to its egress proxy and
``GENERIC_PORTS``. Nothing can widen that later, so where the layer and speed disagree the
layer wins: a launch is pooled only when the app needs nothing beyond the slot —

* no ``storage`` or ``files`` (they live in the app's own folder), ``memory`` engine storage,
  an installed bundle (not developer mode), and an allowlist whose ports are all generic;
* the host *copies* the installed bundle into the slot at claim (a copy, never a hardlink: the
  runtime may write its slot and must not be able to write the installed bundle). The runtime
  verifies the copy against the trust store and the digests in ``bind``.

Everything else starts cold, locked down to its own app's plan before its engine starts.
The manifest is peeked here (not verified); the runtime checks the verified manifest again
(``superapp.runtime._confine.fits_pooled``) and refuses a bind that does not fit.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

from superapp.confine import GENERIC_PORTS
from superapp.net import NetPolicy
from superapp.protocol import Bind

__all__ = ["bind_into_slot", "pool_can_serve"]

_KEYED = frozenset({"storage", "files"})
_PEEK_BYTES = 256 * 1024
#: Test-only loopback servers (``SUPERAPP_TEST_HOSTS``/``_DNS``) listen on ports a pooled
#: runtime may not reach: an app listing any host then starts cold.
_TEST_ENV = ("SUPERAPP_TEST_HOSTS", "SUPERAPP_TEST_DNS")


def _allowlist(bundle: Path) -> tuple[list[str], list[str]] | None:
    try:
        with zipfile.ZipFile(bundle) as z, z.open("manifest.json") as f:
            raw = f.read(_PEEK_BYTES)
        ext = json.loads(raw).get("superapp") or {}
        hosts = [str(h) for h in ext.get("allowed_hosts", []) or []]
        http = [str(h) for h in ext.get("allow_http_hosts", []) or []]
    except (OSError, ValueError, KeyError, AttributeError, TypeError, zipfile.BadZipFile):
        return None
    return hosts, http


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


def pool_can_serve(bind: Bind, declared: frozenset[str]) -> bool:
    """True if a pooled runtime's generic lockdown covers everything this launch needs."""
    if bind.dev_src is not None or bind.bundle_path is None:
        return False
    if declared & _KEYED or bind.data_key is not None or bind.engine_storage != "memory":
        return False
    allowlist = _allowlist(Path(bind.bundle_path))
    return allowlist is not None and _ports_fit(bind.app_id, *allowlist)


def bind_into_slot(bind: Bind, slot: Path) -> Bind:
    """Copy the installed bundle into the claimed runtime's slot; ``bind`` then names the copy.

    Raises:
        OSError: the copy failed (the caller starts the launch cold instead).
    """
    assert bind.bundle_path is not None  # noqa: S101 - pool_can_serve checked it
    target = slot / "bundle.sapp"
    # copyfile writes new bytes (never a link to the installed file), owner-only by umask.
    shutil.copyfile(bind.bundle_path, target)
    os.chmod(target, 0o400)
    return bind.model_copy(update={"bundle_path": str(target)})

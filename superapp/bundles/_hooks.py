"""What install and remove do beyond the bundle itself, wired in one place.

Install (inserted after ``policy``, before ``commit`` writes anything):
  ``scan``  the static analyser reads the verified files; block-level findings refuse the
            install with a clear report; every scan is audited. Reinstalling the very bundle
            that is installed is a no-op and is not scanned again.

Remove (before the app's folder is wiped; any ``SuperappError`` refuses the removal):
  1. refuse while the app runs (its runtime holds the per-app run lock);
  2. destroy the app's data key, then its storage, files, cache and engine profile
     (crypto-shredding: a copy of the ciphertext kept elsewhere never opens again);
  3. forget its grants, so a later install of the same id starts with none.
"""

from __future__ import annotations

import fcntl
import os

from superapp.audit import AuditLog
from superapp.bundles._install import INSTALL_STEPS, REMOVE_HOOKS, InstallContext
from superapp.errors import AppStateError, InstallError
from superapp.paths import Paths

__all__ = ["install_hooks"]


def _step_scan(ctx: InstallContext) -> None:
    from superapp.analysis import scan_files

    if ctx.change == "unchanged":
        return
    bundle = ctx.verified
    manifest = bundle.manifest
    report = scan_files(bundle.files, manifest.superapp.allowed_hosts)
    blocking = report.blocking
    AuditLog(ctx.paths.audit_log).record(
        "bundle.scanned",
        app_id=manifest.app_id,
        outcome="failure" if blocking else "success",
        reason=report.summary() if report.findings else "no findings",
        findings=len(report.findings),
        blocking=len(blocking),
    )
    if blocking:
        raise InstallError(
            f"{manifest.app_id} was refused by the code check: {report.summary()} "
            f"(run 'superapp scan' on the bundle for the full report)"
        )


def _refuse_while_running(paths: Paths, app_id: str) -> None:
    lock = paths.app_dir(app_id) / ".run.lock"
    if not lock.exists():
        return
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise AppStateError(
            f"{app_id} is running; stop it first ('superapp stop {app_id}')"
        ) from None
    finally:
        os.close(fd)


def _destroy_data(paths: Paths, app_id: str) -> None:
    from superapp.storage import destroy_app_data

    destroy_app_data(paths, app_id)


def _forget_grants(paths: Paths, app_id: str) -> None:
    from superapp.grants import GrantStore

    with GrantStore(paths.registry_db) as store:
        store.forget_app(app_id)


def install_hooks() -> None:
    """Register the steps above (idempotent)."""
    names = [name for name, _ in INSTALL_STEPS]
    if "scan" not in names:
        INSTALL_STEPS.insert(names.index("policy") + 1, ("scan", _step_scan))
    for hook in (_refuse_while_running, _destroy_data, _forget_grants):
        if hook not in REMOVE_HOOKS:
            REMOVE_HOOKS.append(hook)

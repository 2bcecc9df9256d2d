"""What install and remove do beyond the bundle itself.

``_install.INSTALL_STEPS`` and ``_install.REMOVE_HOOKS`` list these literally, in order; this
module imports nothing from ``_install`` at run time, so there is no import-time registration.

Install (after ``policy``, before ``commit`` writes anything):
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
from typing import TYPE_CHECKING

from superapp.audit import AuditLog
from superapp.core.errors import AppStateError, InstallError
from superapp.core.paths import Paths

if TYPE_CHECKING:
    from superapp.bundles._install import InstallContext

__all__ = ["destroy_data", "forget_grants", "refuse_while_running", "step_scan"]


def step_scan(ctx: InstallContext) -> None:
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


def refuse_while_running(paths: Paths, app_id: str) -> None:
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


def destroy_data(paths: Paths, app_id: str) -> None:
    from superapp.storage import destroy_app_data

    destroy_app_data(paths, app_id)


def forget_grants(paths: Paths, app_id: str) -> None:
    from superapp.state.grants import GrantStore

    with GrantStore(paths.registry_db) as store:
        store.forget_app(app_id)

"""Install, update, remove, and the launch-time check of installed bundles.

Installed layout (DESIGN §2)::

    <data>/apps/<app_id>/bundle/app.sapp     the signed file itself, byte for byte
    <data>/apps/<app_id>/bundle/icon.<ext>   the manifest's first icon, for the launcher

**Install** runs the steps in ``INSTALL_STEPS`` in order; each takes the ``InstallContext`` and
either fills it in or raises. The default steps are:

1. ``verify``  — ``verify_bundle`` against the trust store (nothing is written before this).
2. ``policy``  — compare with the installed version, if any: a different signing key is refused
   unless ``allow_publisher_change``; the version code must go up unless ``allow_downgrade``
   (the same code with the same digest is a no-op, with a different digest it is refused).
3. ``scan``    — the static analyser (``_hooks.step_scan``); block-level findings refuse.
4. ``commit``  — stage ``app.sapp`` and the icon in a temporary folder next to ``bundle/``,
   fsync, swap the folders by rename, then write the registry row; if any of that fails the
   previous ``bundle/`` is renamed back, so a failed install leaves the previous state as it was.

The list is literal (nothing is inserted at import time): ``scan`` sits between ``policy`` and
``commit``, so a blocked bundle is refused before anything is written.
Installs and removes hold an exclusive lock on ``<data>/apps/.lock``.

**Launch**: ``open_installed`` re-reads ``app.sapp``, runs the full verification again, and
checks the result is the very bundle that was installed (same app id, same digest as the
registry row — so swapping in another validly signed bundle, e.g. an older version, is refused
too). Any failure is written to the audit log as ``bundle.verify_failed``.

**Remove** calls every function in ``REMOVE_HOOKS`` (data-key destruction, grants, refusing
while the app runs), then wipes ``<data>/apps/<app_id>/`` and the registry row.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from superapp.audit import AuditLog
from superapp.bundles._hooks import destroy_data, forget_grants, refuse_while_running, step_scan
from superapp.bundles._limits import DEFAULT_LIMITS, BundleLimits
from superapp.bundles._trust import TrustStore
from superapp.bundles._verify import VerifiedBundle, verify_bundle
from superapp.core.errors import BundleError, InstallError, NotInstalledError, SuperappError
from superapp.core.paths import Paths
from superapp.core.ports import AuditSink
from superapp.state import registry
from superapp.state.registry import InstalledApp

__all__ = [
    "BUNDLE_FILE",
    "INSTALL_STEPS",
    "REMOVE_HOOKS",
    "InstallContext",
    "InstallStep",
    "install_bundle",
    "open_installed",
    "remove_app",
    "verify_copy",
]

BUNDLE_FILE: Final = "app.sapp"
_STAGING_PREFIX: Final = ".bundle-staging-"
_OLD_PREFIX: Final = ".bundle-old-"
_REMOVING_PREFIX: Final = ".removing-"


@dataclass
class InstallContext:
    """What the install steps share. ``bundle`` is set by ``verify``; ``result`` by the end."""

    paths: Paths
    data: bytes
    allow_downgrade: bool = False
    allow_publisher_change: bool = False
    limits: BundleLimits = DEFAULT_LIMITS
    bundle: VerifiedBundle | None = None
    previous: InstalledApp | None = None
    result: InstalledApp | None = None
    change: str = "install"
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def verified(self) -> VerifiedBundle:
        if self.bundle is None:
            raise RuntimeError("install step ran before 'verify'")
        return self.bundle


InstallStep = Callable[[InstallContext], None]

#: Functions called as ``hook(paths, app_id)`` before an app's folder is wiped. Raise a
#: ``SuperappError`` to refuse the removal (nothing is wiped then).
#: What ``remove_app`` runs before wiping the folder, in order (see ``_hooks``).
REMOVE_HOOKS: list[Callable[[Paths, str], None]] = [
    refuse_while_running,
    destroy_data,
    forget_grants,
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def _lock(paths: Paths, *, shared: bool = False) -> Iterator[None]:
    # Installs and removes take it exclusively; the launch check takes it shared, so it never
    # sees a bundle folder and a registry row from two different installs.
    paths.apps.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(paths.apps / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# --- install steps -------------------------------------------------------------------------


def _step_verify(ctx: InstallContext) -> None:
    ctx.bundle = verify_bundle(ctx.data, TrustStore(ctx.paths), ctx.limits)


def _step_policy(ctx: InstallContext) -> None:
    bundle = ctx.verified
    manifest = bundle.manifest
    try:
        ctx.previous = registry.get_app(ctx.paths, manifest.app_id)
    except NotInstalledError:
        return
    prev = ctx.previous
    if prev.key_id != bundle.key_id and not ctx.allow_publisher_change:
        raise InstallError(
            f"{manifest.app_id} is installed from publisher {prev.publisher_name!r} (key "
            f"{prev.key_id[:16]}…); this update is signed by {bundle.publisher!r} (key "
            f"{bundle.key_id[:16]}…) — refused (--allow-publisher-change to accept)"
        )
    new, old = manifest.version.code, prev.version_code
    same_bundle = (
        bundle.signed_digest == prev.signed_digest
        if prev.signed_digest
        else bundle.digest == prev.digest
    )
    if new == old and same_bundle:
        ctx.change = "unchanged"
        ctx.result = prev
        return
    if new <= old and not ctx.allow_downgrade:
        raise InstallError(
            f"{manifest.app_id} {manifest.version.name} (code {new}) is not newer than the "
            f"installed {prev.version_name} (code {old}) — refused (--allow-downgrade to force)"
        )
    ctx.change = "update" if new > old else "downgrade"


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    # A read-only copy, for this user only; the check is the signature, not the mode.
    os.chmod(path, 0o400)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _clean_leftovers(app_dir: Path) -> None:
    # Folders a crashed install left behind (we hold the lock, so none is in use).
    for item in app_dir.iterdir():
        if item.name.startswith((_STAGING_PREFIX, _OLD_PREFIX)):
            shutil.rmtree(item, ignore_errors=True)


def _step_commit(ctx: InstallContext) -> None:
    if ctx.change == "unchanged":
        return
    bundle = ctx.verified
    manifest = bundle.manifest
    paths = ctx.paths
    app_dir = paths.app_dir(manifest.app_id)
    target = paths.app_bundle(manifest.app_id)
    token = secrets.token_hex(6)
    stage = app_dir / f"{_STAGING_PREFIX}{token}"
    old = app_dir / f"{_OLD_PREFIX}{token}"
    icon_name: str | None = None
    try:
        app_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        _clean_leftovers(app_dir)
        stage.mkdir(mode=0o700)
        _write_file(stage / BUNDLE_FILE, ctx.data)
        if manifest.icons:
            src = manifest.icons[0].src
            ext = src.rsplit(".", 1)[-1].lower()
            icon_name = f"icon.{'jpg' if ext == 'jpeg' else ext}"
            _write_file(stage / icon_name, bundle.read(src))
        _fsync_dir(stage)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise InstallError(f"cannot write {app_dir}: {exc.strerror}") from None

    now = _now()
    ctx.result = InstalledApp(
        app_id=manifest.app_id,
        name=manifest.name,
        version_name=manifest.version.name,
        version_code=manifest.version.code,
        publisher_name=bundle.publisher,
        key_id=bundle.key_id,
        installed_at=ctx.previous.installed_at if ctx.previous else now,
        updated_at=now,
        digest=bundle.digest,
        declared_capabilities=manifest.declared_capabilities,
        icon_path=target / icon_name if icon_name else None,
        signed_digest=bundle.signed_digest,
    )
    had_previous = target.exists() or target.is_symlink()
    swapped = False
    try:
        if had_previous:
            os.rename(target, old)
        os.rename(stage, target)
        swapped = True
        _fsync_dir(app_dir)
        registry.put_app(paths, ctx.result)
    except BaseException as exc:
        # Put the previous state back exactly as it was.
        if swapped:
            shutil.rmtree(target, ignore_errors=True)
        if had_previous:
            os.rename(old, target)
        shutil.rmtree(stage, ignore_errors=True)
        if not had_previous and not any(app_dir.iterdir()):
            app_dir.rmdir()
        if isinstance(exc, OSError):
            raise InstallError(f"cannot install into {app_dir}: {exc}") from None
        if isinstance(exc, sqlite3.Error):
            raise InstallError(f"cannot record the install in the registry: {exc}") from None
        raise
    shutil.rmtree(old, ignore_errors=True)


#: The install procedure, in order. Each step may raise a ``SuperappError`` to refuse.
INSTALL_STEPS: list[tuple[str, InstallStep]] = [
    ("verify", _step_verify),
    ("policy", _step_policy),
    ("scan", step_scan),
    ("commit", _step_commit),
]


def install_bundle(
    paths: Paths,
    data: bytes,
    *,
    allow_downgrade: bool = False,
    allow_publisher_change: bool = False,
    limits: BundleLimits = DEFAULT_LIMITS,
    notes: dict[str, object] | None = None,
) -> InstalledApp:
    """Verify and install (or update) the ``.sapp`` file ``data``.

    Installing the very same bundle again is a no-op that returns the installed app.
    ``notes``, when given, is the steps' shared ``InstallContext.notes`` (``scan`` leaves its
    report there as ``"scan_report"``, so the caller can show the warnings).

    Raises:
        BundleError / SignatureError / ManifestError: the bundle does not verify.
        InstallError: a downgrade or publisher change not allowed, or the disk write failed.
    """
    audit = AuditLog(paths.audit_log)
    ctx = InstallContext(paths, data, allow_downgrade, allow_publisher_change, limits)
    if notes is not None:
        ctx.notes = notes
    step_name = ""
    with _lock(paths):
        try:
            for name, step in INSTALL_STEPS:
                step_name = name
                step(ctx)
        except SuperappError as err:
            audit.record(
                "bundle.install_failed",
                app_id=ctx.bundle.manifest.app_id if ctx.bundle else None,
                outcome="failure",
                reason=str(err),
                step=step_name,
                digest=ctx.bundle.digest if ctx.bundle else None,
            )
            raise
    if ctx.result is None:
        raise RuntimeError("install steps finished without a result")
    if ctx.change != "unchanged":
        result = ctx.result
        audit.record(
            "bundle.installed" if ctx.change == "install" else "bundle.updated",
            app_id=result.app_id,
            outcome="success",
            reason=f"{ctx.change} {result.version_name} (code {result.version_code})",
            change=ctx.change,
            version_code=result.version_code,
            key_id=result.key_id,
            publisher=result.publisher_name,
            digest=result.digest,
            previous_version_code=ctx.previous.version_code if ctx.previous else None,
        )
    return ctx.result


def _read_installed(path: Path, limits: BundleLimits) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise BundleError("the installed bundle file is missing") from None
    except OSError as exc:
        raise BundleError(f"cannot read the installed bundle: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise BundleError("the installed bundle is not a regular file")
        data = f.read(limits.max_bundle_bytes + 1)
    if len(data) > limits.max_bundle_bytes:
        raise BundleError(f"the installed bundle is larger than {limits.max_bundle_bytes} bytes")
    return data


def open_installed(
    paths: Paths,
    app_id: str,
    limits: BundleLimits = DEFAULT_LIMITS,
    *,
    audit: AuditSink | None = None,
) -> VerifiedBundle:
    """Re-verify the installed copy of ``app_id`` (the check before every launch).

    ``audit`` receives the failure; by default the audit log itself (the CLI's own paths). A
    runtime passes its control channel instead: runtimes never write the log (issue 13), the
    host writes what they report, under the app id it launched.

    Raises:
        NotInstalledError: no such app is installed.
        BundleError / SignatureError: the installed copy fails verification, is not the bundle
            that was installed, or its publisher is no longer trusted; the failure is audited
            as ``bundle.verify_failed`` (to ``audit``).
    """
    sink: AuditSink = audit if audit is not None else AuditLog(paths.audit_log)
    with _lock(paths, shared=True):
        app = registry.get_app(paths, app_id)
        try:
            data = _read_installed(paths.app_bundle(app_id) / BUNDLE_FILE, limits)
        except BundleError as err:
            _audit_verify_failed(sink, app_id, err)
            raise
    return _verify_copy(paths, app_id, data, app.signed_digest, app.digest, limits, sink)


def verify_copy(
    paths: Paths,
    app_id: str,
    bundle_file: Path,
    *,
    signed_digest: str,
    digest: str,
    audit: AuditSink,
    limits: BundleLimits = DEFAULT_LIMITS,
) -> VerifiedBundle:
    """``open_installed``'s checks, with the digests recorded at install given by the host:
    a runtime re-verifies its bundle without opening ``registry.sqlite3`` (issue 14).

    Raises:
        BundleError / SignatureError: as ``open_installed`` (audited to ``audit``).
    """
    try:
        data = _read_installed(bundle_file, limits)
    except BundleError as err:
        _audit_verify_failed(audit, app_id, err)
        raise
    return _verify_copy(paths, app_id, data, signed_digest, digest, limits, audit)


def _verify_copy(
    paths: Paths,
    app_id: str,
    data: bytes,
    signed_digest: str,
    digest: str,
    limits: BundleLimits,
    sink: AuditSink,
) -> VerifiedBundle:
    try:
        try:
            bundle = verify_bundle(data, TrustStore(paths), limits)
        except BundleError:
            raise
        except SuperappError as err:
            raise BundleError(f"installed bundle refused: {err}") from None
        if bundle.manifest.app_id != app_id:
            raise BundleError(f"the installed bundle is for {bundle.manifest.app_id!r}")
        # Equal signature-entry digests mean byte-identical files (docs/adr/0003), so the file
        # digest recorded at install is this file's; a registry row from before that column
        # existed falls back to hashing the whole file.
        same = bundle.signed_digest == signed_digest if signed_digest else bundle.digest == digest
        if not same:
            raise BundleError(
                "the installed bundle is not the one that was installed (replaced on disk)"
            )
        bundle = bundle.with_digest(digest)
    except BundleError as err:
        _audit_verify_failed(sink, app_id, err)
        raise
    return bundle


def _audit_verify_failed(audit: AuditSink, app_id: str, err: BundleError) -> None:
    audit.record("bundle.verify_failed", app_id=app_id, outcome="failure", reason=str(err))


def remove_app(paths: Paths, app_id: str) -> None:
    """Uninstall ``app_id``: run ``REMOVE_HOOKS``, wipe its whole folder and its registry row.

    Raises:
        NotInstalledError: neither a registry row nor a folder exists for ``app_id``.
        SuperappError: a remove hook refused (nothing was wiped).
    """
    audit = AuditLog(paths.audit_log)
    app_dir = paths.app_dir(app_id)  # validates the id before it becomes a path
    with _lock(paths):
        try:
            registry.get_app(paths, app_id)
            known = True
        except NotInstalledError:
            known = False
        if not known and not (app_dir.exists() or app_dir.is_symlink()):
            raise NotInstalledError(app_id)
        try:
            for hook in REMOVE_HOOKS:
                hook(paths, app_id)
        except SuperappError as err:
            audit.record("bundle.remove_failed", app_id=app_id, outcome="failure", reason=str(err))
            raise
        if app_dir.is_symlink():
            app_dir.unlink()
        elif app_dir.exists():
            # Rename first: a crash half-way through rmtree leaves no half-app behind.
            doomed = paths.apps / f"{_REMOVING_PREFIX}{app_id}-{secrets.token_hex(6)}"
            os.rename(app_dir, doomed)
            shutil.rmtree(doomed)
        for leftover in paths.apps.glob(f"{_REMOVING_PREFIX}{app_id}-*"):
            with suppress(OSError):
                shutil.rmtree(leftover)
        registry.delete_app(paths, app_id)
    audit.record("bundle.removed", app_id=app_id, outcome="success", reason="removed by the user")

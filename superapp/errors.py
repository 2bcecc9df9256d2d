"""The host's exception tree. Every error the host raises on purpose derives from here.

::

    SuperappError                  one-line, user-facing message; CLI exit code 1
    ├── UsageError                 bad CLI arguments or an unknown app id (exit 2)
    ├── NotInstalledError          no installed app with that id (exit 2)
    ├── AppStateError              the app is (not) running, locked by another host, ...
    ├── ManifestError              manifest.json missing or invalid (names the field)
    ├── BundleError                a .sapp that is malformed, tampered with or over a limit
    │   └── SignatureError         signature missing, malformed, or from an untrusted key
    ├── TrustError                 trust store problems (unknown key id, bad key file)
    ├── InstallError               install/update/remove refused (downgrade, publisher change)
    ├── StorageError               per-app storage problems on the host side
    ├── PolicyError                the host policy file is invalid
    ├── AuditError                 the audit log is unreadable or fails verification
    └── RuntimeStartError          a mini-app runtime could not be started

Bridge errors (the codes a page sees) live in ``bridge.errors`` and are mapped to wire
codes in exactly one place, the dispatcher. Programming mistakes stay ``TypeError`` /
``RuntimeError`` and are never caught to be prettified.

Messages never contain secrets. They may contain host paths because they are shown only
to the local user (CLI, launcher), never to a page.
"""

from __future__ import annotations

__all__ = [
    "AppStateError",
    "AuditError",
    "BundleError",
    "InstallError",
    "ManifestError",
    "NotInstalledError",
    "PolicyError",
    "RuntimeStartError",
    "SignatureError",
    "StorageError",
    "SuperappError",
    "TrustError",
    "UsageError",
]


class SuperappError(Exception):
    """Base of every deliberate host error; ``str(err)`` is a complete one-line message."""

    exit_code: int = 1


class UsageError(SuperappError):
    exit_code = 2


class NotInstalledError(SuperappError):
    exit_code = 2

    def __init__(self, app_id: str) -> None:
        super().__init__(f"no installed mini-app with id {app_id!r} (see 'superapp list')")
        self.app_id = app_id


class AppStateError(SuperappError):
    pass


class ManifestError(SuperappError):
    pass


class BundleError(SuperappError):
    pass


class SignatureError(BundleError):
    pass


class TrustError(SuperappError):
    pass


class InstallError(SuperappError):
    pass


class StorageError(SuperappError):
    pass


class PolicyError(SuperappError):
    pass


class AuditError(SuperappError):
    pass


class RuntimeStartError(SuperappError):
    pass

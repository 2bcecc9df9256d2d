"""Where the host keeps its state (DESIGN §2).

Everything lives under ``platformdirs`` locations for the app name ``superapp``.
``SUPERAPP_HOME=<dir>`` relocates *all* of it under one folder (tests, the evaluation
harness and portable installs rely on this)::

    $SUPERAPP_HOME/data/    apps/<app_id>/{bundle,storage,files,cache,webview}, registry, trust
    $SUPERAPP_HOME/state/   audit.jsonl, run/ (live host and runtime records)
    $SUPERAPP_HOME/config/  policy.toml
    $SUPERAPP_HOME/cache/   evictable host caches

App ids are validated before they are turned into paths (``app_dir`` refuses anything
that is not a reverse-DNS id), so a path built here can never escape ``apps/``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = ["APP_ID_RE", "Paths", "is_valid_app_id"]

#: Reverse-DNS app ids: at least two dot-separated labels of [a-z0-9_-], starting with a
#: letter, lower case only (ids are compared and used as folder names; case-insensitive file
#: systems must not let two ids collide). 3 to 128 characters.
APP_ID_RE = re.compile(r"^(?=.{3,128}$)[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")


def is_valid_app_id(value: str) -> bool:
    return bool(APP_ID_RE.fullmatch(value))


@dataclass(frozen=True)
class Paths:
    data: Path
    state: Path
    config: Path
    cache: Path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Paths:
        env = os.environ if environ is None else environ
        home = env.get("SUPERAPP_HOME")
        if home:
            root = Path(home).expanduser().resolve()
            return cls(root / "data", root / "state", root / "config", root / "cache")
        return cls(
            Path(platformdirs.user_data_dir("superapp")),
            Path(platformdirs.user_state_dir("superapp")),
            Path(platformdirs.user_config_dir("superapp")),
            Path(platformdirs.user_cache_dir("superapp")),
        )

    def for_dev(self) -> Paths:
        """Where ``superapp dev`` keeps an app's data: apart from any installed app with the
        same id (its own ``apps/``, registry with grants, data keys and caches), so nothing
        written in development reaches the signed app. The audit log, run records and the
        policy stay the host's own: one log, one ``superapp stop``, one policy."""
        return Paths(self.data / "dev", self.state, self.config, self.cache / "dev")

    # --- host-wide files -------------------------------------------------------------
    @property
    def apps(self) -> Path:
        return self.data / "apps"

    @property
    def registry_db(self) -> Path:
        return self.data / "registry.sqlite3"

    @property
    def trust(self) -> Path:
        return self.data / "trust"

    @property
    def audit_log(self) -> Path:
        return self.state / "audit.jsonl"

    @property
    def run(self) -> Path:
        """Live records of running hosts and apps (pid files, host control sockets)."""
        return self.state / "run"

    @property
    def launcher_socket(self) -> Path:
        """Where the launcher of this data directory takes ``superapp run``'s requests
        (``superapp.protocol._delegate``). Here, not there: the command connects before it
        imports any protocol model (its start is on the launch's path)."""
        return self.run / "launcher.sock"

    @property
    def policy_file(self) -> Path:
        return self.config / "policy.toml"

    # --- per-app folders -------------------------------------------------------------
    def app_dir(self, app_id: str) -> Path:
        if not is_valid_app_id(app_id):
            raise ValueError(f"not a valid app id: {app_id!r}")
        return self.apps / app_id

    def app_bundle(self, app_id: str) -> Path:
        return self.app_dir(app_id) / "bundle"

    def app_storage(self, app_id: str) -> Path:
        return self.app_dir(app_id) / "storage"

    def app_files(self, app_id: str) -> Path:
        return self.app_dir(app_id) / "files"

    def app_cache(self, app_id: str) -> Path:
        return self.app_dir(app_id) / "cache"

    def app_webview(self, app_id: str) -> Path:
        return self.app_dir(app_id) / "webview"

    def ensure(self) -> None:
        """Create the host folders with owner-only permissions."""
        for folder in (self.data, self.state, self.config, self.cache, self.apps, self.run):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

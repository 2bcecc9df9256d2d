"""A real repository (python-tuf metadata, real Ed25519 keys), served by a real HTTP server on
loopback, and a host folder whose policy points at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from superapp.audit import AuditLog
from superapp.bundles import TrustStore, load_private_key
from superapp.core.paths import Paths
from superapp.fleet import Repository, Store, generate_key, init_repository
from superapp.policy import load_policy
from superapp.state import registry
from superapp.testing._fleet import StaticServer, make_bundle

NOTES = "com.acme.notes"
CHAT = "com.beta.chat"


@dataclass
class World:
    repo: Repository
    server: StaticServer
    keys: Path
    acme_key: Path
    beta_key: Path
    paths: Paths

    def publish(
        self,
        app_id: str,
        code: int,
        *,
        caps: tuple[str, ...] = ("storage",),
        rollout: int = 100,
        publisher: str = "acme",
    ) -> bytes:
        key = self.acme_key if publisher == "acme" else self.beta_key
        data = make_bundle(key, app_id, code, capabilities=caps)
        self.repo.publish(data, publisher, key, rollout=rollout)
        return data

    def store(self, paths: Paths | None = None) -> Store:
        paths = paths or self.paths
        policy = load_policy(paths)
        return Store(paths, policy, AuditLog(paths.audit_log))

    def host(self, name: str) -> Paths:
        """Another host (its own folder, install id and trust store) on the same repository."""
        root = self.paths.data.parent.parent / name
        return make_host(root, self)

    def installed(self, app_id: str = NOTES, paths: Paths | None = None) -> int | None:
        try:
            return registry.get_app(paths or self.paths, app_id).version_code
        except Exception:
            return None

    def audit(self, action: str, paths: Paths | None = None) -> list[dict[str, object]]:
        log = (paths or self.paths).audit_log
        if not log.exists():
            return []
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        return [e for e in lines if e["event"]["action"] == action]

    def snapshot_files(self) -> dict[str, bytes]:
        """Installed apps, the registry and the held fleet state: what a refused poll must leave
        as it was. (ngclient persists only metadata that verified: a valid timestamp before a
        refused snapshot is kept, as TUF says; the timestamp tests check that file too.)"""
        out = {}
        if self.paths.apps.exists():
            for p in sorted(self.paths.apps.rglob("*")):
                if p.is_file() and not p.name.startswith("."):
                    out[str(p)] = p.read_bytes()
        fleet = self.paths.data / "fleet"
        for p in (fleet / "state.json", self.paths.registry_db):
            if p.exists():
                out[str(p)] = p.read_bytes()
        return out

    def poll(self) -> dict[str, bytes]:
        """A clean poll, then what it left (the baseline for an attack on the next one)."""
        self.store().client.session().close()
        return self.snapshot_files()


def make_host(
    root: Path, world: World | None = None, *, url: str = "", root_json: Path | None = None
) -> Paths:
    paths = Paths(root / "data", root / "state", root / "config", root / "cache")
    paths.config.mkdir(parents=True, exist_ok=True)
    if world is not None:
        url, root_json = world.server.url, world.repo.meta / "1.root.json"
    (paths.config / "policy.toml").write_text(
        f'[fleet]\nrepository = "{url}"\nroot = "{root_json}"\n', encoding="utf-8"
    )
    for key in (world.acme_key, world.beta_key) if world else ():
        TrustStore(paths).add(load_private_key(key).public_key(), key.stem)
    return paths


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path)


def make_world(tmp_path: Path, thresholds: dict[str, int] | None = None) -> Iterator[World]:
    """A repository with publishers acme and beta, served on 127.0.0.1, and a host following it
    (``thresholds``: as ``superapp-repo init --threshold``)."""
    keys = tmp_path / "keys"
    repo = init_repository(tmp_path / "repo", keys, thresholds=thresholds)
    acme_key, beta_key = keys / "acme.pem", keys / "beta.pem"
    repo.add_publisher("acme", generate_key(acme_key), ["com.acme.*"])
    repo.add_publisher("beta", generate_key(beta_key), ["com.beta.*"])
    with StaticServer(tmp_path / "repo") as server:
        w = World(
            repo, server, keys, acme_key, beta_key, Paths(tmp_path, tmp_path, tmp_path, tmp_path)
        )
        w.paths = make_host(tmp_path / "host", w)
        yield w

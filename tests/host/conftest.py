"""Host tests without a window: the real supervisor with the windowless fake runtime
(``superapp.testing._fake_runtime``) on the other end of the real control socket."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.audit import AuditLog
from superapp.bundles import TrustStore, install_bundle, pack_bundle
from superapp.core.paths import Paths
from superapp.host import StopTimeouts, Supervisor
from superapp.policy import HostPolicy, parse_policy
from superapp.revocation import RevocationChecker, generate_private_key
from superapp.testing._fake_runtime import fake_runtime_argv
from tests.revocation.conftest import follow_feed, make_doc

APP = "com.example.fake"
NOTES_APP = "com.example.notes"  # the app the test revocation document (make_doc) names

MakeSupervisor = Callable[..., Supervisor]


@pytest.fixture
def make_supervisor(superapp_home: Paths) -> Iterator[MakeSupervisor]:
    """A supervisor whose runtimes run ``steps``; every app it started is stopped after."""
    made: list[Supervisor] = []

    def make(steps: list[dict[str, Any]], *, options: dict[str, Any] | None = None,
             **kwargs: Any) -> Supervisor:  # fmt: skip
        kwargs.setdefault("timeouts", StopTimeouts(close_s=5.0, term_s=2.0))
        supervisor = Supervisor(
            superapp_home,
            kwargs.pop("audit", None) or AuditLog(superapp_home.audit_log),
            runtime_argv=fake_runtime_argv(steps, **(options or {})),
            **kwargs,
        )
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        supervisor.shutdown()


def signed_bundle(publisher: Ed25519PrivateKey, app_id: str, name: str = "Notes",
                  index: bytes = b"<!doctype html>") -> bytes:  # fmt: skip
    """A one-page bundle for ``app_id`` signed by ``publisher``."""
    manifest = {"app_id": app_id, "name": name, "version": {"name": "1.0", "code": 1},
                "pages": ["index.html"]}  # fmt: skip
    files = {"manifest.json": json.dumps(manifest).encode(), "index.html": index}
    return pack_bundle(files, publisher)


def install_signed(home: Paths, app_id: str = NOTES_APP, name: str = "Notes") -> Ed25519PrivateKey:
    """Install a one-page bundle from a new publisher the home trusts; returns the publisher."""
    publisher = Ed25519PrivateKey.generate()
    TrustStore(home).add(publisher.public_key(), "Example Co")
    install_bundle(home, signed_bundle(publisher, app_id, name))
    return publisher


@dataclass(frozen=True)
class KillSwitch:
    """A platform revocation feed the home's policy follows, loaded with nothing revoked."""

    doc: Path
    platform: Ed25519PrivateKey
    policy: HostPolicy

    def revoke(self) -> None:
        """Publish the next document, which revokes ``NOTES_APP``."""
        self.doc.write_bytes(make_doc(2, [self.platform]))


def arm_kill_switch(home: Paths, tmp_path: Path, *, interval_s: int | None = 1) -> KillSwitch:
    """Write a policy following a local revocation document (nothing revoked yet) and load it
    once; ``interval_s=None`` leaves the refresh interval at the policy's default."""
    platform = generate_private_key()
    doc = tmp_path / "revocations.json"
    doc.write_bytes(make_doc(1, [platform], revocations=()))
    policy = parse_policy(follow_feed(home, doc, platform, interval_s=interval_s))
    assert RevocationChecker(home, policy).refresh().ok
    return KillSwitch(doc, platform, policy)

"""The kill switch at launch: a revoked installed app does not start (issue 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.audit import AuditLog
from superapp.bundles import TrustStore, install_bundle
from superapp.core.errors import AppStateError
from superapp.core.paths import Paths
from superapp.host import Supervisor
from superapp.policy import load_policy
from superapp.revocation import RevocationChecker, generate_private_key
from tests.host.conftest import signed_bundle
from tests.revocation.conftest import follow_feed, make_doc

APP = "com.example.notes"
OTHER = "com.example.clock"


def _install(paths: Paths, key: Ed25519PrivateKey, app_id: str) -> None:
    install_bundle(paths, signed_bundle(key, app_id, app_id.rsplit(".", 1)[-1].title()))


@pytest.fixture
def revoked_home(superapp_home: Paths, tmp_path: Path) -> Paths:
    publisher = Ed25519PrivateKey.generate()
    TrustStore(superapp_home).add(publisher.public_key(), "Example Co")
    _install(superapp_home, publisher, APP)
    _install(superapp_home, publisher, OTHER)
    platform = generate_private_key()
    doc = tmp_path / "revocations.json"
    doc.write_bytes(make_doc(1, [platform]))  # revokes com.example.notes
    follow_feed(superapp_home, doc, platform)
    result = RevocationChecker(superapp_home, load_policy(superapp_home)).refresh()
    assert result.ok, result.message
    return superapp_home


def test_revoked_app_is_refused_at_launch_and_audited(revoked_home: Paths) -> None:
    supervisor = Supervisor(revoked_home, AuditLog(revoked_home.audit_log))
    with pytest.raises(AppStateError, match="switched off by the platform"):
        supervisor.launch(APP)
    assert supervisor.get(APP) is None  # nothing was spawned
    refusals = [
        e for e in AuditLog(revoked_home.audit_log).events()
        if e["event"]["action"] == "app.launch_refused"
    ]  # fmt: skip
    assert refusals and refusals[-1]["superapp"]["app_id"] == APP
    state, detail = supervisor.state(APP)
    assert state.value == "terminated" and "revoked" in detail


def test_other_apps_still_pass_the_launch_check(revoked_home: Paths) -> None:
    Supervisor(revoked_home, AuditLog(revoked_home.audit_log)).check_launch(OTHER)

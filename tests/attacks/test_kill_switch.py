"""The signed kill switch reaches running apps (issue 7), in real windows.

A local HTTP server on 127.0.0.1 plays the platform. The host fetches its revocation list at
start and every second; when a new list revokes a running app, the host stops it, says why and
audits it, and refuses to launch it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles import TrustStore, install_bundle, pack_dir
from superapp.core.paths import Paths
from superapp.revocation import generate_private_key
from tests.attacks.hostile import call, make_app, wait_for_audit
from tests.e2e.harness import HostProcess
from tests.revocation.conftest import follow_feed, make_doc, server  # noqa: F401 (fixture)

APP = "com.example.compromised"
BYSTANDER = "com.example.fine"


def _install(paths: Paths, root: Path, app_id: str, key: Ed25519PrivateKey) -> None:
    install_bundle(paths, pack_dir(make_app(root, app_id), key))


def test_running_app_is_stopped_when_a_new_list_revokes_it(
    tmp_path: Path,
    open_app: Any,
    superapp_home: Paths,
    host_env: dict[str, str],
    hosts: list[HostProcess],
    server: Any,  # noqa: F811 (the fixture imported above)
) -> None:
    publisher = Ed25519PrivateKey.generate()
    TrustStore(superapp_home).add(publisher.public_key(), "Example Co")
    _install(superapp_home, tmp_path, APP, publisher)
    _install(superapp_home, tmp_path, BYSTANDER, publisher)
    platform = generate_private_key()
    server.body = make_doc(1, [platform], revocations=[])
    follow_feed(superapp_home, server.url, platform, interval_s=1)
    app_host, _page = open_app("run", APP)
    _other_host, other = open_app("run", BYSTANDER)
    wait_for_audit(superapp_home, lambda e: True, action="revocation.updated", app_id=None)

    # The platform publishes version 2, revoking the app.
    server.body = make_doc(
        2, [platform], revocations=[{"kind": "app", "app_id": APP, "reason": "steals data"}]
    )
    line = app_host.wait_for_line(rf"{APP} terminated", timeout=60)
    assert "switched off by the platform" in line and "steals data" in line
    wait_for_audit(superapp_home, lambda e: True, action="app.revoked", app_id=APP)
    assert call(other, "app.info")["result"]["appId"] == BYSTANDER

    # And it cannot be started again.
    again = HostProcess(["run", APP], host_env)
    hosts.append(again)
    assert again.proc.wait(60) != 0
    again.stop()
    assert any("switched off by the platform" in line for line in again.stderr_lines)

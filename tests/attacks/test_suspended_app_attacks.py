"""A suspended or discarded app is still under the kill switch, a suspended one under its
budgets (issue 16), in real windows.

Suspending stops the app's whole process tree; a stopped process cannot act on a terminate
request or a SIGTERM. These prove the host continues it first: the revoked or over-budget app
ends itself (exit status 0, the runtime answered), it is audited, and the host survives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles import TrustStore, install_bundle, pack_dir
from superapp.core.paths import Paths
from superapp.host import running_record
from superapp.revocation import generate_private_key
from superapp.testing import audit_events, make_app, wait_for_audit, wait_for_budget_stop
from tests.e2e.harness import superapp_cli
from tests.revocation.conftest import follow_feed, make_doc, server  # noqa: F401 (fixture)

APP = "com.example.compromised"


#: Suspended (frozen, stopped, compacted) and discarded (its runtime ended, its page kept by
#: the host, ADR 0014).
STATES = pytest.mark.parametrize("state", ["suspended", "discarded"])


def _suspend(env: dict[str, str], app_id: str, state: str = "suspended") -> None:
    flags = ["--discard"] if state == "discarded" else []
    assert superapp_cli(env, "suspend", app_id, *flags).endswith(state)


@STATES
def test_kill_switch_stops_a_suspended_app(
    state: str,
    tmp_path: Path,
    open_app: Any,
    superapp_home: Paths,
    host_env: dict[str, str],
    server: Any,  # noqa: F811 (the fixture imported above)
) -> None:
    publisher = Ed25519PrivateKey.generate()
    TrustStore(superapp_home).add(publisher.public_key(), "Example Co")
    install_bundle(superapp_home, pack_dir(make_app(tmp_path, APP), publisher))
    platform = generate_private_key()
    server.body = make_doc(1, [platform], revocations=[])
    follow_feed(superapp_home, server.url, platform, interval_s=1)
    host, page = open_app("run", APP)
    page.context.browser.close()  # the engine refuses to freeze a page DevTools watch
    _suspend(host_env, APP, state)
    record = running_record(superapp_home, APP)
    assert record is not None and record.state == state

    server.body = make_doc(
        2, [platform], revocations=[{"kind": "app", "app_id": APP, "reason": "steals data"}]
    )
    line = host.wait_for_line(rf"{APP} terminated", timeout=60)
    assert "switched off by the platform" in line
    wait_for_audit(superapp_home, lambda e: True, action="app.revoked", app_id=APP)
    [exited] = audit_events(superapp_home, "app.exited", APP)
    assert exited["superapp"]["exit_code"] == 0  # continued, then it closed its window
    assert host.proc.wait(60) == 0  # the host ended normally with its only app


def test_budget_stops_a_suspended_app(
    tmp_path: Path, open_app: Any, superapp_home: Paths, host_env: dict[str, str]
) -> None:
    # (A discarded app has no process: there is nothing to budget, ADR 0014.)
    state = "suspended"
    app_id = "com.example.grower"
    superapp_home.policy_file.write_text(
        '[monitor]\nsample_interval_s = 0.2\n[monitor.engine_storage]\nlimit = "20 MiB"\n',
        encoding="utf-8",
    )
    host, page = open_app("dev", make_app(tmp_path, app_id))
    page.context.browser.close()
    _suspend(host_env, app_id, state)
    # While it is suspended its engine profile grows past its budget (as a page that wrote
    # just before being frozen would leave it).
    # (A developer-mode app's state is kept apart, ``Paths.for_dev``; a ``memory`` app has no
    # engine folder until something writes one.)
    engine_dir = superapp_home.for_dev().app_webview(app_id)
    engine_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (engine_dir / "grown.bin").write_bytes(b"\0" * (21 * 1024**2))
    line, event = wait_for_budget_stop(host, superapp_home, app_id, "engine_storage")
    assert "web storage" in line and event["event"]["outcome"] == "failure"
    [exited] = audit_events(superapp_home, "app.exited", app_id)
    assert exited["superapp"]["exit_code"] == 0
    assert host.proc.wait(60) == 0

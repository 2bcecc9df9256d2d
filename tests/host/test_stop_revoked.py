"""The kill switch's one stop-and-audit loop (``_stop_revoked``), shared by the TUF fleet and
the deprecated feed; both sources are also proven end to end with a real supervisor
(tests/fleet/test_kill_switch.py, tests/host/test_fake_runtime_host.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.host._stop_revoked import Revoked, stop_revoked_apps
from superapp.testing import audit_events, wait_until


@dataclass
class _App:
    app_id: str
    dev_src: Path | None = None


def test_only_revoked_installed_apps_are_stopped_each_audited(
    superapp_home: Paths, tmp_path: Path
) -> None:
    audit = AuditLog(superapp_home.audit_log)
    apps = [_App("com.example.bad"), _App("com.example.good"), _App("dev.side", tmp_path)]
    asked: list[str] = []
    stops: list[tuple[str, str]] = []
    lock = threading.Lock()

    def lookup(app_id: str) -> Revoked | None:
        asked.append(app_id)
        if app_id == "com.example.good":
            return None
        return Revoked(f"{app_id} was switched off", "app")

    def stop(app_id: str, reason: str) -> None:
        with lock:
            stops.append((app_id, reason))

    # The side-loaded folder is not asked about even though the lookup would revoke it.
    assert stop_revoked_apps(audit, apps, lookup, stop) == ["com.example.bad"]
    assert asked == ["com.example.bad", "com.example.good"]
    wait_until(lambda: stops, what="the stop of the revoked app")
    assert stops == [("com.example.bad", "com.example.bad was switched off")]
    [entry] = audit_events(superapp_home, "app.revoked", "com.example.bad")
    assert entry["event"]["outcome"] == "failure"
    assert entry["event"]["reason"] == "com.example.bad was switched off"
    assert entry["superapp"]["kind"] == "app"
    assert audit_events(superapp_home, "app.revoked", "com.example.good") == []
    assert audit_events(superapp_home, "app.revoked", "dev.side") == []

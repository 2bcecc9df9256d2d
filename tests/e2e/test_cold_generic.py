"""A cold launch of an app that fits the generic plan takes the generic path (issue 16 point 3,
docs/pool.md): spawned ``--pooled`` with its TCP rule narrowed to its own app plan's ports
(``--connect-ports``) and bound at once, so its engine warms while the host sets up and the
runtime verifies. Real runtime, real window, storage through ``callNative``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psutil
import pytest

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.host import StopTimeouts, Supervisor
from superapp.testing import call, connect, make_app
from tests.attacks._pool import install, loaded
from tests.e2e.harness import REPO, free_port

NOTES = "com.example.cold.notes"


@pytest.fixture
def runtime_env(display: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)


def test_cold_launch_of_a_fitting_app_takes_the_narrowed_generic_path(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    install(superapp_home, make_app(tmp_path, NOTES, permissions=[("storage", "Notes")]))
    audit = AuditLog(superapp_home.audit_log)
    supervisor = Supervisor(superapp_home, audit, timeouts=StopTimeouts(close_s=5.0, term_s=2.0))
    try:
        app = loaded(supervisor.launch(NOTES, cdp_port=free_port()))
        cmdline = psutil.Process(app.pid).cmdline()
        assert "--pooled" in cmdline and not app.pooled
        # No hosts in its allowlist: its generic plan connects to its proxy only, as its app
        # plan would (the pool's 53/80/443 are narrowed away).
        assert cmdline[cmdline.index("--connect-ports") + 1] == ""
        assert app.confinement["landlock_net"]["status"] == "on"
        assert app.slot is not None and (app.slot / "app" / "storage").is_dir()
        browser, page = connect(playwright, app.cdp_port)  # type: ignore[arg-type]
        try:
            assert call(page, "storage.set", {"key": "k", "value": "cold"})["ok"] is True
        finally:
            browser.close()
        supervisor.stop(NOTES)
        assert superapp_home.app_storage(NOTES).is_dir() and not app.slot.exists()
    finally:
        supervisor.shutdown()

"""A cold runtime (spawned for one app, bound at once) loads no warm-up document; a pool's
runtime still does (issue 16 point 2, docs/pool.md). Asserted on the runtime's own record of
what its engine loaded (its INFO log: Qt's ``loadFinished`` on pywebview's page, the page a
warm-up document goes to) and, through CDP, on the app's page being the first document of its
window (history, navigation entries). Real runtimes, real windows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from superapp.audit import AuditLog
from superapp.core.paths import Paths
from superapp.host import StopTimeouts, Supervisor
from superapp.testing import connect, make_app
from tests.attacks._pool import install, loaded, pooled_host, warm_runtimes
from tests.e2e.harness import REPO, free_port

APP = "com.example.cold.plain"
#: The runtime's log lines (``superapp.runtime.engine._warm`` and ``_window``).
WARMUP_LOADED = "warm-up document loaded"
NO_WARMUP = "no warm-up document"


@pytest.fixture
def runtime_env(display: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("SUPERAPP_LOG", "INFO")  # runtimes inherit it (stderr: captured)


def _first_document(app: Any, playwright: Any) -> None:
    browser, page = connect(playwright, app.cdp_port)
    try:
        assert page.url.startswith(f"app://{APP}/")
        assert page.evaluate("history.length") == 1
        names = page.evaluate("performance.getEntriesByType('navigation').map(e => e.name)")
        assert names == [page.url]
    finally:
        browser.close()


def test_cold_runtime_loads_no_warmup_document(
    tmp_path: Path,
    superapp_home: Paths,
    runtime_env: None,
    playwright: Any,
    capfd: pytest.CaptureFixture[str],
) -> None:
    install(superapp_home, make_app(tmp_path, APP))
    audit = AuditLog(superapp_home.audit_log)
    supervisor = Supervisor(superapp_home, audit, timeouts=StopTimeouts(close_s=5.0, term_s=2.0))
    try:
        app = loaded(supervisor.launch(APP, cdp_port=free_port()))
        _first_document(app, playwright)
        supervisor.stop(APP)
    finally:
        supervisor.shutdown()
    err = capfd.readouterr().err
    assert NO_WARMUP in err  # the runtime ran as a cold one ...
    assert WARMUP_LOADED not in err  # ... and its engine loaded nothing before the app's page


def test_pooled_runtime_still_warms_with_a_blank_document(
    tmp_path: Path,
    superapp_home: Paths,
    runtime_env: None,
    playwright: Any,
    capfd: pytest.CaptureFixture[str],
) -> None:
    install(superapp_home, make_app(tmp_path, APP))
    with pooled_host(superapp_home) as supervisor:
        warm_runtimes(supervisor)
        err = capfd.readouterr().err
        assert WARMUP_LOADED in err and NO_WARMUP not in err  # warm with nothing of any app
        app = loaded(supervisor.launch(APP))
        assert app.pooled
        _first_document(app, playwright)
        supervisor.stop(APP)

"""A ``persistent`` app's engine profile served by the pool (issue 16, docs/pool.md): the host
moves ``<app>/webview`` into the claimed runtime's slot, the runtime opens it as a named profile
there, and the host moves it home when the runtime has exited. What the page wrote into
localStorage and IndexedDB is on disk at home afterwards (read as bytes, one layer below the
engine) and read back by a later cold run and a later pooled run; a runtime or a host killed
with ``SIGKILL`` leaves the profile home (the next host recovers it). Real runtimes and windows,
driven over CDP; the host is the real supervisor."""

from __future__ import annotations

import os
import secrets
import signal
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from superapp.core.paths import Paths
from superapp.host import Supervisor
from superapp.testing import connect, make_app
from tests.attacks._pool import (
    host_process,
    install,
    kill_host_then_recover,
    loaded,
    pooled_host,
    warm_runtimes,
)
from tests.attacks.test_engine_storage import READ_BACK, _files_holding, _with_engine_storage
from tests.e2e.harness import REPO, free_port

APP = "com.example.pool.persistent"

WRITE = """marker => new Promise((ok, no) => {
  localStorage.setItem('probe', marker);
  const r = indexedDB.open('probe', 1);
  r.onupgradeneeded = () => r.result.createObjectStore('s');
  r.onerror = () => no(r.error);
  r.onsuccess = () => {
    const tx = r.result.transaction('s', 'readwrite');
    tx.objectStore('s').put({note: marker}, 'k');
    tx.oncomplete = () => { r.result.close(); ok(localStorage.getItem('probe')); };
  };
})"""


@pytest.fixture
def runtime_env(display: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)


def _install(tmp_path: Path, paths: Paths) -> None:
    install(paths, _with_engine_storage(make_app(tmp_path, APP), "persistent"))


def _page(playwright: Any, port: int | None, script: str, arg: Any = None) -> Any:
    assert port is not None
    browser, page = connect(playwright, port)
    try:
        return page.evaluate(script, arg) if arg is not None else page.evaluate(script)
    finally:
        browser.close()


def _set_cookie(playwright: Any, port: int | None, value: str) -> None:
    """A persistent cookie in the page's own profile, as an allowlisted host's ``Set-Cookie``
    would put it there (an ``app://`` page cannot set cookies itself)."""
    assert port is not None
    browser, page = connect(playwright, port)
    try:
        cdp = page.context.new_cdp_session(page)
        ok = cdp.send(
            "Network.setCookie",
            {"name": "probe", "value": value, "domain": "example.org", "path": "/",
             "secure": True, "expires": time.time() + 86400},
        )  # fmt: skip
        assert ok.get("success", True) is not False, ok
    finally:
        browser.close()


def test_pooled_persistent_profile_is_home_after_exit_and_read_by_later_runs(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    _install(tmp_path, superapp_home)
    marker = "mk" + secrets.token_hex(12)
    home = superapp_home.app_webview(APP)
    with pooled_host(superapp_home) as supervisor:
        [idle] = warm_runtimes(supervisor)
        app = loaded(supervisor.launch(APP))
        assert app.pooled and app.pid == idle.pid and app.slot is not None
        slot = app.slot
        assert _page(playwright, app.cdp_port, WRITE, marker) == marker
        _set_cookie(playwright, app.cdp_port, marker)
        # While it runs the profile is in the slot (never a copy: nothing of it at home).
        assert (slot / "app" / "webview").is_dir() and not home.exists()
        supervisor.stop(APP)
        # Flushed by the engine before the move back: the values are on disk, at home.
        assert home.is_dir() and not slot.exists()
        assert not list(superapp_home.app_dir(APP).glob("*.from-slot-*"))
        hits = _files_holding([home], marker.encode())
        assert any("Local Storage" in h for h in hits), hits
        assert any("IndexedDB" in h for h in hits), hits
        assert "Cookies" in hits, hits  # set just before the stop, flushed before the move
        # A later cold run (through the generic path, its profile moved in the same way)...
        cold = loaded(supervisor.launch(APP, cdp_port=free_port()))
        assert not cold.pooled and cold.slot is not None
        cmdline = psutil.Process(cold.pid).cmdline()
        assert "--pooled" in cmdline and "--engine-profile" not in cmdline
        assert (cold.slot / "app" / "webview").is_dir() and not home.exists()
        assert _page(playwright, cold.cdp_port, READ_BACK) == {"local": marker, "idb": marker}
        supervisor.stop(APP)
        # ...and a later pooled run read what the first one wrote.
        warm_runtimes(supervisor)
        again = loaded(supervisor.launch(APP))
        assert again.pooled
        assert _page(playwright, again.cdp_port, READ_BACK) == {"local": marker, "idb": marker}
        supervisor.stop(APP)
        assert home.is_dir()


def test_runtime_killed_mid_run_gives_its_engine_profile_back(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    _install(tmp_path, superapp_home)
    marker = "mk" + secrets.token_hex(12)
    with pooled_host(superapp_home) as supervisor:
        warm_runtimes(supervisor)
        app = loaded(supervisor.launch(APP))
        assert app.pooled and app.slot is not None
        assert _page(playwright, app.cdp_port, WRITE, marker) == marker
        os.kill(app.pid, signal.SIGKILL)
        assert app.exited.wait(30.0)
        assert superapp_home.app_webview(APP).is_dir() and not app.slot.exists()
        # A committed IndexedDB transaction is in the engine's files when ``oncomplete`` fires.
        again = loaded(supervisor.launch(APP))
        assert _page(playwright, again.cdp_port, READ_BACK)["idb"] == marker


def test_host_killed_mid_run_the_next_host_moves_the_engine_profile_home(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    _install(tmp_path, superapp_home)
    marker = "mk" + secrets.token_hex(12)
    with host_process(APP, REPO) as (host, info):
        assert _page(playwright, info["cdp"], WRITE, marker) == marker
        kill_host_then_recover(superapp_home, host, info, superapp_home.app_webview(APP), "webview")


def test_pooled_profile_over_its_budget_is_evicted_at_home_after_the_move_back(
    tmp_path: Path, superapp_home: Paths, runtime_env: None
) -> None:
    """The monitor measures the profile where it is (in the slot) and stops the app over its
    ``engine_storage`` budget; the eviction runs after the profile is home (before, it would
    find nothing at home and the full profile would come back)."""
    from superapp.host import StopTimeouts
    from superapp.host._context import HostContext
    from superapp.host._pool import RuntimePool
    from superapp.policy import PoolPolicy
    from superapp.storage import folder_bytes
    from superapp.testing import wait_for_audit
    from tests.attacks.test_engine_storage import FILL

    limit = 24 * 1024 * 1024
    superapp_home.policy_file.write_text(
        '[monitor]\nsample_interval_s = 0.25\n[monitor.engine_storage]\nlimit = "24 MiB"\n',
        encoding="utf-8",
    )
    folder = _with_engine_storage(make_app(tmp_path, APP, script=FILL), "persistent")
    install(superapp_home, folder)
    context = HostContext.load(superapp_home)
    pool = RuntimePool(superapp_home, context.audit, PoolPolicy(size=1))
    supervisor = Supervisor(
        superapp_home, context.audit, pool=pool, monitor=context.monitor(),
        policy=context.policy, timeouts=StopTimeouts(close_s=5.0, term_s=2.0),
    )  # fmt: skip
    pool.start()
    try:
        warm_runtimes(supervisor)
        app = loaded(supervisor.launch(APP))
        assert app.pooled and app.slot is not None
        evicted = wait_for_audit(
            superapp_home, lambda e: True, action="storage.engine_evicted", app_id=APP,
            timeout=120,
        )  # fmt: skip
        assert app.exited.wait(30.0)
        assert evicted["superapp"]["bytes"] > limit  # what was measured is what was evicted
        assert not app.slot.exists()
        assert folder_bytes(superapp_home.app_webview(APP)) < limit  # home, and evicted there
        assert not list(superapp_home.app_dir(APP).glob("*.from-slot-*"))
    finally:
        supervisor.shutdown()

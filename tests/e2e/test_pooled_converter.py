"""The Unit Converter sample (``engine_storage = "persistent"``) served by the prewarmed pool
(issue 16, docs/pool.md): launched from the launcher's pool, its engine profile is in the
claimed runtime's slot while it runs and home after it stops; driven over CDP from a pooled
host, it converts and what it wrote into localStorage is there in the next pooled run."""

from __future__ import annotations

import os
import secrets
from typing import Any

import pytest

from superapp.bundles import install_samples
from superapp.core.paths import Paths
from superapp.storage._moved import moved_home
from superapp.testing import audit_events, connect
from tests.attacks._pool import loaded, pooled_host, warm_runtimes
from tests.e2e.harness import REPO, HostProcess
from tests.e2e.launcher_page import LauncherPage, open_launcher

CONVERTER = "dev.superapp.converter"


@pytest.fixture
def samples(superapp_home: Paths) -> Paths:
    install_samples(superapp_home, REPO / "miniapps")
    return superapp_home


def _launched(paths: Paths) -> list[Any]:
    return audit_events(paths, "app.launched", CONVERTER)


def test_converter_launched_from_the_launchers_pool_keeps_its_profile_in_the_slot(
    samples: Paths, playwright: Any, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    browser, page = open_launcher(playwright, host_env, hosts)
    try:
        launcher = LauncherPage(page)
        launcher.launch(CONVERTER)
        launcher.wait_state(CONVERTER, "running")
        [event] = _launched(samples)
        assert event["superapp"]["pooled"] is True, event
        slot_app = moved_home(samples, CONVERTER)
        assert slot_app is not None and (slot_app / "webview").is_dir()
        assert not samples.app_webview(CONVERTER).exists()  # renamed, not copied
        launcher.stop(CONVERTER)
        launcher.wait_state(CONVERTER, "stopped")
        # Home again once its runtime has exited, before the launcher shows it stopped.
        assert samples.app_webview(CONVERTER).is_dir()
        assert moved_home(samples, CONVERTER) is None and not slot_app.exists()
    finally:
        browser.close()


@pytest.fixture
def runtime_env(display: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)


def test_pooled_converter_converts_and_keeps_its_web_storage(
    samples: Paths, runtime_env: None, playwright: Any
) -> None:
    marker = "conv-" + secrets.token_hex(8)
    with pooled_host(samples) as supervisor:
        warm_runtimes(supervisor)
        app = loaded(supervisor.launch(CONVERTER))
        assert app.pooled and app.cdp_port is not None
        browser, page = connect(playwright, app.cdp_port)
        try:
            page.get_by_test_id("from-value").fill("1")
            page.wait_for_function("document.querySelector('[data-testid=to-value]').value !== ''")
            page.evaluate("m => localStorage.setItem('probe', m)", marker)
        finally:
            browser.close()
        supervisor.stop(CONVERTER)
        assert samples.app_webview(CONVERTER).is_dir()
        warm_runtimes(supervisor)
        again = loaded(supervisor.launch(CONVERTER))
        assert again.pooled and again.pid != app.pid and again.cdp_port is not None
        browser, page = connect(playwright, again.cdp_port)
        try:
            assert page.evaluate("localStorage.getItem('probe')") == marker
        finally:
            browser.close()
        supervisor.stop(CONVERTER)

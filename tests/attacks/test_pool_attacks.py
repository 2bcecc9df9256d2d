"""Attacks on the prewarmed runtime pool (issue 16): a pooled runtime must be exactly as
closed as a cold one. Real runtimes and windows, driven over CDP; the host is the real
supervisor with a real ``RuntimePool`` in this process."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import psutil
import pytest

from superapp.core.paths import Paths
from superapp.protocol import Bind
from superapp.testing import audit_events, call, connect, make_app, wait_until
from tests.attacks._pool import FINGERPRINT, LITTER, install, loaded, pooled_host, warm_runtimes
from tests.e2e.harness import REPO, free_port

A = "com.example.pool.first"
B = "com.example.pool.second"


@pytest.fixture
def runtime_env(display: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runtimes this process spawns import the repository under test."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)


def _fingerprint(playwright: Any, port: int | None) -> dict[str, Any]:
    assert port is not None
    browser, page = connect(playwright, port)
    try:
        page.wait_for_function("() => typeof window.callNative === 'function'")
        result: dict[str, Any] = page.evaluate(FINGERPRINT)
        return result
    finally:
        browser.close()


def test_pooled_page_cannot_tell_it_came_from_the_pool(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    # No storage/files (an app with them is pooled with its folders moved into the slot:
    # tests/attacks/test_pooled_storage_crash.py).
    install(superapp_home, make_app(tmp_path, A))
    install(superapp_home, make_app(tmp_path, B))
    with pooled_host(superapp_home) as supervisor:
        warm_runtimes(supervisor)
        # A page of one pooled launch leaves every kind of engine state behind it...
        app = loaded(supervisor.launch(A))
        assert app.pooled
        assert app.cdp_port is not None
        browser, page = connect(playwright, app.cdp_port)
        assert page.evaluate(LITTER) == 1
        browser.close()
        supervisor.stop(A)
        # ...and a page of the next pooled launch sees none of it, nor of the warm-up: what it
        # observes of its engine is exactly what a cold-started runtime's page observes.
        warm_runtimes(supervisor)
        warm = loaded(supervisor.launch(B))
        assert warm.pooled
        pooled_view = _fingerprint(playwright, warm.cdp_port)
        supervisor.stop(B)
        cold = loaded(supervisor.launch(B, cdp_port=free_port()))
        assert not cold.pooled
        cold_view = _fingerprint(playwright, cold.cdp_port)
    assert pooled_view == cold_view
    assert pooled_view["local"] == 0 and pooled_view["session"] == 0
    assert pooled_view["cookie"] == "" and pooled_view["name"] == ""
    assert pooled_view["history"] == 1 and pooled_view["idb"] in ([], None)
    assert pooled_view["caches"] in ([], None) and pooled_view["sw"] in (
        0,
        None,
        "InvalidStateError",
    )
    assert pooled_view["url"] == f"app://{B}/index.html"


def test_two_claims_never_share_a_process(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    install(superapp_home, make_app(tmp_path, A))
    install(superapp_home, make_app(tmp_path, B))
    with pooled_host(superapp_home) as supervisor:
        [idle] = warm_runtimes(supervisor)
        a = loaded(supervisor.launch(A))
        assert a.pooled and a.pid == idle.pid
        warm_runtimes(supervisor)  # refilled after the claim
        b = loaded(supervisor.launch(B))
        assert b.pooled and b.pid != a.pid
        a_tree = {a.pid, *(p.pid for p in psutil.Process(a.pid).children(recursive=True))}
        b_tree = {b.pid, *(p.pid for p in psutil.Process(b.pid).children(recursive=True))}
        assert not a_tree & b_tree  # no shared runtime, renderer, zygote or GPU process
        assert all(rt.pid not in (a.pid, b.pid) for rt in supervisor.pool.idle())  # type: ignore[union-attr]
        # A runtime serves one app: a second bind (the host's own bug, or anything that could
        # speak on its channel) ends it instead of serving another app.
        other = Bind(app_id=B, dev_src=str(tmp_path), app_dir=str(superapp_home.app_dir(B)),
                     webview_dir=str(superapp_home.app_webview(B)))  # fmt: skip
        a.channel.send(other)
        assert a.exited.wait(30.0)
        assert b.proc.poll() is None  # the other app runs on
        browser, page = connect(playwright, b.cdp_port)  # type: ignore[arg-type]
        assert call(page, "app.info")["result"]["appId"] == B
        browser.close()


def test_pooled_runtime_killed_before_claim_is_replaced(
    tmp_path: Path, superapp_home: Paths, runtime_env: None
) -> None:
    install(superapp_home, make_app(tmp_path, A))
    with pooled_host(superapp_home) as supervisor:
        [victim] = warm_runtimes(supervisor)
        os.killpg(victim.pid, signal.SIGKILL)
        lost = wait_until(
            lambda: next((e for e in audit_events(superapp_home, "pool.runtime_lost")
                          if e["superapp"].get("pid") == victim.pid), None),
            what="the pool's audit of the lost runtime",
        )  # fmt: skip
        assert lost["event"]["outcome"] == "failure"
        [fresh] = warm_runtimes(supervisor)
        assert fresh.pid != victim.pid
        assert not victim.slot.exists()  # its scratch folder went with it
        app = loaded(supervisor.launch(A))
        assert app.pooled and app.pid == fresh.pid
    assert not any(e["superapp"].get("app_id") == A and e["event"]["action"] == "app.crashed"
                   for e in audit_events(superapp_home))  # fmt: skip


def test_storage_app_starts_cold_and_pooled_bundle_is_a_copy(
    tmp_path: Path, superapp_home: Paths, runtime_env: None, playwright: Any
) -> None:
    """The pooled runtime's lockdown reaches only its slot and cannot be widened at claim: a
    launch the pool cannot serve (here: a CDP port of its own) starts cold and the warm runtime
    stays idle; a pooled app reads the host's copy of its bundle, never the installed file.
    (Apps with storage are pooled by moving their folders: test_pooled_storage_crash.py.)"""
    install(superapp_home, make_app(tmp_path, A, permissions=[("storage", "Notes")]))
    install(superapp_home, make_app(tmp_path, B))
    with pooled_host(superapp_home) as supervisor:
        [idle] = warm_runtimes(supervisor)
        keyed = loaded(supervisor.launch(A, cdp_port=free_port()))
        assert not keyed.pooled and keyed.pid != idle.pid
        assert idle in supervisor.pool.idle()  # type: ignore[union-attr]
        browser, page = connect(playwright, keyed.cdp_port)  # type: ignore[arg-type]
        assert call(page, "storage.set", {"key": "k", "value": "v"})["ok"] is True
        browser.close()
        plain = loaded(supervisor.launch(B))
        assert plain.pooled and plain.pid == idle.pid
        assert plain.slot is not None
        copy = plain.slot / "bundle.sapp"
        installed = superapp_home.app_bundle(B) / "app.sapp"
        assert copy.read_bytes() == installed.read_bytes()
        assert os.stat(copy).st_ino != os.stat(installed).st_ino  # a copy, not a hardlink
        assert os.stat(installed).st_nlink == 1
        fds = {
            os.readlink(f"/proc/{plain.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{plain.pid}/fd")
        }
        assert not any(fd.startswith(str(superapp_home.data)) for fd in fds)

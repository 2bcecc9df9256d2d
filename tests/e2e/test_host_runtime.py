"""Issue 2 end to end: real windows, one process per app, isolated engines, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from superapp.bundles import install_samples
from superapp.core.paths import Paths
from tests.attacks.hostile import wait_until
from tests.e2e.harness import REPO, HostProcess, free_port, wait_gone

NOTES = "dev.superapp.notes"
CONVERTER = "dev.superapp.converter"


@pytest.fixture
def samples(superapp_home: Paths) -> Paths:
    install_samples(superapp_home, REPO / "miniapps")
    return superapp_home


def _runtime_pid(env: dict[str, str], app_id: str) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "superapp", "list", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = {r["app_id"]: r for r in json.loads(out.stdout)}
    assert rows[app_id]["running"], rows
    pid: int = rows[app_id]["pid"]
    return pid


def _tree(pid: int) -> list[psutil.Process]:
    proc = psutil.Process(pid)
    return [proc, *proc.children(recursive=True)]


def _files_containing(folder: Path, needle: bytes) -> list[Path]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if needle in path.read_bytes():
                    hits.append(path)
            except OSError:
                pass
    return hits


def test_two_samples_run_in_separate_processes_with_separate_engine_storage(
    samples: Paths, open_app: Any, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    notes_host, notes = open_app("run", NOTES)
    conv_host, conv = open_app("run", CONVERTER)

    # Click through both.
    notes.get_by_test_id("new-note").click()
    notes.get_by_test_id("note-title").fill("Groceries")
    notes.get_by_test_id("note-body").fill("eggs, flour")
    notes.get_by_test_id("note-item").first.wait_for()
    conv.get_by_test_id("from-value").fill("1")
    conv.wait_for_function("document.querySelector('[data-testid=to-value]').value !== ''")

    # Different OS processes, and different engine process trees.
    notes_pid, conv_pid = _runtime_pid(host_env, NOTES), _runtime_pid(host_env, CONVERTER)
    assert notes_pid != conv_pid
    assert {p.pid for p in _tree(notes_pid)}.isdisjoint({p.pid for p in _tree(conv_pid)})

    # Engine storage written by one app is invisible to the other, in the page and on disk.
    # The converter opts into persistent engine storage; notes keeps the in-memory default.
    secret = "converter-only-5f1c"
    put_idb = """value => new Promise((ok, no) => { const r = indexedDB.open('probe', 1);
             r.onupgradeneeded = () => r.result.createObjectStore('s');
             r.onsuccess = () => { const tx = r.result.transaction('s', 'readwrite');
               tx.objectStore('s').put(value, 'k');
               tx.oncomplete = () => { r.result.close(); ok(1); }; };
             r.onerror = () => no(r.error); })"""
    get_idb = """() => new Promise(ok => { const r = indexedDB.open('probe', 1);
             r.onupgradeneeded = () => r.result.createObjectStore('s');
             r.onsuccess = () => { const g = r.result.transaction('s').objectStore('s').get('k');
               g.onsuccess = () => ok(g.result ?? null); }; })"""
    for page in (conv, notes):
        page.evaluate(f"localStorage.setItem('probe', '{secret}')")
        page.evaluate(put_idb, secret)
    conv.evaluate("localStorage.setItem('only-here', '1')")
    assert notes.evaluate("localStorage.getItem('only-here')") is None

    # Restart both: the converter's engine storage survives, the notes app's was in memory.
    for host in (conv_host, notes_host):
        host.stop()
        hosts.remove(host)
    conv2_host, conv2 = open_app("run", CONVERTER)
    notes2_host, notes2 = open_app("run", NOTES)
    assert conv2.evaluate("localStorage.getItem('probe')") == secret
    assert conv2.evaluate(get_idb) == secret
    assert notes2.evaluate("localStorage.getItem('probe')") is None
    assert notes2.evaluate(get_idb) is None
    for host in (conv2_host, notes2_host):
        host.stop()
        hosts.remove(host)

    # On disk: the value lives under the converter's engine profile, never the notes app's.
    assert _files_containing(samples.app_webview(CONVERTER), secret.encode())
    assert not _files_containing(samples.app_webview(NOTES), secret.encode())


def test_killed_app_leaves_the_other_running_and_the_launcher_shows_the_crash(
    samples: Paths, playwright: Any, host_env: dict[str, str], hosts: list[HostProcess]
) -> None:
    from tests.e2e.launcher_page import LauncherPage, open_launcher

    browser, page = open_launcher(playwright, host_env, hosts)
    try:
        launcher = LauncherPage(page)
        launcher.launch(NOTES)
        launcher.launch(CONVERTER)
        launcher.wait_state(NOTES, "running")
        launcher.wait_state(CONVERTER, "running")

        victim = _runtime_pid(host_env, NOTES)
        survivor = _runtime_pid(host_env, CONVERTER)
        os.kill(victim, signal.SIGKILL)

        launcher.wait_state(NOTES, "crashed")
        assert (
            "SIGKILL" in launcher.state_text(NOTES) or "crash" in launcher.state_text(NOTES).lower()
        )
        assert psutil.pid_exists(survivor)
        assert launcher.state(CONVERTER) == "running"
        # The launcher itself still answers.
        assert page.evaluate("typeof window.pywebview.api.list_apps") == "function"
    finally:
        browser.close()


@pytest.mark.parametrize(
    "how", [signal.SIGTERM, signal.SIGKILL], ids=["host-terminated", "host-killed"]
)
def test_host_exit_leaves_no_runtime_or_engine_process(
    samples: Paths, host_env: dict[str, str], hosts: list[HostProcess], how: signal.Signals
) -> None:
    port = free_port()
    host = HostProcess(["run", NOTES, "--remote-debugging-port", str(port)], host_env)
    hosts.append(host)
    host.wait_for_line(r"running$")
    runtime_pid = _runtime_pid(host_env, NOTES)
    tree = _tree(runtime_pid)
    assert any("QtWebEngineProcess" in p.name() for p in tree), [p.name() for p in tree]

    os.kill(host.proc.pid, how)
    host.proc.wait(30)
    assert wait_gone([p.pid for p in tree]) == []


def test_notes_keep_their_notes_through_restarts_in_encrypted_storage(
    samples: Paths, open_app: Any, hosts: list[HostProcess]
) -> None:
    host, notes = open_app("run", NOTES)
    notes.get_by_test_id("storage-status").filter(has_text="superapp storage").wait_for()
    notes.get_by_test_id("new-note").click()
    notes.get_by_test_id("note-title").fill("Passport renewal")
    notes.get_by_test_id("note-body").fill("book the appointment before March")
    # Wait for the edit to reach storage.*: the app's IndexedDB drafts are engine storage,
    # in memory only by default, so they no longer carry an unsaved edit across a restart.
    # (Polled from here: evaluate awaits the page's promise.)
    saved = """() => window.callNative('storage.keys', {})
             .then(ks => Promise.all(ks.map(key => window.callNative('storage.get', {key}))))
             .then(vs => vs.some(v => v && v.title === 'Passport renewal'
                                      && String(v.body).includes('March')))"""
    wait_until(lambda: notes.evaluate(saved), what="the edited note in storage")
    host.stop()
    hosts.remove(host)

    _host2, again = open_app("run", NOTES)
    again.get_by_test_id("note-item").first.wait_for()
    assert "Passport renewal" in again.get_by_test_id("note-list").inner_text()
    assert "superapp storage" in again.get_by_test_id("storage-status").inner_text()
    # Kept by the host's storage API, encrypted: the text is nowhere on disk in the clear.
    assert not _files_containing(samples.app_storage(NOTES), b"Passport renewal")
    assert not _files_containing(samples.app_webview(NOTES), b"Passport renewal")

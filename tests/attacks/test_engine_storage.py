"""Engine storage (issue 12, class 4): what a page writes into the engine's own storage.

By default (``superapp.engine_storage`` = ``memory``) the engine profile is off the record: a
value a page puts into localStorage, IndexedDB, a cookie or Cache Storage is nowhere on disk
(read as bytes, one layer below the engine) and is gone on relaunch; apps keep state through
the encrypted store instead. The ``persistent`` opt-in is the twin that proves the scan would
see a value that did land on disk, and it is bounded: an app writing past its engine-storage
budget is stopped, its engine storage evicted, with the reason shown and audited.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from superapp.core.paths import Paths
from superapp.storage import folder_bytes
from superapp.testing import call, make_app, wait_for_audit, wait_for_budget_stop
from tests.e2e.harness import HostProcess

APP = "com.attacker.hoarder"

#: Writes ``marker`` into every kind of web storage the engine offers the page, then reads
#: each back (so a store that silently refused the write cannot pass for "not on disk").
WRITE_EVERYWHERE = """marker => new Promise((ok, no) => {
  localStorage.setItem('probe', marker);
  sessionStorage.setItem('probe', marker);
  // app:// is not a cookie scheme: this write is inert (asserted below), kept so the test
  // notices if that ever changes.
  document.cookie = 'probe=' + marker + '; max-age=86400; path=/';
  const r = indexedDB.open('probe', 1);
  r.onupgradeneeded = () => r.result.createObjectStore('s');
  r.onerror = () => no(r.error);
  r.onsuccess = () => {
    const tx = r.result.transaction('s', 'readwrite');
    tx.objectStore('s').put({note: marker, pad: marker.repeat(64)}, 'k');
    tx.oncomplete = () => { r.result.close();
      caches.open('probe')
        .then(c => c.put('https://cache.example/probe', new Response(marker)))
        .then(() => ok({local: localStorage.getItem('probe'), cookie: document.cookie}));
    };
  };
})"""

READ_BACK = """() => new Promise(ok => {
  const local = localStorage.getItem('probe');
  const r = indexedDB.open('probe', 1);
  r.onupgradeneeded = () => r.result.createObjectStore('s');
  r.onsuccess = () => { const g = r.result.transaction('s').objectStore('s').get('k');
    g.onsuccess = () => ok({local, idb: g.result ? g.result.note : null}); };
})"""


def _with_engine_storage(folder: Path, mode: str | None) -> Path:
    if mode is not None:
        path = folder / "manifest.json"
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["superapp"]["engine_storage"] = mode
        path.write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def _files_holding(roots: list[Path], needle: bytes) -> list[str]:
    """Every regular file under ``roots`` whose bytes contain ``needle`` (or its UTF-16 form,
    which is how Chromium keeps localStorage values)."""
    forms = (needle, needle.decode().encode("utf-16-le"))
    hits = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                if any(form in data for form in forms):
                    hits.append(str(path.relative_to(root)))
    return hits


@pytest.mark.parametrize("mode", [None, "persistent"], ids=["default-memory", "opt-in-persistent"])
def test_page_written_web_storage_never_lands_on_disk_by_default(
    mode: str | None,
    tmp_path: Path,
    open_app: Any,
    superapp_home: Paths,
    hosts: list[HostProcess],
    host_env: dict[str, str],
) -> None:
    marker = "mk" + secrets.token_hex(12)
    folder = _with_engine_storage(make_app(tmp_path, APP), mode)
    host, page = open_app("dev", folder)
    wrote = page.evaluate(WRITE_EVERYWHERE, marker)
    assert wrote["local"] == marker  # the engine really took the value
    assert marker not in wrote["cookie"]  # see WRITE_EVERYWHERE
    # A value the engine holds in memory is still readable while the app runs.
    assert page.evaluate(READ_BACK) == {"local": marker, "idb": marker}
    host.stop()
    hosts.remove(host)

    # One layer below the engine: every byte under the app's folder (the engine profile and
    # the XDG cache/data folders the runtime points into it), and the host's own folders.
    roots = [superapp_home.for_dev().app_dir(APP), superapp_home.state, superapp_home.cache]
    hits = _files_holding(roots, marker.encode())
    usage = _storage_usage(host_env)
    _host2, again = open_app("dev", folder)
    after = again.evaluate(READ_BACK)
    if mode is None:
        assert hits == [], hits
        assert after == {"local": None, "idb": None}  # gone with the process
    else:
        # The opt-in twin: the same scan finds the value, so the default's empty scan means
        # something; and it is there again on relaunch.
        assert hits, "the persistent profile kept nothing on disk: the scan proves nothing"
        # `superapp storage` counts the engine's bytes (the IndexedDB record alone is >1.6 KB).
        assert usage["engine_bytes"] > 0 and usage["engine_quota"] == 50 * 1024 * 1024
        assert after == {"local": marker, "idb": marker}


def _storage_usage(env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "superapp", "storage", "--dev", APP, "--json"],  # a dev app
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    usage: dict[str, Any] = json.loads(out.stdout)
    return usage


def test_state_kept_through_the_encrypted_store_survives_relaunch(
    tmp_path: Path, open_app: Any, superapp_home: Paths, hosts: list[HostProcess]
) -> None:
    marker = "kept" + secrets.token_hex(12)
    folder = make_app(tmp_path, APP, permissions=[("storage", "keep the test's state")])
    host, page = open_app("dev", folder)
    # The localStorage-shaped helper of the shim, over storage.* (async).
    page.evaluate("m => superapp.storage.setItem('draft', m)", marker)
    assert page.evaluate("() => superapp.storage.getItem('draft')") == marker
    host.stop()
    hosts.remove(host)

    _host2, again = open_app("dev", folder)
    assert again.evaluate("() => superapp.storage.getItem('draft')") == marker
    assert again.evaluate("() => superapp.storage.keys()") == ["draft"]
    assert call(again, "storage.get", {"key": "draft"})["result"] == marker
    assert again.evaluate("localStorage.getItem('draft')") is None
    # Encrypted at rest: the value is in no file in the clear.
    assert _files_holding([superapp_home.for_dev().app_dir(APP)], marker.encode()) == []


#: Fills IndexedDB in 1 MiB records of random (incompressible) text until the host stops it.
FILL = """
(async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open('fill', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('s');
    r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const chunk = () => { const a = new Uint8Array(512 * 1024);
    for (let o = 0; o < a.length; o += 65536) crypto.getRandomValues(a.subarray(o, o + 65536));
    return Array.from(a, b => b.toString(16).padStart(2, '0')).join(''); };
  for (let i = 0; ; i++) {
    await new Promise((ok, no) => { const tx = db.transaction('s', 'readwrite');
      tx.objectStore('s').put(chunk(), i); tx.oncomplete = ok; tx.onerror = () => no(tx.error); });
    window.__written = (i + 1);
  }
})();
"""


def test_persistent_engine_storage_over_its_quota_is_stopped_and_evicted(
    tmp_path: Path, superapp_home: Paths, hosts: list[HostProcess], host_env: dict[str, str]
) -> None:
    superapp_home.policy_file.write_text(
        '[monitor]\nsample_interval_s = 0.25\n[monitor.engine_storage]\nlimit = "24 MiB"\n',
        encoding="utf-8",
    )
    folder = _with_engine_storage(make_app(tmp_path, APP, script=FILL), "persistent")
    host = HostProcess(["dev", str(folder)], host_env)
    hosts.append(host)

    line, event = wait_for_budget_stop(host, superapp_home, APP, "engine_storage", timeout=120)
    assert "was stopped" in line and "web storage" in line, line
    assert event["superapp"]["value"] > event["superapp"]["limit"] == 24 * 1024 * 1024
    assert event["event"]["reason"] in line
    evicted = wait_for_audit(
        superapp_home, lambda e: True, action="storage.engine_evicted", app_id=APP
    )
    assert evicted["superapp"]["bytes"] > 24 * 1024 * 1024
    assert host.proc.wait(30) == 0

    # `superapp storage APP` counts the engine's bytes (near zero again after the eviction).
    usage = _storage_usage(host_env)
    assert 0 <= usage["engine_bytes"] < 24 * 1024 * 1024
    assert usage["engine_quota"] == 24 * 1024 * 1024


#: Fills IndexedDB with 4 MiB random binary records as fast as the engine takes them.
FILL_BINARY = """
(async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open('fill', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('s');
    r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  for (let i = 0; ; i++) {
    const a = new Uint8Array(4 * 1024 * 1024);
    for (let o = 0; o < a.length; o += 65536) crypto.getRandomValues(a.subarray(o, o + 65536));
    await new Promise((ok, no) => { const tx = db.transaction('s', 'readwrite');
      tx.objectStore('s').put(a.buffer, i); tx.oncomplete = ok; tx.onerror = () => no(tx.error); });
  }
})();
"""


def test_in_memory_engine_storage_counts_in_the_memory_budget(
    tmp_path: Path, superapp_home: Paths, hosts: list[HostProcess], host_env: dict[str, str]
) -> None:
    """The default keeps web storage in the app's process tree, so the memory budget bounds
    it (the engine itself offers an off-the-record page a share of physical memory)."""
    superapp_home.policy_file.write_text(
        '[monitor]\nsample_interval_s = 0.25\n[monitor.memory]\nlimit = "700 MB"\n'
        "warn_after_s = 0\nterminate_after_s = 1\n",
        encoding="utf-8",
    )
    host = HostProcess(["dev", str(make_app(tmp_path, APP, script=FILL_BINARY))], host_env)
    hosts.append(host)
    line, _event = wait_for_budget_stop(host, superapp_home, APP, "memory", timeout=180)
    assert "of memory" in line, line
    assert host.proc.wait(30) == 0
    # Hundreds of MiB were held, none of it went to disk.
    assert folder_bytes(superapp_home.for_dev().app_dir(APP)) < 16 * 1024 * 1024

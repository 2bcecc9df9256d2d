"""A real host (supervisor) with a real prewarmed pool, in the test's process, for the pool's
attack tests: real runtimes, real windows under Xvfb, Playwright over CDP."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.audit import AuditLog
from superapp.bundles import TrustStore, install_bundle, pack_dir
from superapp.core.paths import Paths
from superapp.host import RunningApp, StopTimeouts, Supervisor
from superapp.host._app import ConsentFn
from superapp.host._pool import GenericRuntime, RuntimePool
from superapp.policy import PoolPolicy
from superapp.testing import audit_events, free_port, wait_until

#: What a page can observe of its own engine state: the fingerprint a pooled page must share
#: with a cold-started one.
FINGERPRINT = """async () => {
  const out = {};
  out.url = location.href;
  out.local = localStorage.length;
  out.session = sessionStorage.length;
  out.cookie = document.cookie;
  out.history = history.length;
  out.name = window.name;
  out.referrer = document.referrer;
  out.opener = window.opener === null;
  out.idb = indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : null;
  out.caches = typeof caches !== 'undefined' ? await caches.keys() : null;
  try {
    out.sw = navigator.serviceWorker
      ? (await navigator.serviceWorker.getRegistrations()).length : null;
  } catch (e) { out.sw = e.name; }  // app:// is not a service-worker scheme
  out.globals = Object.getOwnPropertyNames(window).sort();
  out.navigations = performance.getEntriesByType('navigation').map(e => e.name);
  out.resources = performance.getEntriesByType('resource').map(e => e.name);
  return out;
}"""

#: Leaves every kind of state a page can leave behind in its engine.
LITTER = """async () => {
  localStorage.setItem('leak', '1');
  sessionStorage.setItem('leak', '1');
  document.cookie = 'leak=1; path=/; max-age=3600';
  window.name = 'leak';
  history.pushState({}, '', '#leak');
  await new Promise(r => { const q = indexedDB.open('leak'); q.onsuccess = r; q.onerror = r; });
  if (typeof caches !== 'undefined') {
    await caches.open('leak');  // (an app:// request cannot be put in it; the cache exists)
  }
  return localStorage.length;
}"""


@contextmanager
def pooled_host(
    paths: Paths,
    *,
    size: int = 1,
    runtime_argv: list[str] | None = None,
    consent: ConsentFn | None = None,
) -> Iterator[Supervisor]:
    """A supervisor with a pool of ``size`` whose runtimes each open a CDP port."""
    audit = AuditLog(paths.audit_log)
    pool = RuntimePool(
        paths, audit, PoolPolicy(size=size), runtime_argv=runtime_argv, cdp_port=free_port
    )
    supervisor = Supervisor(
        paths, audit, pool=pool, timeouts=StopTimeouts(close_s=5.0, term_s=2.0),
        runtime_argv=runtime_argv, consent=consent,
    )  # fmt: skip
    pool.start()
    try:
        yield supervisor
    finally:
        supervisor.shutdown()


def warm_runtimes(supervisor: Supervisor, count: int = 1) -> list[GenericRuntime]:
    """Wait until the pool holds ``count`` warm runtimes; returns them."""
    assert supervisor.pool is not None

    def warm() -> list[GenericRuntime] | None:
        assert supervisor.pool is not None
        ready = [rt for rt in supervisor.pool.idle() if rt.warm.is_set()]
        return ready if len(ready) >= count else None

    found: list[GenericRuntime] = wait_until(warm, what="a warm pooled runtime", timeout=90.0)
    return found


def loaded(app: RunningApp) -> RunningApp:
    assert app.loaded.wait(90.0), f"{app.app_id} never loaded ({app.state}: {app.detail})"
    return app


def install(paths: Paths, folder: Path) -> None:
    """Sign and install an app: only installed apps are pooled (developer mode reads the
    developer's folder, which a pooled runtime's lockdown does not reach; docs/pool.md)."""
    key = Ed25519PrivateKey.generate()
    TrustStore(paths).add(key.public_key(), "Pool Tests")
    install_bundle(paths, pack_dir(folder, key))


#: A host in a process of its own (so a test can SIGKILL it): a pool of one, the app launched
#: from it; prints the app's pid, CDP port, whether it was pooled and its slot, then waits.
_HOST = """
import json, sys
from superapp.core.paths import Paths
from tests.attacks._pool import loaded, pooled_host, warm_runtimes
with pooled_host(Paths.from_env()) as supervisor:
    warm_runtimes(supervisor)
    app = loaded(supervisor.launch(sys.argv[1]))
    print(json.dumps({"pid": app.pid, "cdp": app.cdp_port, "pooled": app.pooled,
                      "slot": str(app.slot)}), flush=True)
    sys.stdin.read()
"""


@contextmanager
def host_process(app_id: str, repo: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """``app_id`` launched pooled by a host in its own process; ended (killed) at exit."""
    host = subprocess.Popen(
        [sys.executable, "-c", _HOST, app_id], cwd=repo, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert host.stdout is not None
        info = json.loads(host.stdout.readline())
        assert info["pooled"] is True
        yield host, info
    finally:
        if host.poll() is None:
            host.kill()
            host.wait()
        for pipe in (host.stdin, host.stdout):
            if pipe is not None:
                pipe.close()


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def kill_host_then_recover(
    paths: Paths, host: subprocess.Popen[str], info: dict[str, Any], home: Path, sub: str
) -> None:
    """SIGKILL the host; its runtime dies with it (parent-death signal) and the slot keeps the
    app's ``sub`` folder; the next host to start moves it ``home`` (audited)."""
    host.kill()
    host.wait()
    wait_until(lambda: not alive(info["pid"]), what="the runtime to die with its host")
    slot = Path(info["slot"])
    assert (slot / "app" / sub).is_dir()
    assert not home.exists()
    Supervisor(paths, AuditLog(paths.audit_log))  # the next host starts
    assert home.is_dir() and not slot.exists()
    assert any(e["event"]["action"] == "slot.recovered" for e in audit_events(paths))

"""Another local user must not read an app's data: everything under the data folder is
owner-only after a real run (issue 12, class 6).

The host and every runtime set ``umask 077`` at start, and the code that creates files names
its modes; this test checks the result on disk, one layer below either: it installs a signed
sample through the CLI, runs it and a developer-mode app in real windows, makes each write
through every store it has (superapp storage and files, the engine's localStorage, IndexedDB,
cookies and cache), stops the hosts, and walks the whole ``SUPERAPP_HOME`` tree.
"""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from superapp.core.paths import Paths
from tests.attacks.hostile import call, make_app

DEV_APP = "com.attacker.modes"

#: Writes into every engine store the page can reach (run in the page).
ENGINE_WRITES = """async () => {
    localStorage.setItem('k', 'v'.repeat(1000));
    document.cookie = 'c=1; max-age=3600';
    await new Promise((resolve, reject) => {
        const open = indexedDB.open('db', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('s');
        open.onsuccess = () => {
            const tx = open.result.transaction('s', 'readwrite');
            tx.objectStore('s').put('x'.repeat(10000), 'k');
            tx.oncomplete = () => resolve(true);
            tx.onerror = () => reject(tx.error);
        };
        open.onerror = () => reject(open.error);
    });
    return true;
}"""


def _readable_by_others(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):  # the root itself is the test's tmp folder
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if stat.S_IMODE(mode) & 0o077:
            found.append(f"{oct(stat.S_IMODE(mode))} {path.relative_to(root)}")
    return found


def test_files_under_the_data_folder_are_not_readable_by_group_or_others(
    tmp_path: Path, open_app: Any, host_env: dict[str, str], hosts: list[Any],
    superapp_home: Paths,
) -> None:  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "superapp", "samples", "install"],
        env=host_env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    _host, notes = open_app("run", "dev.superapp.notes")
    assert call(notes, "storage.set", {"key": "note:1", "value": {"t": "secret"}})["ok"] is True
    assert notes.evaluate(ENGINE_WRITES) is True

    folder = make_app(tmp_path, DEV_APP, permissions=[("storage", "keep"), ("files", "keep")])
    _host2, page = open_app("dev", folder)
    assert call(page, "files.write", {"path": "a/b.txt", "data": "hello"})["ok"] is True
    assert call(page, "storage.set", {"key": "k", "value": 1})["ok"] is True
    assert page.evaluate(ENGINE_WRITES) is True
    # The engines' scratch (XDG cache/data) is in each runtime's slot while it runs, beside the
    # host's records of the app folders moved into a slot (``host._slotmove``): owner-only.
    slots = superapp_home.run / "slots"
    assert len([p for p in slots.iterdir() if p.is_dir()]) == 2
    assert _readable_by_others(slots) == []
    for host in list(hosts):
        host.stop()

    home = superapp_home.data.parent
    assert (superapp_home.for_dev().app_dir(DEV_APP) / "files").exists()  # dev data apart
    # A ``memory`` app leaves no engine folder at all (its slot went with its runtime).
    assert not superapp_home.app_webview("dev.superapp.notes").exists()
    assert list(slots.iterdir()) == []
    assert _readable_by_others(home) == []

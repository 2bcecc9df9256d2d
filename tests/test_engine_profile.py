"""The runtime refuses an on-disk engine profile for an app whose engine storage is ``memory``
(fail closed), and keeps the HTTP cache in memory for a ``persistent`` one (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_PROBE = """
import sys, tempfile
from PySide6.QtWidgets import QApplication
from PySide6.QtWebEngineCore import QWebEngineProfile
from superapp.runtime.engine._qt import _check_engine_storage
app = QApplication(["probe", "--webEngineArgs", "--no-sandbox"])
memory = QWebEngineProfile()
_check_engine_storage(memory, "memory")
on_disk = QWebEngineProfile("probe")
on_disk.setPersistentStoragePath(tempfile.mkdtemp())
try:
    _check_engine_storage(on_disk, "memory")
    print("accepted")
except RuntimeError:
    print("refused")
_check_engine_storage(on_disk, "persistent")
print(on_disk.httpCacheType() == QWebEngineProfile.HttpCacheType.MemoryHttpCache)
"""


def test_in_memory_app_refuses_an_on_disk_profile(tmp_path: Path) -> None:
    env = {
        "QT_QPA_PLATFORM": "offscreen",
        "QTWEBENGINE_DISABLE_SANDBOX": "1",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "QT_API": "pyside6",
    }
    if "DISPLAY" in os.environ:
        env["DISPLAY"] = os.environ["DISPLAY"]
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.split() == ["refused", "True"]

"""The runtime's Qt-free modules load no engine, not even indirectly (issue 13).

The import contract (tests/test_layers.py) checks direct imports; this runs a fresh
interpreter that imports everything the runtime loads before it opens the window (entry
point, app loading, wiring, guard) and asks which engine packages ended up loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ("PySide6", "qtpy", "webview")
QT_FREE = [
    "superapp.runtime._main",
    "superapp.runtime._app",
    "superapp.runtime._wiring",
    "superapp.runtime._guard",
    "superapp.runtime._door",
    "superapp.runtime._workers",
    "superapp.runtime._env",
]
PROBE = f"""
import importlib, sys
for name in {QT_FREE!r}:
    importlib.import_module(name)
print(",".join(sorted({{m.split(".")[0] for m in sys.modules}} & set({ENGINE!r}))))
"""


def _loaded_engine(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
        check=True,
    )  # fmt: skip
    return out.stdout.strip()


def test_qt_free_runtime_modules_load_no_engine_package() -> None:
    assert _loaded_engine(PROBE) == ""


def test_the_probe_sees_an_engine_import() -> None:
    # The same probe reports the engine once the engine package is imported.
    code = PROBE.replace(
        "print(", "importlib.import_module('superapp.runtime.engine._scheme')\nprint("
    )
    assert _loaded_engine(code) == "PySide6"

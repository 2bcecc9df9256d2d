"""A cold runtime imports what binding and its engine need before ``bind`` (issue 16), and so
before its Landlock lockdown, which binds only the calling thread: those imports must leave the
process with one thread, or the lockdown (``superapp.confine`` checks) would refuse to run."""

from __future__ import annotations

import subprocess
import sys


def test_preloading_before_bind_starts_no_thread() -> None:
    code = (
        "import os, sys\n"
        "from superapp.runtime import _start\n"
        "_start._preload(_start._ENGINE_MODULES)\n"
        "assert set(_start._BIND_MODULES) <= set(_start._ENGINE_MODULES)\n"
        "print(len(os.listdir('/proc/self/task')), "
        "all(name in sys.modules for name in _start._ENGINE_MODULES))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "True"]

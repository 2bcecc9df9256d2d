"""The pinned Qt binding must not leak references on signal emission (ADR 0001).

PySide6 6.12.0 drops a reference to ``True`` on every ``Signal.emit``; on Python 3.11 a
call flood from a page then aborts the runtime. This guards the pin.
"""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class O(QObject):
    s = Signal(str)
o = O()
o.s.connect(lambda text: None)
before = sys.getrefcount(True)
for _ in range(20000):
    o.s.emit("x")
print(sys.getrefcount(True) - before)
"""


def test_signal_emit_does_not_leak_references_to_true() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-500:]
    assert abs(int(out.stdout.strip())) < 100

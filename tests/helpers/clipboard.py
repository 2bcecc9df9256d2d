"""The X11 system clipboard, read and written by another program (a separate Qt process).

``python -m tests.helpers.clipboard own TEXT`` takes the clipboard with TEXT and serves it
until stopped (as a real program would: on X11 the clipboard lives in its owner);
``python -m tests.helpers.clipboard get`` prints what the clipboard holds now, as JSON.
Tests use this to check the clipboard one layer below the engine: what other programs see.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["owned_clipboard", "read_clipboard"]

_TIMEOUT_S = 30


def _app() -> object:
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["clipboard-helper", "-platform", "xcb"])


def _main(argv: list[str]) -> int:
    from PySide6.QtGui import QClipboard, QGuiApplication

    app = _app()
    clipboard = QGuiApplication.clipboard()
    if argv[:1] == ["get"]:
        print(json.dumps(clipboard.text(QClipboard.Mode.Clipboard)), flush=True)
        return 0
    if argv[:1] == ["own"] and len(argv) == 2:
        clipboard.setText(argv[1], QClipboard.Mode.Clipboard)
        print("owned", flush=True)
        return int(app.exec())  # type: ignore[attr-defined]
    print("usage: own TEXT | get", file=sys.stderr)
    return 2


def read_clipboard(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "tests.helpers.clipboard", "get"],
        env=env, capture_output=True, text=True, check=True, timeout=_TIMEOUT_S,
    )  # fmt: skip
    text: str = json.loads(out.stdout)
    return text


@contextmanager
def owned_clipboard(env: dict[str, str], text: str) -> Iterator[None]:
    """Another program puts ``text`` on the clipboard and keeps serving it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.clipboard", "own", text],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "owned":
            raise RuntimeError("the clipboard helper did not start")
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

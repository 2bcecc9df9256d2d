"""Bare pywebview baseline: one window on the Qt backend loading a folder's index.html.

Prints ``loaded`` when pywebview's ``loaded`` event fires. With ``--echo`` it exposes a
``js_api`` with one ``echo`` method (the bridge benchmark's baseline).
"""

from __future__ import annotations

import argparse
import os
import sys


class Api:
    def echo(self, value: object) -> object:
        return value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--echo", action="store_true")
    args = parser.parse_args()
    os.environ["QT_API"] = "pyside6"
    if os.geteuid() == 0:
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    import webview

    window = webview.create_window(
        "bare", url=os.path.join(args.folder, "index.html"), js_api=Api() if args.echo else None
    )
    window.events.loaded += lambda: print("loaded", flush=True)
    webview.start(gui="qt", http_server=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

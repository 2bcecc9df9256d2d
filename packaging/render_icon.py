"""Render the host's SVG icon to PNG for desktops that want a raster icon.

Usage: QT_QPA_PLATFORM=offscreen python packaging/render_icon.py SVG PNG SIZE

The drawing is the samples' icon renderer's (miniapps/tools/render_icons.py), at any size.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from PySide6.QtGui import QGuiApplication

_RENDERER = Path(__file__).resolve().parents[1] / "miniapps" / "tools" / "render_icons.py"


def main() -> int:
    svg, png, size = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    spec = importlib.util.spec_from_file_location("render_icons", _RENDERER)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {_RENDERER}")
    renderer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(renderer)
    _app = QGuiApplication([])
    renderer.render(svg, png, size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

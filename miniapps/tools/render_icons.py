"""Render each sample's icon.svg to a 128x128 icon.png (the manifest accepts raster icons only).

Usage: QT_QPA_PLATFORM=offscreen python miniapps/tools/render_icons.py [MINIAPPS_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer


def render(svg: Path, png: Path, size: int = 128) -> None:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"not a valid SVG: {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    if not image.save(str(png), "PNG"):
        raise SystemExit(f"cannot write {png}")


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    _app = QGuiApplication([])
    for svg in sorted(root.glob("*/icon.svg")):
        render(svg, svg.with_suffix(".png"))
        print(f"rendered {svg.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

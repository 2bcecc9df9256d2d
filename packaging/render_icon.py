"""Render the host's SVG icon to PNG for desktops that want a raster icon.

Usage: QT_QPA_PLATFORM=offscreen python packaging/render_icon.py SVG PNG SIZE
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer


def main() -> int:
    svg, png, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    _app = QGuiApplication([])
    renderer = QSvgRenderer(svg)
    if not renderer.isValid():
        raise SystemExit(f"not a valid SVG: {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    if not image.save(png, "PNG"):
        raise SystemExit(f"cannot write {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

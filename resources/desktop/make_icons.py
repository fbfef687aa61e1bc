"""Render the hicolor PNG icons shipped for desktop integration from the app icon's SVG drawings.

Run after changing ``resources/app_icon.svg`` or ``resources/app_icon_small.svg``::

    QT_QPA_PLATFORM=offscreen .venv/bin/python resources/desktop/make_icons.py

Up to 32 px the bolder small drawing is used, as in the window's own icon (``workbench.qt.style.icons``).
The PNGs are committed: ``workbench --install-desktop`` copies them without needing Qt.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SMALL_MAX = 32


def render(svg: Path, size: int) -> QImage:
    """The drawing at ``size`` × ``size`` pixels on a transparent background."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG drawing")
    image = QImage(QSize(size, size), QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts need one
    for size in SIZES:
        svg = HERE.parent / ("app_icon_small.svg" if size <= SMALL_MAX else "app_icon.svg")
        target = HERE / f"icon-{size}.png"
        if not render(svg, size).save(str(target), "PNG"):
            raise SystemExit(f"could not write {target}")
        print(target.relative_to(HERE.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())

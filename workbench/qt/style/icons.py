"""The app icon, drawn from ``resources/``: one drawing for 16–32 px, the detailed one from 48 px up."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from workbench.paths import resources_dir

ICON_SIZES = (16, 20, 24, 32, 48, 64, 128, 256)
SMALL_ICON_MAX = 32  # up to this size the bolder drawing: the fine ticks and dots turn to mush below 48 px


def app_icon() -> QIcon:
    """The application icon at every usual size.

    Rendered to pixmaps rather than ``QIcon.addFile``: Qt's SVG icon engine keeps one SVG per mode and
    state, so a second SVG for small sizes would replace the first instead of joining it.
    """
    icon = QIcon()
    renderers = {name: QSvgRenderer(str(resources_dir() / name)) for name in ("app_icon.svg", "app_icon_small.svg")}
    for size in ICON_SIZES:
        renderer = renderers["app_icon_small.svg" if size <= SMALL_ICON_MAX else "app_icon.svg"]
        if not renderer.isValid():
            continue
        image = QImage(QSize(size, size), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(QPixmap.fromImage(image))
    return icon

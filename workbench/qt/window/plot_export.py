"""Pictures of a plot: PNG at print resolution, SVG that other programs draw the same way we do, and PDF.

Neither uses pyqtgraph's exporters as they are.  ``ImageExporter`` stretches the scene to the requested
size, and the legend (which ignores transformations) stays small while everything else grows; here the
plot is painted at its on-screen size onto an image with a device pixel ratio, as on a high-DPI screen.
``SVGExporter`` (pyqtgraph 0.14) fails on closed paths (pyqtgraph issue #3495), and the fit plot is
full of them; here Qt's own SVG 1.1 generator writes the file, clipping included.  pyqtgraph's export
mode is still switched on, so that scatter points are drawn as vectors rather than cached pixmaps.

One more step makes the SVG portable: curves are painted in data coordinates under a huge scaling
transform with ``vector-effect="non-scaling-stroke"``, which browsers honour but librsvg (and so
rsvg-convert, and many LaTeX pipelines) does not, drawing strokes hundreds of pixels wide.  The
coordinates of such groups are therefore mapped into the document's own pixels, as pyqtgraph does.
"""

from __future__ import annotations

import re
import xml.dom.minidom

import pyqtgraph as pg
from pyqtgraph.exporters.Exporter import Exporter
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QTransform
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

PNG_MIN_WIDTH = 1600
"""Exported PNGs are at least this many pixels wide (about twice the plot on screen): sharp on a slide."""

_PAIR = re.compile(r"(-?\d*\.?\d+(?:[eE][-+]?\d+)?),(-?\d*\.?\d+(?:[eE][-+]?\d+)?)")
_MATRIX = re.compile(r"matrix\(([^)]*)\)")
_SHAPES = ("path", "polyline", "polygon")


class _PlotExporter(Exporter):
    """Paints a plot item onto an image or an SVG generator, in pyqtgraph's export mode."""

    def source(self) -> QRectF:
        """The plot's rectangle in the scene (its on-screen size in logical pixels)."""
        rect = self.getSourceRect()
        if rect.width() < 1 or rect.height() < 1:
            raise ValueError("the plot has no size yet: show the window before exporting it")
        return rect

    def paint(self, device, source: QRectF, item_by_item: bool = False) -> None:
        """Draw the plot, background first, onto ``device`` at its logical size.

        ``item_by_item`` paints each item with its clip set explicitly instead of through
        ``QGraphicsScene.render`` (see ``_paint_items``).
        """
        target = QRectF(0, 0, source.width(), source.height())
        view = self.getScene().views()[0]
        background = view.backgroundBrush()
        painter = QPainter(device)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.fillRect(target, background)
            self.setExportMode(
                True, {"antialias": True, "background": background.color(), "painter": painter, "resolutionScale": 1.0}
            )
            if item_by_item:
                self._paint_items(painter, source, view.viewportTransform())
            else:
                self.getScene().render(painter, target, source)
        finally:
            self.setExportMode(False)
            painter.end()

    def _paint_items(self, painter: QPainter, source: QRectF, viewport: QTransform) -> None:
        """Each visible item in paint order, its clip (the clipping ancestors' rectangles) set afresh.

        Qt's SVG generator does not write the clip that ``QPainter.restore`` brings back: after a
        clipped item, ``QGraphicsScene.render`` would leave the axes clipped to a legend row, say.
        An explicit ``setClipRect`` or ``setClipping(False)`` before every item is written correctly.
        """
        scene_to_document = QTransform.fromTranslate(-source.left(), -source.top())
        to_document = viewport.inverted()[0] * scene_to_document
        no_contents = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
        for item in self.getPaintItems():
            if not item.isVisible() or item.flags() & no_contents or item.boundingRect().isNull():
                continue  # a null bounding rectangle: an empty path, which PDF readers call a syntax error
            painter.save()
            clip = _clip_rect(item)
            if clip is None:
                painter.setClipping(False)
            else:
                painter.setTransform(scene_to_document)
                painter.setClipRect(clip)
            painter.setTransform(item.deviceTransform(viewport) * to_document)
            painter.setOpacity(item.effectiveOpacity())
            option = QStyleOptionGraphicsItem()
            option.exposedRect = item.boundingRect()
            item.paint(painter, option, None)
            painter.restore()


def _clip_rect(item: QGraphicsItem) -> QRectF | None:
    """The scene rectangle an item is clipped to by itself or its ancestors (None: not clipped)."""
    flags = QGraphicsItem.GraphicsItemFlag
    clip = item.sceneBoundingRect() if item.flags() & flags.ItemClipsToShape else None
    parent = item.parentItem()
    while parent is not None:
        if parent.flags() & flags.ItemClipsChildrenToShape:
            rect = parent.sceneBoundingRect()
            clip = rect if clip is None else clip.intersected(rect)
        parent = parent.parentItem()
    return clip


def plot_png(item: pg.PlotItem, min_width: int = PNG_MIN_WIDTH) -> tuple[bytes, QImage]:
    """The plot as PNG bytes (and the image), at least ``min_width`` pixels wide, aspect kept."""
    exporter = _PlotExporter(item)
    source = exporter.source()
    ratio = max(1.0, min_width / source.width())
    image = QImage(round(source.width() * ratio), round(source.height() * ratio), QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(0)
    exporter.paint(image, source)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ValueError("the image could not be encoded as PNG")
    buffer.close()
    return bytes(data.data()), image


def plot_svg(item: pg.PlotItem, title: str = "Plot") -> bytes:
    """The plot as an SVG 1.1 document (vector: lines, points and text stay sharp at any size)."""
    exporter = _PlotExporter(item)
    source = exporter.source()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)
    generator.setOutputDevice(buffer)
    generator.setSize(source.size().toSize())
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    # The axes replay QPictures recorded at the screen's resolution; at the generator's default 72 dpi
    # Qt rescales them, and their clip rectangles land in the wrong place.
    generator.setResolution(exporter.getScene().views()[0].logicalDpiX())
    generator.setTitle(title)
    generator.setDescription("Exported by Curve Fitter Workbench")
    exporter.paint(generator, source, item_by_item=True)
    buffer.close()
    return portable_svg(bytes(data.data()))


def plot_pdf(item: pg.PlotItem, title: str = "Plot") -> bytes:
    """The plot as a one-page vector PDF whose page is the plot itself, at its on-screen size (72 pt an inch)."""
    exporter = _PlotExporter(item)
    source = exporter.source()
    dpi = max(1, round(exporter.getScene().views()[0].logicalDpiX()))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setCreator("Curve Fitter Workbench")
    # One logical pixel of the plot is one device pixel of the writer, so it paints at its on-screen size.
    writer.setResolution(dpi)
    page = QPageSize(
        QSizeF(source.width() * 72.0 / dpi, source.height() * 72.0 / dpi),
        QPageSize.Unit.Point,
        "Fit plot",
        QPageSize.SizeMatchPolicy.ExactMatch,
    )
    writer.setPageLayout(QPageLayout(page, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    exporter.paint(writer, source, item_by_item=True)
    buffer.close()
    return bytes(data.data())


def portable_svg(svg: bytes) -> bytes:
    """Qt's SVG with scaled shape groups mapped into document pixels and empty paths dropped."""
    document = xml.dom.minidom.parseString(svg)
    for path in list(document.getElementsByTagName("path")):
        if not path.getAttribute("d").strip() and path.parentNode.tagName != "clipPath":
            path.parentNode.removeChild(path)  # a hidden item: readers warn about d=""
    for group in document.getElementsByTagName("g"):
        _bake_transform(group)
    return document.toxml(encoding="utf-8")


def _bake_transform(group) -> None:
    """Apply a scaling ``matrix(a,b,c,d,e,f)`` to the coordinates of a group that holds only shapes."""
    match = _MATRIX.fullmatch(group.getAttribute("transform").strip())
    if match is None:
        return
    a, b, c, d, e, f = (float(v) for v in match.group(1).split(","))
    if (a, b, c, d) == (1.0, 0.0, 0.0, 1.0):
        return  # a pure shift: strokes keep their width anyway
    children = [n for n in group.childNodes if n.nodeType == n.ELEMENT_NODE]
    if not children or any(n.tagName not in _SHAPES or n.hasAttribute("transform") for n in children):
        return
    if group.getAttribute("stroke") not in ("", "none") and any(
        n.getAttribute("vector-effect") != "non-scaling-stroke" for n in children
    ):
        return  # a stroke meant to scale: leave it to the transform

    def mapped(m: re.Match) -> str:
        x, y = float(m.group(1)), float(m.group(2))
        return f"{a * x + c * y + e:.7g},{b * x + d * y + f:.7g}"

    for node in children:
        attribute = "d" if node.tagName == "path" else "points"
        node.setAttribute(attribute, _PAIR.sub(mapped, node.getAttribute(attribute)))
    group.removeAttribute("transform")

"""The drawing side of the graph view: where each node goes, and the boxes and arrows that show it.

``layout_graph`` is plain Python (columns by depth, rows by a few barycentre sweeps); ``NodeItem`` and
``EdgeItem`` are created once per graph and afterwards only told what to show, in the colours of their
``GraphScene`` (light or dark, as the window around it); ``GraphCanvas`` is a ``QGraphicsView`` that
zooms with the mouse wheel and scrolls by dragging.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsPolygonItem, QGraphicsScene, QGraphicsView

from workbench.engine import Node, op_info
from workbench.fitting import number_text
from workbench.fitting.number_text import PLAIN, NumberStyle

NODE_W, NODE_H, DATA_H = 146, 50, 35  # data-only boxes have no gradient line
COLUMN_PITCH = NODE_W + 36
ROW_GAP = 8
VALUE_DIGITS, MEAN_DIGITS = 5, 3  # significant digits of a value in a box, and of an array's mean

# The tag in a box's corner: the op's symbol and, when the name leaves room, its name in words (ops give
# their own, see workbench.engine.opinfo; leaves are tagged by their role).
ROLE_TAGS = {"knob": ("", "knob"), "data": ("", "data")}


@dataclass(frozen=True)
class GraphColours:
    """The look of the graph in one colour scheme: canvas, node boxes by role and highlight, text, edges."""

    background: str
    roles: dict[str, tuple[str, str]]  # role: (fill, border)
    highlights: dict[str, tuple[str, str, float]]  # highlight: (fill, border, border width)
    value: str
    grad: str
    muted: str
    edge: str
    edge_highlights: dict[str, str]  # the pass using an edge: its colour


GRAPH_COLOURS = {
    "light": GraphColours(
        background="#fbfbfd",
        roles={
            "knob": ("#dbeafe", "#1c64d6"),
            "data": ("#eeeeee", "#8c8c8c"),
            "constant-op": ("#f6f6f6", "#a6a6a6"),
            "op": ("#ffffff", "#495057"),
            "loss": ("#fff1cc", "#d9822b"),
        },
        highlights={
            "current": ("#ffe8a3", "#e8590c", 3.0),
            "receiver": ("#d3f9d8", "#2b8a3e", 3.0),
            "zeroed": ("#f3e8ff", "#7b2cbf", 2.0),
        },
        value="#212529",
        grad="#c92a2a",
        muted="#9a9a9a",
        edge="#a0a7b0",
        edge_highlights={"forward": "#1c7ed6", "backward": "#e8590c"},
    ),
    # The same roles in the dark theme's tones: dark boxes, light text, the accents lifted to stay legible.
    "dark": GraphColours(
        background="#1e1f22",
        roles={
            "knob": ("#1d3557", "#74a9f0"),
            "data": ("#2c2e33", "#8d939c"),
            "constant-op": ("#26282c", "#7c828c"),
            "op": ("#24262a", "#c3c9d1"),
            "loss": ("#45361a", "#f0a54a"),
        },
        highlights={
            "current": ("#5a4514", "#ff922b", 3.0),
            "receiver": ("#1f4a2c", "#51cf66", 3.0),
            "zeroed": ("#3a2a57", "#b197fc", 2.0),
        },
        value="#e9ecef",
        grad="#ff8787",
        muted="#8d939c",
        edge="#6c737d",
        edge_highlights={"forward": "#4dabf7", "backward": "#ff922b"},
    ),
}


class GraphScene(QGraphicsScene):
    """The scene of node boxes and edges, with the colours they are drawn in (``set_scheme``)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.colours = GRAPH_COLOURS["light"]

    def set_scheme(self, scheme: str) -> None:
        """Draw everything in ``scheme``'s colours ("light" or "dark")."""
        colours = GRAPH_COLOURS[scheme]
        if colours is self.colours:
            return
        self.colours = colours
        for item in self.items():
            if isinstance(item, EdgeItem):
                item.restyle()
        for view in self.views():
            view.setBackgroundBrush(QBrush(QColor(colours.background)))
        self.update()


def _colours_of(item: QGraphicsItem) -> GraphColours:
    scene = item.scene()
    return scene.colours if isinstance(scene, GraphScene) else GRAPH_COLOURS["light"]


def layout_graph(
    nodes: list[Node], heights: dict[int, float] | None = None, sweeps: int = 24
) -> dict[int, tuple[int, float]]:
    """Column and top y of every node (keyed by ``id``): left to right by depth, stacked in each column.

    A node's depth is the longest path from a leaf to it; a leaf sits one column left of its first
    consumer (so y sits beside r, and each knob beside its product).  Each column keeps the nodes in
    topological order (a depth-first order from the loss, so each term's nodes stay together) and sweeps
    pull every node towards the mean height of its neighbours, keeping ``ROW_GAP`` between boxes.
    """
    heights = heights or {}
    depth: dict[int, int] = {}
    consumers: dict[int, list[Node]] = defaultdict(list)
    for node in nodes:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.parents), default=-1)
        for parent in node.parents:
            consumers[id(parent)].append(node)
    column = dict(depth)
    for node in nodes:
        if not node.parents and consumers[id(node)]:
            column[id(node)] = max(0, min(depth[id(c)] for c in consumers[id(node)]) - 1)
    columns: dict[int, list[Node]] = defaultdict(list)
    for node in nodes:
        columns[column[id(node)]].append(node)
    size = {id(n): heights.get(id(n), NODE_H) for n in nodes}
    centre: dict[int, float] = {}
    for members in columns.values():
        offsets = _offsets([size[id(n)] for n in members])
        for node, y in zip(members, offsets):
            centre[id(node)] = y - offsets[-1] / 2
    neighbours = {id(n): list(n.parents) + consumers[id(n)] for n in nodes}
    order = sorted(columns)
    for sweep in range(sweeps):
        for c in order if sweep % 2 == 0 else reversed(order):
            members = columns[c]
            wanted = [
                float(np.mean([centre[id(m)] for m in neighbours[id(n)]])) if neighbours[id(n)] else centre[id(n)]
                for n in members
            ]
            for node, y in zip(members, _spread(wanted, [size[id(n)] for n in members])):
                centre[id(node)] = y
    top = min((centre[id(n)] - size[id(n)] / 2 for n in nodes), default=0.0)
    return {id(n): (column[id(n)], centre[id(n)] - size[id(n)] / 2 - top) for n in nodes}


def _offsets(sizes: list[float]) -> list[float]:
    """Centre of each box when stacked from 0 with ``ROW_GAP`` between them."""
    out, y = [], 0.0
    for i, h in enumerate(sizes):
        y += 0.0 if i == 0 else (sizes[i - 1] + h) / 2 + ROW_GAP
        out.append(y)
    return out


def _spread(wanted: list[float], sizes: list[float]) -> list[float]:
    """The centres closest (least squares) to ``wanted`` that keep the boxes in order without overlap."""
    offsets = _offsets(sizes)
    blocks: list[list[float]] = []  # pool adjacent violators: [mean, count]
    for w, o in zip(wanted, offsets):
        blocks.append([w - o, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m2, n2), (m1, n1) = blocks.pop(), blocks.pop()
            blocks.append([(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2])
    fitted = [m for m, n in blocks for _ in range(n)]
    return [f + o for f, o in zip(fitted, offsets)]


def compact(value, style: NumberStyle = PLAIN, digits: int = VALUE_DIGITS) -> str:
    """A value short enough for a node box: the number, or ``[N] mean m`` for an array."""
    if value is None:
        return "?"
    a = np.asarray(value, dtype=np.float64)
    if a.size == 1:
        return number_text.significant(float(a.reshape(-1)[0]), digits, style)
    size = str(a.size) if a.ndim == 1 else "×".join(str(n) for n in a.shape)
    if not a.size:
        return "[0]"
    with np.errstate(all="ignore"):  # a mean of values that overflow is itself shown as ∞
        mean = float(a.mean())
    return f"[{size}] mean {number_text.significant(mean, MEAN_DIGITS, style)}"


def compact_gradient(grad, style: NumberStyle = PLAIN) -> str:
    """A gradient for a node box: a scalar as the knob panel writes it (signed, four digits), an array's mean."""
    a = np.asarray(grad, dtype=np.float64)
    if a.size == 1:
        return number_text.gradient(float(a.reshape(-1)[0]), style)
    return compact(a, style)


class NodeItem(QGraphicsItem):
    """One node as a rounded box: name and op on top, then its value, then its gradient."""

    def __init__(self, node: Node, name: str, role: str):
        super().__init__()
        self.node, self.name, self.role = node, name, role
        self.height = NODE_H if node.requires_grad else DATA_H
        self.value_text, self.grad_text = "", ""
        self.grad_muted = False
        self.highlight: str | None = None
        self.setZValue(1)
        self.setAcceptHoverEvents(True)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(-2, -2, NODE_W + 4, self.height + 4)

    def display(self, value_text: str, grad_text: str, grad_muted: bool, highlight: str | None, tooltip: str) -> None:
        """Set what the box says and how it is highlighted (repaints only when something changed)."""
        state = (value_text, grad_text, grad_muted, highlight)
        if state != (self.value_text, self.grad_text, self.grad_muted, self.highlight):
            self.value_text, self.grad_text, self.grad_muted, self.highlight = state
            self.update()
        self.setToolTip(tooltip)

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        colours = _colours_of(self)
        value_pen, muted_pen = QColor(colours.value), QColor(colours.muted)
        fill, border = colours.roles[self.role]
        width = 1.2
        if self.highlight in colours.highlights:
            fill, border, width = colours.highlights[self.highlight]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(border), width)
        if self.role == "constant-op" and not self.highlight:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(QBrush(QColor(fill)))
        painter.drawRoundedRect(QRectF(0, 0, NODE_W, self.height), 7, 7)
        left, inner = 6, NODE_W - 12
        bold, small = _font(12, bold=True), _font(9)
        name_width = QFontMetrics(bold).horizontalAdvance(self.name)
        tag = _fitting_tag(self.role if self.role in ("knob", "data") else self.node.op, small, inner - name_width - 6)
        tag_width = QFontMetrics(small).horizontalAdvance(tag) if tag else 0
        if tag:
            painter.setFont(small)
            painter.setPen(muted_pen)
            painter.drawText(
                QRectF(NODE_W - 6 - tag_width, 2, tag_width, 15),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                tag,
            )
        painter.setFont(bold)
        painter.setPen(value_pen)
        name = QFontMetrics(bold).elidedText(
            self.name, Qt.TextElideMode.ElideRight, inner - (tag_width + 4 if tag else 0)
        )
        painter.drawText(QRectF(left, 2, inner, 16), Qt.AlignmentFlag.AlignVCenter, name)
        body = _font(11)
        metrics = QFontMetrics(body)
        painter.setFont(body)
        painter.setPen(muted_pen if self.value_text.endswith("?") else value_pen)
        painter.drawText(
            QRectF(left, 18, inner, 15),
            Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(self.value_text, Qt.TextElideMode.ElideRight, inner),
        )
        if self.height < NODE_H:
            return
        painter.setPen(muted_pen if self.grad_muted else QColor(colours.grad))
        painter.drawText(
            QRectF(left, 33, inner, 15),
            Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(self.grad_text, Qt.TextElideMode.ElideRight, inner),
        )


class EdgeItem(QGraphicsPathItem):
    """An arrow from an input's box to the box of the node that uses it."""

    def __init__(self, source: NodeItem, target: NodeItem):
        super().__init__()
        self.source, self.target = source, target
        self.highlight: str | None = "unset"
        self.setZValue(0)
        start = source.pos() + QPointF(NODE_W, source.height / 2)
        end = target.pos() + QPointF(-7, target.height / 2)
        bend = max(24.0, (end.x() - start.x()) / 2)
        path = QPainterPath(start)
        path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end)
        self.setPath(path)
        self.head = QGraphicsPolygonItem(
            QPolygonF([end + QPointF(7, 0), end + QPointF(-1, -4.5), end + QPointF(-1, 4.5)]), self
        )
        self.set_highlight(None)

    def set_highlight(self, kind: str | None) -> None:
        """Draw the edge plain, or thick in the colour of the pass that is using it."""
        if kind == self.highlight:
            return
        self.highlight = kind
        self.restyle()

    def restyle(self) -> None:
        """Pen and arrowhead in the scene's colours for the current highlight."""
        kind = self.highlight
        colours = _colours_of(self)
        color = QColor(colours.edge_highlights.get(kind, colours.edge))
        self.setPen(QPen(color, 2.6 if kind else 1.2))
        self.head.setPen(QPen(color, 1.0))
        self.head.setBrush(QBrush(color))
        self.setZValue(0.5 if kind else 0)


class GraphCanvas(QGraphicsView):
    """A scrollable, zoomable view of the graph scene (wheel zooms around the mouse, drag scrolls)."""

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setObjectName("graphCanvas")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.user_zoomed = False
        self.setToolTip("")
        self._follow_palette()

    def changeEvent(self, event):  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._follow_palette()

    def _follow_palette(self) -> None:
        """Light or dark like the window around it (the theme sets the application's palette)."""
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        scene = self.scene()
        if isinstance(scene, GraphScene):
            scene.set_scheme("dark" if dark else "light")
        self.setBackgroundBrush(QBrush(QColor(GRAPH_COLOURS["dark" if dark else "light"].background)))

    def wheelEvent(self, event):  # noqa: N802 - Qt API
        delta = event.angleDelta().y()
        if not delta:
            super().wheelEvent(event)
            return
        factor = 1.0015**delta
        scale = self.transform().m11() * factor
        if 0.15 <= scale <= 4.0:
            self.scale(factor, factor)
            self.user_zoomed = True
        event.accept()

    def zoom_to(self, scale: float) -> None:
        """Set the zoom (1 = one scene unit per pixel)."""
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.resetTransform()
        self.scale(scale, scale)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)

    def fit_scale(self) -> float:
        """The zoom at which the whole scene fits the viewport."""
        rect = self.sceneRect()
        if rect.isEmpty():
            return 1.0
        viewport = self.viewport().size()
        return min((viewport.width() - 4) / rect.width(), (viewport.height() - 4) / rect.height())


def _fitting_tag(op: str, font: QFont, room: float) -> str:
    """The op's tag in the longest form that fits in ``room`` pixels: symbol and word, word, symbol, none."""
    info = op_info(op)
    symbol, word = ROLE_TAGS.get(op, (info.symbol, info.word))
    metrics = QFontMetrics(font)
    for candidate in (f"{symbol} {word}".strip(), symbol):
        if candidate and metrics.horizontalAdvance(candidate) <= room:
            return candidate
    return ""


def _font(pixels: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font

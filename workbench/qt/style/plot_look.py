"""The look applied to every pyqtgraph plot of a window, generically: no plot module needs code for it.

Walking each ``pg.GraphicsView``'s scene: axis tick text, axis labels, legends and text items are sized
from the system font times the look's text scale (plots never size their text on their own); data lines
grow to the look's width and markers to its size.  Lines and markers keep the size their view gave them
as a base (remembered on the item), so switching back and forth never compounds, and a view that sets a new
pen later gives its new width as the base the next time the look is applied.  An item with ``FIXED_ATTR``
set is left alone: a texture such as contour lines (not a line a reader follows), or an item its view
sizes and colours from the look itself.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

from workbench.qt.style.look import Look, base_points, look_manager

FIXED_ATTR = "look_fixed_width"  # set True on a plot item this generic restyle must leave alone
LABEL_FACTOR, LEGEND_FACTOR = 1.1, 0.95  # axis labels a little bigger than ticks, legends a little smaller
_BASE = "_look_base"  # per item: {what: (size its view gave it, size last applied)}


def restyle_plots_for_look(root: QWidget, look: Look) -> int:
    """Apply ``look`` to every pyqtgraph view in ``root`` (and ``root`` itself); returns how many."""
    views = root.findChildren(pg.GraphicsView)
    if isinstance(root, pg.GraphicsView):
        views.append(root)
    for view in views:
        for item in view.scene().items():
            _apply(item, look)
    return len(views)


def plot_font(look: Look, factor: float = 1.0, bold: bool = False) -> QFont:
    """The font of plot text at ``factor`` × the system size, scaled by the look."""
    font = QFont(look_manager().base_font)
    font.setPointSizeF(base_points() * factor * look.text_scale)
    font.setBold(bold)
    return font


def _apply(item, look: Look) -> None:
    if getattr(item, FIXED_ATTR, False):
        return  # its view sizes it from the look itself
    if isinstance(item, pg.AxisItem):
        _apply_axis(item, look)
    elif isinstance(item, pg.LegendItem):
        item.setLabelTextSize(f"{base_points() * LEGEND_FACTOR * look.text_scale:.1f}pt")
    elif isinstance(item, pg.TextItem):
        item.setFont(plot_font(look, bold=item.textItem.font().bold()))
    elif isinstance(item, pg.PlotDataItem):
        _apply_data_item(item, look)
    elif isinstance(item, pg.ScatterPlotItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
        size = item.opts.get("size")
        if isinstance(size, (int, float)):
            new = _remembered(item, "size", float(size), look.marker)
            if new != size:
                item.setSize(new)
    elif isinstance(item, pg.InfiniteLine):
        pen = pg.mkPen(item.pen)
        width = _remembered(item, "pen", _width(pen), look.line)
        if abs(width - _width(pen)) > 1e-9:
            pen.setWidthF(width)
            item.setPen(pen)


def _remembered(item, what: str, current: float, scale) -> float:
    """The size to give ``item``'s ``what``: its base (what its view last set) scaled by ``scale``."""
    memo = item.__dict__.setdefault(_BASE, {})
    base, applied = memo.get(what, (current, current))
    if abs(current - applied) > 1e-9:  # the view has set a size of its own since: that is the base now
        base = current
    new = scale(base)
    memo[what] = (base, new)
    return new


def _apply_axis(axis: pg.AxisItem, look: Look) -> None:
    tick = plot_font(look)
    if axis.style.get("tickFont") is None or axis.style["tickFont"] != tick:
        axis.setStyle(tickFont=tick)
        axis.label.setFont(plot_font(look, LABEL_FACTOR, bold=axis.label.font().bold()))
        # Let the axis measure its text afresh: otherwise it only ever grows the room it keeps for it.
        axis.textWidth = axis.textHeight = 0
        axis._updateLabel()


def _apply_data_item(item: pg.PlotDataItem, look: Look) -> None:
    pen = item.opts.get("pen")
    if pen is not None:
        qpen = pg.mkPen(pen)
        if qpen.style() != Qt.PenStyle.NoPen:
            width = _remembered(item, "pen", _width(qpen), look.line)
            if abs(width - _width(qpen)) > 1e-9:
                qpen.setWidthF(width)
                item.setPen(qpen)
    if item.opts.get("symbol") is not None and isinstance(item.opts.get("symbolSize"), (int, float)):
        size = _remembered(item, "symbol", float(item.opts["symbolSize"]), look.marker)
        if size != item.opts["symbolSize"]:
            item.setSymbolSize(size)


def _width(pen) -> float:
    return pen.widthF() or 1.0  # a cosmetic pen of width 0 draws 1 px

"""The residual plot: y − ŷ of the current knobs against x, under the fit plot and sharing its x axis.

A curve that has captured the trend leaves residuals scattered evenly about zero; a bow, a wave or a
funnel in them is what a too-low degree, or noise that grows with x, looks like.  Points held out for
validation are hollow rings in the validation colour, as on the fit plot: residuals that grow on them
while the training ones shrink are over-fitting, seen directly.  A view of the document: it redraws
when the knobs, the data or the split change, and never writes back.

Cheap at any size: the points are sorted by x once per dataset and split (pyqtgraph's clip-to-view and
downsampling both assume ordered x), and a redraw is then a few whole-array NumPy operations.  While
hidden the plot does nothing, and catches up when shown again.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QWidget

from .colours import VALIDATION_COLOUR
from .document import FitDocument

POINT_BRUSH = pg.mkBrush(40, 110, 220, 200)
HELD_OUT_PEN = pg.mkPen(*VALIDATION_COLOUR, width=1.5)
ZERO_PEN = pg.mkPen(110, 110, 110, 220, width=1.5, style=Qt.PenStyle.DashLine)


class ResidualPlot(pg.PlotWidget):
    """Residuals y − ŷ (training points filled, held-out points hollow) and the zero line."""

    def __init__(self, document: FitDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("residualPlot")
        self.setToolTip("Residuals y − ŷ of the current curve against x (x axis shared with the fit plot).\n"
                        "An even scatter about the dashed zero line means the curve has caught the trend;\n"
                        "a bow or a wave says the degree is too low.  Hollow rings: held-out points.")
        self.document = document
        self._key: tuple | None = None          # (dataset, split) the index arrays below belong to
        self._order = self._train = self._held_out = np.empty(0, dtype=np.intp)
        self._train_x = self._held_out_x = np.empty(0)
        self._stale = True
        self._linked_axis: pg.AxisItem | None = None
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setLabel("left", "y − ŷ")
        view = item.getViewBox()
        view.enableAutoRange(axis=pg.ViewBox.YAxis)
        view.setAutoVisible(y=True)             # scale y to the residuals in view, not to all of them
        # Created once; afterwards only setData.
        self.zero_line = pg.InfiniteLine(pos=0.0, angle=0, pen=ZERO_PEN, movable=False)
        self.points = pg.PlotDataItem(pen=None, symbol="o", symbolSize=6, symbolPen=None, symbolBrush=POINT_BRUSH)
        self.held_out_points = pg.PlotDataItem(pen=None, symbol="o", symbolSize=7, symbolPen=HELD_OUT_PEN,
                                               symbolBrush=pg.mkBrush(0, 0, 0, 0))
        item.addItem(self.zero_line)
        for points in (self.points, self.held_out_points):
            item.addItem(points)
            # After addItem (the plot menu applies its own settings).  Every ds-th point rather than each
            # bin's min and max ('peak'), which would draw a noisy band as two hollow edges.
            points.setDownsampling(auto=True, method="subsample")
            points.setClipToView(True)
        document.knobsChanged.connect(self.redraw)   # follows every data, model, split and knob change

    def link_x(self, plot: pg.PlotWidget) -> None:
        """Share ``plot``'s x axis (pan and zoom either one) and line up the two plots' left edges."""
        self.setXLink(plot.getPlotItem())
        self._linked_axis = plot.getPlotItem().getAxis("left")
        self._linked_axis.geometryChanged.connect(self._match_axis_width)
        self._match_axis_width()

    @Slot()
    def _match_axis_width(self) -> None:
        """Our y axis as wide as the fit plot's, so that one x is at one horizontal pixel in both."""
        width = int(round(self._linked_axis.geometry().width()))
        if width > 0:
            self.getPlotItem().getAxis("left").setWidth(width)

    def _indices(self) -> None:
        """Points in x order, and that order split into training and held-out points."""
        state = self.document.state
        if self._key is not None and self._key[0] is state.dataset and self._key[1] == state.split:
            return
        x = state.dataset.x
        self._order = np.argsort(x, kind="stable")
        held = np.zeros(x.size, dtype=bool)
        split = state.split_indices()
        if split is not None:
            held[split[1]] = True
        in_order = held[self._order]
        self._train, self._held_out = self._order[~in_order], self._order[in_order]
        self._train_x, self._held_out_x = x[self._train], x[self._held_out]   # fixed until data or split change
        self._key = (state.dataset, state.split)

    def residuals(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y − ŷ) of every point for the current knobs, sorted by x (before any downsampling)."""
        data = self.document.dataset
        if data.n == 0:
            return np.empty(0), np.empty(0)
        self._indices()
        residual = data.y - self.document.fitted()
        return data.x[self._order], residual[self._order]

    @Slot()
    def redraw(self) -> None:
        """Redraw from the document (deferred while the plot is hidden)."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        data = self.document.dataset
        if data.n == 0:
            self.points.setData([], [])
            self.held_out_points.setData([], [])
            return
        self._indices()
        residual = data.y - self.document.fitted()
        for item, x, idx in ((self.points, self._train_x, self._train),
                             (self.held_out_points, self._held_out_x, self._held_out)):
            r = residual[idx]
            finite = np.isfinite(r)
            if not finite.all():                 # a diverging net can overflow: draw what is finite
                x, r = x[finite], r[finite]
            item.setData(x, r)

    def showEvent(self, ev):  # noqa: N802 - Qt API
        super().showEvent(ev)
        if self._stale:
            self.redraw()

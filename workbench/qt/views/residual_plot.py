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

from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.colours import VALIDATION_COLOUR
from workbench.qt.views.date_axis import NumberAxis, XAxis, label_axes, residual_label
from workbench.qt.views.redraw import FOLLOW_MS, ScheduledRedraw, cache_axes
from workbench.qt.views.x_order import XOrder

POINT_BRUSH = pg.mkBrush(40, 110, 220, 200)
HELD_OUT_PEN = pg.mkPen(*VALIDATION_COLOUR, width=1.5)
ZERO_PEN = pg.mkPen(110, 110, 110, 220, width=1.5, style=Qt.PenStyle.DashLine)
Y_MARGIN = 0.15  # space above and below the residuals in view, as a share of their spread
Y_SHRINK = 0.4  # the y range shrinks only once the residuals in view fill less than this share of it
SYMBOLS_PER_PIXEL = 2.0  # downsampled clouds keep about this many points per pixel column
LIVE_REDRAW_MS = 100  # a run's payloads are drawn at most this often (the user's own changes: FOLLOW_MS)


class ResidualPlot(pg.PlotWidget):
    """Residuals y − ŷ (training points filled, held-out points hollow) and the zero line."""

    def __init__(self, document: FitDocument, parent: QWidget | None = None):
        super().__init__(parent, axisItems={"bottom": XAxis(), "left": NumberAxis("left")})
        self.setObjectName("residualPlot")
        self.setToolTip(
            "Residuals y − ŷ of the current curve against x (x axis shared with the fit plot).\n"
            "An even scatter about the dashed zero line means the curve has caught the trend;\n"
            "a bow or a wave says the degree is too low.  Hollow rings: held-out points."
        )
        self.document = document
        self._key: tuple | None = None  # (dataset, split) the index arrays below belong to
        self._x_order = XOrder()  # derives the next dataset's order from this one's after a one-point edit
        self._order = self._train = self._held_out = np.empty(0, dtype=np.intp)
        self._train_x = self._held_out_x = np.empty(0)
        self._stale = True
        self._linked_axis: pg.AxisItem | None = None
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.25)
        self._axis_labels: tuple | None = None
        self._label_axes()
        # Residuals in the data's own units: an SI scale ("(x0.001)") appended to the label did not fit the
        # plot's quarter of the height and showed ±0.2 as ±200.
        item.getAxis("left").enableAutoSIPrefix(False)
        cache_axes(item)  # grid and ticks as pixmaps: redrawn when the range changes, not every redraw
        view = item.getViewBox()
        # y follows the residuals in view (``_frame_y``), not the mouse; x pans and zooms with the fit plot.
        view.disableAutoRange(axis=pg.ViewBox.YAxis)
        view.setMouseEnabled(x=True, y=False)
        view.sigXRangeChanged.connect(self._frame_y)
        self._drawn: tuple[tuple[np.ndarray, np.ndarray], ...] = ()  # (sorted x, residual) per item
        # Created once; afterwards only setData.
        self.zero_line = pg.InfiniteLine(pos=0.0, angle=0, pen=ZERO_PEN, movable=False)
        # At most ~2 symbols per pixel column once there are more points than that (pyqtgraph's default
        # is 5): a symbol costs Python work in pyqtgraph on every redraw, and a knob turn redraws them.
        self.points = pg.PlotDataItem(
            pen=None,
            symbol="o",
            symbolSize=6,
            symbolPen=None,
            symbolBrush=POINT_BRUSH,
            autoDownsampleFactor=SYMBOLS_PER_PIXEL,
        )
        self.held_out_points = pg.PlotDataItem(
            pen=None,
            symbol="o",
            symbolSize=7,
            symbolPen=HELD_OUT_PEN,
            symbolBrush=pg.mkBrush(0, 0, 0, 0),
            autoDownsampleFactor=SYMBOLS_PER_PIXEL,
        )
        item.addItem(self.zero_line)
        for points in (self.points, self.held_out_points):
            item.addItem(points)
            # After addItem (the plot menu applies its own settings).  Every ds-th point rather than each
            # bin's min and max ('peak'), which would draw a noisy band as two hollow edges.
            points.setDownsampling(auto=True, method="subsample")
            points.setClipToView(True)
        # Knob turns are paced too: the curve and the loss are what a turn must show at once (issue 6:
        # ≤ 16 ms at N = 10⁴), and the residuals of 10⁴ points cost ~4 ms a redraw; a stream of turns
        # redraws them at most every FOLLOW_MS, always ending on the latest knobs.
        self._redraw_soon = ScheduledRedraw(self, self.redraw, min_interval_ms=FOLLOW_MS)
        document.knobsChanged.connect(self._on_knobs_changed)  # follows every data, model, split and knob change
        document.factsChanged.connect(self._on_knobs_changed)  # big data: the residuals arrive with the facts
        self.computing = pg.TextItem("computing the residuals…", anchor=(0.5, 0.5), color=(128, 128, 128))
        self.computing.setParentItem(self.getPlotItem().getViewBox())
        self.computing.setVisible(False)

    @Slot()
    def _on_knobs_changed(self) -> None:
        self._label_axes()  # the data may be new (a tuple comparison when it is not)
        # A run in progress: ~10 redraws a second are plenty here; the user's own changes: up to 30.
        self._redraw_soon.min_interval_ms = LIVE_REDRAW_MS if self.document.live else FOLLOW_MS
        self._redraw_soon.schedule()

    def flush(self) -> None:
        """Draw a pending change now (for readers of the drawn points, such as exports and tests)."""
        self._redraw_soon.flush()

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

    def _label_axes(self) -> None:
        """y − ŷ named after the y column; dates on x when x holds dates (x is named on the fit plot)."""
        data = self.document.dataset
        labels = (data.y_name, data.x_is_date)
        if labels != self._axis_labels:
            self._axis_labels = labels
            label_axes(self.getPlotItem(), data, left=residual_label(data), name_x=False)

    def _indices(self) -> None:
        """Points in x order, and that order split into training and held-out points."""
        state = self.document.state
        if self._key is not None and self._key[0] is state.dataset and self._key[1] == state.split:
            return
        x = state.dataset.x
        order, x_sorted = self._x_order.of(x)  # a point added or moved: the last order, updated (no sort)
        self._order = np.arange(x.size) if order is None else order
        split = state.split_indices()
        if split is None:
            self._train, self._held_out = self._order, np.empty(0, dtype=np.intp)
            self._train_x, self._held_out_x = x_sorted, np.empty(0)
        else:
            held = np.zeros(x.size, dtype=bool)
            held[split[1]] = True
            in_order = held[self._order]
            self._train, self._held_out = self._order[~in_order], self._order[in_order]
            self._train_x, self._held_out_x = x[self._train], x[self._held_out]  # fixed until data or split change
        self._key = (state.dataset, state.split)

    def residuals(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y − ŷ) of every point for the current knobs, sorted by x (before any downsampling); empty
        while big data's curve is being computed."""
        data = self.document.dataset
        fitted = self.document.fitted() if data.n else None
        if fitted is None:
            return np.empty(0), np.empty(0)
        self._indices()
        residual = data.y - fitted
        return data.x[self._order], residual[self._order]

    @Slot()
    def redraw(self) -> None:
        """Redraw from the document (deferred while the plot is hidden)."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._label_axes()
        data = self.document.dataset
        if data.n == 0:
            self.points.setData([], [])
            self.held_out_points.setData([], [])
            self._drawn = ()
            self._key = None  # the index arrays below belong to data that is gone: let them go
            self._x_order.forget()
            self._order = self._train = self._held_out = np.empty(0, dtype=np.intp)
            self._train_x = self._held_out_x = np.empty(0)
            return
        fitted = self.document.fitted()
        self.computing.setVisible(fitted is None)
        if fitted is None:  # big data: being computed; a curve of other knobs would mix two states
            self.computing.setPos(self.getPlotItem().getViewBox().boundingRect().center())
            self.points.setData([], [])
            self.held_out_points.setData([], [])
            self._drawn = ()
            return
        self._indices()
        residual = data.y - fitted
        drawn = []
        for item, x, idx in (
            (self.points, self._train_x, self._train),
            (self.held_out_points, self._held_out_x, self._held_out),
        ):
            r = residual[idx]
            finite = np.isfinite(r)
            if not finite.all():  # a diverging net can overflow: draw what is finite
                x, r = x[finite], r[finite]
            item.setData(x, r)
            drawn.append((x, r))
        self._drawn = tuple(drawn)
        self._frame_y()

    @Slot()
    def _frame_y(self, *_) -> None:
        """Keep the residuals in view vertically, with hysteresis: the range changes only when they leave
        it or fill less than ``Y_SHRINK`` of it.  (pyqtgraph's auto-range followed every knob move, and
        each new range re-renders the axis and its grid: a frame's worth of work per move.)"""
        view = self.getPlotItem().getViewBox()
        (x0, x1), (y0, y1) = view.viewRange()
        lo, hi = np.inf, -np.inf
        for x, r in self._drawn:  # x is sorted: the points in view are one slice
            start, stop = np.searchsorted(x, (x0, x1))
            if stop > start:
                lo, hi = min(lo, float(r[start:stop].min())), max(hi, float(r[start:stop].max()))
        if not np.isfinite(hi - lo):
            return
        if y0 <= lo and hi <= y1 and hi - lo >= Y_SHRINK * (y1 - y0):
            return  # still in view, and not lost in it: keep the range
        pad = Y_MARGIN * (hi - lo) if hi > lo else 0.5 * max(abs(lo), 1.0)
        view.setYRange(lo - pad, hi + pad, padding=0)

    def showEvent(self, ev):  # noqa: N802 - Qt API
        super().showEvent(ev)
        if self._stale or self._redraw_soon.pending:  # shown again: the latest residuals at once
            self._redraw_soon.cancel()
            self.redraw()

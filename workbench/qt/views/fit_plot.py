"""The fit plot: data points, the current curve, residual segments and ghost curves.

Clicking empty space asks to add a point; dragging a point asks to move it; right-click or Delete
asks to remove it.  Those are requests (signals) for the controller: the plot itself only draws what
the document says.  Pan and zoom are pyqtgraph's own (a drag on empty space pans; it never adds).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal, Slot
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from workbench.fitting.stats import bands as stat_bands
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.colours import VALIDATION_COLOUR, snapshot_label, snapshot_pen
from workbench.qt.style.look import current_look, look_manager
from workbench.qt.style.number_style import app_numbers
from workbench.qt.style.plot_look import FIXED_ATTR
from workbench.qt.views.date_axis import NumberAxis, XAxis, label_axes
from workbench.qt.views.redraw import cache_axes
from workbench.qt.views.x_order import XOrder

CURVE_SAMPLES = 600
POINT_BRUSH = pg.mkBrush(40, 110, 220, 220)
SELECTED_BRUSH = pg.mkBrush(255, 150, 0, 255)
POINT_PEN = pg.mkPen("w", width=1)
HELD_OUT_BRUSH = pg.mkBrush(255, 255, 255, 0)  # held-out (validation) points are hollow …
HELD_OUT_PEN = pg.mkPen(*VALIDATION_COLOUR, width=2)  # … rings in the validation curve's colour
BAND_LEVEL = 0.95
LARGE_N = 5_000  # above this many points they are drawn as downsampled clouds (_draw_cloud)
# Above this many points the per-point shapes (residual segments, pulls, squares) are not drawn: tens of
# thousands of overlapping strokes cost a frame each and show nothing a single one would not (the
# residual plot shows every residual); the legend says what is hidden.
PER_POINT_MAX = LARGE_N


class _PointsItem(pg.ScatterPlotItem):
    """Data points that can be dragged, selected and removed; clicks elsewhere fall through."""

    def __init__(self, plot: FitPlot):
        super().__init__(size=10, pen=pg.mkPen("w", width=1), brush=POINT_BRUSH, hoverable=True, hoverSize=14, tip=None)
        self._plot = plot
        self._drag_index: int | None = None
        self._drag_id = None
        self._drag_offset = QPointF(0, 0)

    def _point_index_at(self, pos) -> int | None:
        points = self.pointsAt(pos)
        return int(points[0].index()) if len(points) else None

    def mouseClickEvent(self, ev):  # noqa: N802 - Qt API
        index = self._point_index_at(ev.pos())
        if index is None:
            ev.ignore()
            return
        ev.accept()
        if ev.button() == Qt.MouseButton.RightButton:
            self._plot.pointRemoveRequested.emit(index)
        elif ev.button() == Qt.MouseButton.LeftButton:
            self._plot.select_point(index)

    def mouseDragEvent(self, ev):  # noqa: N802 - Qt API
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            index = self._point_index_at(ev.buttonDownPos())
            if index is None:
                ev.ignore()  # not on a point: let the view pan
                return
            self._drag_index = index
            self._drag_id = next(self._plot.drag_ids)
            data = self._plot.document.dataset
            self._drag_offset = QPointF(data.x[index], data.y[index]) - ev.buttonDownPos()
            self._plot.select_point(index)
        elif self._drag_index is None:
            ev.ignore()
            return
        ev.accept()
        target = ev.pos() + self._drag_offset
        self._plot.pointMoveRequested.emit(self._drag_index, target.x(), target.y(), self._drag_id)
        if ev.isFinish():
            self._drag_index = None


@dataclass(frozen=True)
class _Points:
    """Some of the data's points (the training points), shaped like a Dataset for the drawing helpers."""

    x: np.ndarray
    y: np.ndarray
    n: int


class _FitViewBox(pg.ViewBox):
    """A ViewBox whose plain left click on empty space requests a new point there."""

    def __init__(self, plot: FitPlot):
        super().__init__()
        self._plot = plot

    def mouseClickEvent(self, ev):  # noqa: N802 - Qt API
        if ev.button() == Qt.MouseButton.LeftButton and ev.modifiers() == Qt.KeyboardModifier.NoModifier:
            ev.accept()
            pos = self.mapToView(ev.pos())
            self._plot.pointAddRequested.emit(pos.x(), pos.y())
            return
        super().mouseClickEvent(ev)


class FitPlot(pg.PlotWidget):
    """Data, current curve, residuals, and the manual / GD / exact ghost curves."""

    pointAddRequested = Signal(float, float)
    pointMoveRequested = Signal(int, float, float, object)  # index, x, y, drag id (one undo step per drag)
    pointRemoveRequested = Signal(int)
    pointSelected = Signal(int)

    def __init__(self, document: FitDocument, parent=None):
        self.drag_ids = itertools.count(1)
        self.document = document
        super().__init__(parent, viewBox=_FitViewBox(self), axisItems={"bottom": XAxis(), "left": NumberAxis("left")})
        self.setObjectName("fitPlot")
        self.setToolTip(
            "Click to add a point · drag a point to move it · right-click or Delete removes it\n"
            "Drag empty space to pan · wheel to zoom"
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.selected: int | None = None
        self._legend_items: list = []
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.25)
        self._axis_labels: tuple | None = None
        self._label_axes()
        cache_axes(item)  # the grid is the axes': without a cache every curve update repaints it
        item.setMenuEnabled(True)
        self.legend = item.addLegend(offset=(10, 10))
        # Created once; afterwards only setData.
        # A 1-pixel pen: Qt draws those with its fast line rasteriser; at width 1.5 the same 10⁴ segments
        # took 20-60× longer (tests/benchmarks/bench_gui.py, issue 6).
        self.residuals = pg.PlotDataItem(
            pen=pg.mkPen(220, 60, 60, 170, width=1), connect="pairs", name="residuals", antialias=False
        )  # vertical: nothing to smooth
        self.exact_curve = pg.PlotDataItem(
            pen=pg.mkPen(40, 170, 80, width=2.5, style=Qt.PenStyle.DashLine), name="exact optimum"
        )
        self.manual_curve = pg.PlotDataItem(
            pen=pg.mkPen(230, 140, 20, width=2, style=Qt.PenStyle.DashDotLine), name="my best manual fit"
        )
        self.gd_curve = pg.PlotDataItem(
            pen=pg.mkPen(150, 80, 200, width=2, style=Qt.PenStyle.DotLine), name="gradient-descent fit"
        )
        self.curve = pg.PlotDataItem(pen=pg.mkPen(20, 60, 160, width=3), name="current curve")
        # Per-point forces −∂L/∂ŷ_i (arrows from the curve towards each point) and residual squares.
        self.show_forces = False
        self.show_squares = False
        self.force_shafts = pg.PlotDataItem(
            pen=pg.mkPen(230, 120, 0, width=2.5), connect="pairs", name="pull on the curve (−∂L/∂ŷ)"
        )
        self.force_heads = pg.ScatterPlotItem(size=11, pen=None, brush=pg.mkBrush(230, 120, 0))
        # Named in the legend (it draws no sample) when there are too many points for per-point shapes.
        self.per_point_note = pg.PlotDataItem(
            pen=None,
            name=f"residual segments, pulls and squares: not drawn above {app_numbers().count(PER_POINT_MAX)} points",
        )
        self.squares = QGraphicsPathItem()
        self.squares.setPen(pg.mkPen(220, 60, 60, 160, width=1))
        self.squares.setBrush(pg.mkBrush(220, 60, 60, 45))
        # 95% confidence (filled) and prediction (dashed) bands of the exact least-squares fit.
        self.show_bands = False
        self.conf_lo = pg.PlotDataItem(pen=pg.mkPen(40, 170, 80, 90, width=1))
        self.conf_hi = pg.PlotDataItem(pen=pg.mkPen(40, 170, 80, 90, width=1), name=f"{BAND_LEVEL:.0%} confidence band")
        self.conf_fill = pg.FillBetweenItem(self.conf_lo, self.conf_hi, brush=pg.mkBrush(40, 170, 80, 45))
        band_pen = pg.mkPen(40, 170, 80, 200, width=1.5, style=Qt.PenStyle.DashLine)
        self.pred_lo = pg.PlotDataItem(pen=band_pen)
        self.pred_hi = pg.PlotDataItem(pen=band_pen, name=f"{BAND_LEVEL:.0%} prediction band")
        for it in (self.conf_fill, self.conf_lo, self.conf_hi, self.pred_lo, self.pred_hi):
            self.addItem(it)
            it.setZValue(0.5)
        self.points = _PointsItem(self)
        self._make_cloud_items()
        # No clip-to-view: the curves are already sampled over the visible range, and clipping assumes
        # sorted x, which the residual segments (points in the user's order) are not.
        for it in (self.residuals, self.exact_curve, self.manual_curve, self.gd_curve, self.curve):
            self.addItem(it)
        for it in (self.squares, self.force_shafts, self.force_heads):
            self.addItem(it)
        self.squares.setZValue(1)
        self.force_shafts.setZValue(6)
        self.force_heads.setZValue(7)
        self.addItem(self.points)
        self.points.setZValue(10)
        self.curve.setZValue(5)
        item.getViewBox().sigXRangeChanged.connect(self._on_view_x_range_changed)
        document.dataChanged.connect(self._on_data_changed)
        document.dataChanged.connect(self._draw_bands)
        document.knobsChanged.connect(self._redraw_fit)
        document.modelChanged.connect(self._redraw_overlays)
        document.splitChanged.connect(self._draw_points)
        document.overlaysChanged.connect(self._redraw_overlays)
        document.trailChanged.connect(self._redraw_overlays)
        self.snapshot_curves: dict[str, pg.PlotDataItem] = {}  # one per snapshot name, created once
        document.snapshotsChanged.connect(self._redraw_snapshots)
        document.factsChanged.connect(self._redraw_overlays)  # big data: the optimum and report arrive later
        item.getViewBox().sigXRangeChanged.connect(self._redraw_snapshots)
        self._point_brush = POINT_BRUSH
        look_manager().changed.connect(self.apply_look)
        self.apply_look()  # (draws the points)
        self.reframe()
        self._redraw_fit()
        self._redraw_overlays()

    @Slot()
    def apply_look(self) -> None:
        """Colours from the look's palette; line widths and marker sizes from its scale (presentation mode).

        Every ghost curve keeps a line style of its own (dashed, dash-dotted, dotted), so it is told apart
        by shape as well as by colour.
        """
        look = current_look()

        def pen(role: str, width: float, alpha: int = 255, style=Qt.PenStyle.SolidLine):
            return pg.mkPen(*getattr(look.palette, role), alpha, width=look.line(width), style=style)

        self.residuals.setPen(pen("residual", 1, 170))
        self.exact_curve.setPen(pen("exact", 2.5, style=Qt.PenStyle.DashLine))
        self.manual_curve.setPen(pen("manual", 2, style=Qt.PenStyle.DashDotLine))
        self.gd_curve.setPen(pen("gd", 2, style=Qt.PenStyle.DotLine))
        self.curve.setPen(pen("curve", 3))
        self.force_shafts.setPen(pen("pull", 2.5))
        self.force_heads.setBrush(pg.mkBrush(*look.palette.pull))
        self.force_heads.setSize(look.marker(11))
        self.squares.setPen(pen("residual", 1, 160))
        self.squares.setBrush(pg.mkBrush(*look.palette.residual, 45))
        self._point_brush = pg.mkBrush(*look.palette.points, 220)
        self.points.setSize(look.marker(10))
        self.selected_marker.setSize(look.marker(11))
        lines = (self.residuals, self.exact_curve, self.manual_curve, self.gd_curve, self.curve, self.force_shafts)
        for item in (*lines, self.force_heads, self.points, self.selected_marker):
            setattr(item, FIXED_ATTR, True)  # (the generic restyle of plot_look.py leaves them be)
        self._draw_points()

    # -- view ---------------------------------------------------------------------------------------
    def reframe(self) -> None:
        """Fit the view to the data (on open), then keep it still while points are added."""
        data = self.document.dataset
        vb = self.getPlotItem().getViewBox()
        if data.n == 0:
            vb.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0.05)
        else:
            x0, x1 = float(np.min(data.x)), float(np.max(data.x))
            y0, y1 = float(np.min(data.y)), float(np.max(data.y))
            dx = (x1 - x0) or max(abs(x0), 1.0)
            dy = (y1 - y0) or max(abs(y0), 1.0)
            vb.setRange(xRange=(x0 - 0.08 * dx, x1 + 0.08 * dx), yRange=(y0 - 0.15 * dy, y1 + 0.15 * dy), padding=0)
        vb.disableAutoRange()

    def visible_x(self) -> np.ndarray:
        """Sample positions across the visible x range (the curve is drawn where the user looks)."""
        (x0, x1), _ = self.getPlotItem().getViewBox().viewRange()
        return np.linspace(x0, x1, CURVE_SAMPLES)

    def select_point(self, index: int | None) -> None:
        """Highlight a point (from a click here or a row chosen in the table)."""
        if index is not None and not 0 <= index < self.document.dataset.n:
            index = None
        self.selected = index
        self._draw_points()
        if index is not None:
            self.pointSelected.emit(index)

    def keyPressEvent(self, ev):  # noqa: N802 - Qt API
        if ev.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selected is not None:
            self.pointRemoveRequested.emit(self.selected)
            ev.accept()
            return
        super().keyPressEvent(ev)

    # -- drawing ------------------------------------------------------------------------------------
    def _label_axes(self) -> None:
        """The axes named after the data's columns, with dates on x when x holds dates."""
        data = self.document.dataset
        labels = (data.x_name, data.y_name, data.x_is_date)
        if labels != self._axis_labels:
            self._axis_labels = labels
            label_axes(self.getPlotItem(), data)

    @Slot()
    def _on_data_changed(self) -> None:
        self._label_axes()
        if self.selected is not None and self.selected >= self.document.dataset.n:
            self.selected = None
        self._draw_points()

    def _draw_points(self) -> None:
        data = self.document.dataset
        if self._draw_cloud(data):
            return
        brushes, pens = self._point_brush, POINT_PEN
        split = self.document.state.split_indices()
        held_out = split[1] if split is not None and split[1].size else None
        if held_out is not None or (self.selected is not None and self.selected < data.n):
            brushes = np.full(data.n, self._point_brush, dtype=object)
            if held_out is not None:
                brushes[held_out] = HELD_OUT_BRUSH
                pens = np.full(data.n, POINT_PEN, dtype=object)
                pens[held_out] = HELD_OUT_PEN
            if self.selected is not None and self.selected < data.n:
                brushes[self.selected] = SELECTED_BRUSH
        self.points.setData(x=np.asarray(data.x), y=np.asarray(data.y), brush=brushes, pen=pens)

    def _make_cloud_items(self) -> None:
        """The large-N stand-ins for ``points``: training and held-out clouds and a selection marker.

        Disabled items: they draw, but never take a click, so a click anywhere still adds a point.
        """
        self.cloud = pg.PlotDataItem(pen=None, symbol="o", symbolSize=5, symbolPen=None, symbolBrush=POINT_BRUSH)
        self.held_out_cloud = pg.PlotDataItem(
            pen=None, symbol="o", symbolSize=6, symbolPen=HELD_OUT_PEN, symbolBrush=HELD_OUT_BRUSH
        )
        self.selected_marker = pg.ScatterPlotItem(size=11, pen=POINT_PEN, brush=SELECTED_BRUSH)
        for z, item in enumerate((self.cloud, self.held_out_cloud, self.selected_marker)):
            item.setEnabled(False)
            item.setZValue(9 + 0.1 * z)
            self.addItem(item)
        for item in (self.cloud, self.held_out_cloud):
            # After addItem, which applies the plot menu's own (off) settings.  Not 'peak': it keeps only
            # each bin's min and max, which draws a noisy band as two hollow edges (two false curves);
            # every ds-th point keeps the cloud's shape and density, and zoomed in every point shows.
            item.setDownsampling(auto=True, method="subsample")
            item.setClipToView(True)
            # Kept as a pixmap: a knob turn repaints the whole view (the curve spans it), and thousands
            # of symbols cost pyqtgraph ~1 ms of Python per paint; the cloud itself changes seldom.
            item.scatter.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._cloud_key: tuple | None = None
        self._cloud_orders = (XOrder(), XOrder())  # the x order of each cloud's points (clip-to-view needs it)

    def _draw_cloud(self, data) -> bool:
        """Above ``LARGE_N`` points, draw them as clouds instead of one interactive symbol each.

        Sorted by x (clip-to-view needs it), downsampled to the pixels and clipped to the view, 10⁶
        points pan and zoom fluidly.  Points are then not dragged or right-clicked on the plot (the table
        still edits them); clicks add points as always.  Returns whether the points are drawn as clouds.
        """
        large = data.n > LARGE_N
        split = self.document.state.split if large else None
        old = self._cloud_key
        if (old is None or old[0] is not data or old[1] != split) if large else old is not None:
            self._cloud_key = (data, split) if large else None
            held_out = self.document.state.split_indices()[1] if split is not None else np.empty(0, np.intp)
            train = np.setdiff1d(np.arange(data.n), held_out, assume_unique=True) if held_out.size else None
            for item, idx, x_order in zip((self.cloud, self.held_out_cloud), (train, held_out), self._cloud_orders):
                if not large or (idx is not None and not idx.size):
                    item.setData([], [])
                    x_order.forget()
                    continue
                x, y = (data.x, data.y) if idx is None else (data.x[idx], data.y[idx])
                order, x = x_order.of(x)  # a point added or moved: the last order, updated (no sort)
                if order is not None:
                    y = y[order]
                item.setData(x, y)
            if large:
                self.points.setData(x=[], y=[])
        selected = self.selected if large and self.selected is not None and self.selected < data.n else None
        if selected is None:
            if self.selected_marker.isVisible():  # empty and hidden: not painted on every redraw
                self.selected_marker.setData([], [])
                self.selected_marker.setVisible(False)
        else:
            self.selected_marker.setData([data.x[selected]], [data.y[selected]])
            self.selected_marker.setVisible(True)
        return large

    def set_show_forces(self, show: bool) -> None:
        """Show each point's pull on the curve: an arrow from the curve towards it, length ∝ |∂L/∂ŷ_i|."""
        self.show_forces = bool(show)
        self._redraw_fit()

    def set_show_squares(self, show: bool) -> None:
        """Show each residual as a square of side |y_i − ŷ_i|: the areas the squared-error loss adds up."""
        self.show_squares = bool(show)
        self._redraw_fit()

    def force_vectors(self) -> np.ndarray:
        """−∂L/∂ŷ_i for every training point (every point without a split), from the engine (what the
        arrows show, before scaling)."""
        doc = self.document
        return doc.problem.point_forces(doc.state.theta) if doc.dataset.n else np.empty(0)

    @Slot()
    def _redraw_fit(self) -> None:
        """The current curve and, up to ``PER_POINT_MAX`` points, each point's residual, pull and square."""
        self._draw_curve()
        self._draw_per_point()
        self._sync_legend()

    def _draw_curve(self) -> None:
        xs = self.visible_x()
        self.curve.setData(xs, self.document.curve(xs))

    def per_point_hidden(self) -> bool:
        """True when there are too many points to draw each one's residual segment, pull and square."""
        return self.document.dataset.n > PER_POINT_MAX

    def _draw_per_point(self) -> None:
        data = self.document.dataset
        if data.n and not self.per_point_hidden():
            fitted = self.document.fitted()
            self.residuals.setData(np.repeat(data.x, 2), np.column_stack([data.y, fitted]).ravel())
        else:
            data, fitted = _Points(np.empty(0), np.empty(0), 0), np.empty(0)
            self.residuals.setData([], [])
        split = self.document.state.split_indices()
        if split is not None and data.n:  # held-out points are not in the loss: no pull, no square
            data, fitted = _Points(data.x[split[0]], data.y[split[0]], split[0].size), fitted[split[0]]
        self._draw_forces(data, fitted)
        self._draw_squares(data, fitted)

    def _draw_forces(self, data, fitted) -> None:
        forces = self.force_vectors() if self.show_forces and data.n else np.empty(0)
        steepest = float(np.max(np.abs(forces))) if forces.size else 0.0
        if steepest <= 0 or not np.isfinite(steepest):
            if self.force_heads.isVisible():  # cleared once, then hidden: no work on every knob turn
                self.force_shafts.setData([], [])
                self.force_heads.setData([], [])
                self.force_heads.setVisible(False)
            return
        _, (y0, y1) = self.getPlotItem().getViewBox().viewRange()
        tips = fitted + forces / steepest * 0.2 * (y1 - y0)  # the strongest pull: a fifth of the view
        self.force_shafts.setData(np.repeat(data.x, 2), np.column_stack([fitted, tips]).ravel())
        symbols = np.where(forces >= 0, "t1", "t")  # triangles pointing up or down
        self.force_heads.setData(x=np.asarray(data.x), y=tips, symbol=list(symbols))
        self.force_heads.setVisible(True)

    def _draw_squares(self, data, fitted) -> None:
        if not (self.show_squares and data.n):
            self.squares.setPath(QPainterPath())
            return
        x, y = np.asarray(data.x), np.asarray(data.y)
        side = np.abs(fitted - y)
        low, high, right = np.minimum(y, fitted), np.minimum(y, fitted) + side, x + side
        # One path built from arrays: each square a run of five corners (back to the first), the last
        # corner not joined to the next square.
        xs = np.column_stack([x, right, right, x, x]).ravel()
        ys = np.column_stack([low, low, high, high, low]).ravel()
        joined = np.ones(xs.size, dtype=np.int32)
        joined[4::5] = 0
        self.squares.setPath(pg.arrayToQPath(xs, ys, connect=joined))

    @Slot()
    def _redraw_overlays(self) -> None:
        doc = self.document
        xs = self.visible_x()
        exact = doc.landmark if doc.show_exact else None
        if exact is not None:
            self.exact_curve.setData(xs, exact.evaluate(xs))
        else:
            self.exact_curve.setData([], [])
        manual = doc.best_manual if doc.show_manual else None
        if manual is not None and manual[1].size == doc.state.theta.size:
            self.manual_curve.setData(xs, doc.curve(xs, manual[1]))
        else:
            self.manual_curve.setData([], [])
        run = doc.last_run if doc.show_gd else None
        if run is not None and run.result.params.size == doc.state.theta.size:
            self.gd_curve.setData(xs, doc.curve(xs, run.result.params))
        else:
            self.gd_curve.setData([], [])
        self._draw_bands()
        self._sync_legend()

    def set_show_bands(self, show: bool) -> None:
        """Show the 95% confidence band (filled) and prediction band (dashed) of the least-squares fit."""
        self.show_bands = bool(show)
        self._draw_bands()
        self._sync_legend()

    def band_report(self):
        """The exact least-squares ``FitReport`` the bands come from: the document's (None for the net, without
        data, or while big data's is being computed)."""
        doc = self.document
        if doc.state.model != "polynomial" or doc.dataset.n == 0:
            return None
        try:
            return doc.report
        except ValueError:
            return None

    @Slot()
    def _draw_bands(self) -> None:
        items = (self.conf_lo, self.conf_hi, self.pred_lo, self.pred_hi)
        report = self.band_report() if self.show_bands else None
        if report is not None:
            xs = self.visible_x()
            _, c_lo, c_hi, p_lo, p_hi = stat_bands(report, xs, BAND_LEVEL)
            if all(np.all(np.isfinite(a)) for a in (c_lo, c_hi, p_lo, p_hi)):
                for item, ys in zip(items, (c_lo, c_hi, p_lo, p_hi)):
                    item.setData(xs, ys)
                return
        for item in items:
            item.setData([], [])

    @Slot()
    def _redraw_snapshots(self, *_) -> None:
        """Each snapshot as a dashed curve in its own colour, its name and loss in the legend."""
        doc = self.document
        xs = self.visible_x()
        for name, (loss, theta) in doc.snapshots.items():
            curve = self.snapshot_curves.get(name)
            if curve is None:
                curve = self.snapshot_curves[name] = pg.PlotDataItem(pen=snapshot_pen(name, len(self.snapshot_curves)))
                curve.setZValue(4)  # under the current curve, over the bands
                self.addItem(curve)
            if theta.size == doc.state.theta.size:
                with np.errstate(all="ignore"):  # a wild snapshot far outside the data: drawn where finite
                    ys = doc.curve(xs, theta)
                curve.setData(xs, ys, name=snapshot_label(name, loss))
            else:
                curve.setData([], [])
        for name, curve in self.snapshot_curves.items():
            if name not in doc.snapshots:
                curve.setData([], [])
        self._sync_legend()
        for curve in self.snapshot_curves.values():  # a new loss keeps the legend's entries: relabel them
            label = self.legend.getLabel(curve)
            if label is not None and label.text != curve.name():
                label.setText(curve.name())

    def _sync_legend(self) -> None:
        """List only the curves that are drawn (hidden ghost curves would only confuse)."""
        shown = []
        for item in (
            self.curve,
            self.residuals,
            self.exact_curve,
            self.manual_curve,
            self.gd_curve,
            *self.snapshot_curves.values(),
            self.force_shafts,
            self.conf_hi,
            self.pred_hi,
        ):
            x, _ = item.getData()
            if x is not None and len(x):
                shown.append(item)
        if self.per_point_hidden():
            shown.append(self.per_point_note)
        # The landmark of a formula is its Levenberg–Marquardt fit, not an exact optimum.
        landmark = "Levenberg–Marquardt fit" if self.document.state.model == "formula" else "exact optimum"
        self.exact_curve.opts["name"] = landmark
        entries = [(item, item.name()) for item in shown]
        if entries == self._legend_items:
            return  # rebuilding a legend re-lays it out: not on every knob move
        self._legend_items = entries
        self.legend.clear()
        for item, name in entries:
            self.legend.addItem(item, name)

    @Slot()
    def _on_view_x_range_changed(self, *_):
        # Panning changes where the curves are sampled, not the fitted values at the points; only the
        # pulls depend on the view (their length is a share of its height).
        self._draw_curve()
        if self.show_forces and not self.per_point_hidden():
            self._draw_per_point()
        self._redraw_overlays()

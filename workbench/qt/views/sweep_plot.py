"""The learning-rate sweep plot: where each short run ended against its rate, on log-log axes.

Stable runs are blue dots joined by a line; runs that blew up are red triangles (drawn at their last
loss, at most ``CEILING`` times the starting loss, which is the dotted line).  Vertical lines mark
2/λ_max, the cliff the sweep found and the current learning rate.  Items are created once and only
moved or refilled afterwards.  Clicking a point emits its rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot

from workbench.fitting.sweep import SweepPoint, cliff_of

STABLE_COLOUR = (20, 90, 200)
DIVERGED_COLOUR = (210, 40, 40)
LIMIT_COLOUR = (30, 150, 70)
LR_COLOUR = (120, 120, 120)
STALE_OPACITY = 0.3
CEILING = 100.0  # diverged runs are drawn at most this many times their starting loss
X_PADDING = 0.03


def place(line: pg.InfiniteLine, value: float | None) -> None:
    """Put a line at ``value`` on a log axis (x for vertical lines, y for horizontal), or hide it."""
    if value is None or not (math.isfinite(value) and value > 0):
        line.setVisible(False)
        return
    line.setPos(math.log10(value))
    line.setVisible(True)


class SweepPlot(pg.PlotWidget):
    """Final loss against learning rate, with the 2/λ_max line, the cliff and the current rate."""

    rateClicked = Signal(float)  # the learning rate of a clicked point

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sweepPlot")
        item = self.getPlotItem()
        item.setLogMode(x=True, y=True)
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setLabel("bottom", "learning rate")
        item.setLabel("left", "final loss")
        for axis in ("bottom", "left"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.getViewBox().setMouseEnabled(x=False, y=False)
        self.setMinimumHeight(110)
        self.setToolTip(
            "Each dot: one short run at that learning rate, from the current knobs.\n"
            "Blue: it converged or was still improving; red ▲: the loss blew up (drawn at\n"
            f"most {CEILING:g}× the starting loss, which is the dotted line).\n"
            "Green dashes: 2/λ_max; red dots: the cliff the sweep found; grey: your rate.\n"
            "Click a point to use its learning rate."
        )
        self.stable_item = pg.PlotDataItem(
            pen=pg.mkPen(*STABLE_COLOUR, width=1.5),
            symbol="o",
            symbolSize=6,
            symbolBrush=pg.mkBrush(*STABLE_COLOUR),
            symbolPen=None,
        )
        self.diverged_item = pg.PlotDataItem(
            pen=None, symbol="t1", symbolSize=8, symbolBrush=pg.mkBrush(*DIVERGED_COLOUR), symbolPen=None
        )
        for data_item in (self.stable_item, self.diverged_item):
            item.addItem(data_item)
            data_item.sigPointsClicked.connect(self._on_points_clicked)
        self.limit_line = pg.InfiniteLine(
            angle=90,
            pen=pg.mkPen(*LIMIT_COLOUR, width=2, style=Qt.PenStyle.DashLine),
            label="2/λ_max",
            labelOpts={"position": 0.92, "color": LIMIT_COLOUR, "anchors": [(1, 0), (1, 0)]},
        )
        self.cliff_line = pg.InfiniteLine(
            angle=90,
            pen=pg.mkPen(*DIVERGED_COLOUR, width=1.5, style=Qt.PenStyle.DotLine),
            label="cliff",
            labelOpts={"position": 0.75, "color": DIVERGED_COLOUR, "anchors": [(0, 0), (0, 0)]},
        )
        self.lr_line = pg.InfiniteLine(
            angle=90,
            pen=pg.mkPen(*LR_COLOUR, width=1),
            label="your rate",
            labelOpts={"position": 0.08, "color": LR_COLOUR, "anchors": [(0, 1), (0, 1)]},
        )
        self.start_line = pg.InfiniteLine(
            angle=0,
            pen=pg.mkPen(*LR_COLOUR, width=1, style=Qt.PenStyle.DotLine),
            label="start",
            labelOpts={"position": 0.03, "color": LR_COLOUR, "anchors": [(0, 1), (0, 1)]},
        )
        for line in (self.limit_line, self.cliff_line, self.lr_line, self.start_line):
            item.addItem(line, ignoreBounds=True)  # lines never stretch the axes
            line.setVisible(False)

    def show_points(self, points: Sequence[SweepPoint], stale: bool = False) -> None:
        """Draw the runs (greyed when ``stale``: they belong to other data, model or optimiser)."""
        start = max((p.start_loss for p in points if math.isfinite(p.start_loss)), default=1.0)
        reference = start if start > 0 else 1.0
        floor = reference * 1e-15  # a perfect fit (loss 0) has no place on a log axis
        stable = [p for p in points if not p.diverged]
        diverged = [p for p in points if p.diverged]
        self.stable_item.setData(
            [p.rate for p in stable], [max(p.loss, floor) for p in stable], data=[p.rate for p in stable]
        )
        ceiling = CEILING * reference
        heights = [min(p.last_loss, ceiling) if math.isfinite(p.last_loss) else ceiling for p in diverged]
        self.diverged_item.setData(
            [p.rate for p in diverged], [max(h, floor) for h in heights], data=[p.rate for p in diverged]
        )
        opacity = STALE_OPACITY if stale else 1.0
        for item in (self.stable_item, self.diverged_item, self.cliff_line):
            item.setOpacity(opacity)
        place(self.cliff_line, cliff_of(points) if points else None)
        place(self.start_line, reference if points and not stale else None)
        self.getPlotItem().enableAutoRange(axis="y")

    def show_lines(self, span: tuple[float, float] | None, limit: float | None, lr: float) -> None:
        """Show rates ``span`` (lo, hi), the 2/λ_max line (None: no limit) and the current rate."""
        if span is not None:
            self.getPlotItem().setXRange(math.log10(span[0]), math.log10(span[1]), padding=X_PADDING)
        place(self.limit_line, limit)
        on_chart = span is not None and span[0] <= lr <= span[1]
        place(self.lr_line, lr if on_chart else None)

    @Slot(object, object, object)
    def _on_points_clicked(self, _item, points, _event) -> None:
        if len(points) and points[0].data() is not None:
            self.rateClicked.emit(float(points[0].data()))

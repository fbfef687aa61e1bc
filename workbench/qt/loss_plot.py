"""The loss-history plot: loss against step on a log scale, one curve per run, drawn live."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot

from .document import FitDocument

RUN_COLORS = [(20, 60, 160), (150, 80, 200), (30, 150, 70), (200, 110, 20), (200, 50, 60)]
MAX_RUNS_SHOWN = 5
TINY = 1e-300  # log scale: a loss of exactly 0 is drawn at the bottom, not dropped


class LossHistoryPlot(pg.PlotWidget):
    """Loss per step of the recent gradient-descent runs (newest bold), plus the exact optimum's loss."""

    def __init__(self, document: FitDocument, parent=None):
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.document = document
        item = self.getPlotItem()
        item.setLogMode(x=False, y=True)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss (log scale)")
        item.getAxis("left").enableAutoSIPrefix(False)
        self.setToolTip("Loss after each gradient-descent step; the dashed line is the exact optimum")
        self.curves = []
        self._newest_size = 0
        for i in range(MAX_RUNS_SHOWN):
            curve = pg.PlotDataItem(pen=pg.mkPen(*RUN_COLORS[i % len(RUN_COLORS)], width=1.5), antialias=False)
            # Peak downsampling keeps long histories cheap to draw.  No clip-to-view: it would feed the
            # autorange only the part already visible, and a growing run would never come into view.
            curve.setDownsampling(auto=True, method="peak")
            self.addItem(curve)
            self.curves.append(curve)
        self.optimum_line = pg.InfiniteLine(angle=0, movable=False,
                                            pen=pg.mkPen(40, 170, 80, width=1.5, style=Qt.PenStyle.DashLine))
        self.addItem(self.optimum_line)
        document.trailChanged.connect(self.redraw)
        document.stateChanged.connect(self._redraw_optimum)
        self.redraw()

    @Slot()
    def redraw(self) -> None:
        """Draw the last few runs' histories (the newest last and widest)."""
        histories = self.document.loss_history[-MAX_RUNS_SHOWN:]
        newest = histories[-1].size if histories else 0
        if newest and newest != self._newest_size:
            # Follow the newest run (older, longer runs are context and may run off the right edge).
            self.getPlotItem().setXRange(0, max(newest, 10), padding=0.02)
        self._newest_size = newest
        for i, curve in enumerate(self.curves):
            if i < len(histories) and histories[i].size:
                losses = np.maximum(histories[i], TINY)
                newest = i == len(histories) - 1
                color = RUN_COLORS[i % len(RUN_COLORS)]
                curve.setPen(pg.mkPen(color=(*color, 255 if newest else 110), width=2.5 if newest else 1))
                curve.setData(np.arange(1, losses.size + 1), losses)
            else:
                curve.setData([], [])
        self._redraw_optimum()

    @Slot()
    def _redraw_optimum(self) -> None:
        exact = self.document.exact if self.document.dataset.n else None
        if exact is not None and exact.loss > 0 and np.isfinite(exact.loss):
            self.optimum_line.setValue(np.log10(exact.loss))
            self.optimum_line.show()
        else:
            self.optimum_line.hide()

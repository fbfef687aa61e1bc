"""The loss-history plot: loss against step on a log scale, one curve per run, drawn live.

The runs are those of the current problem (data, model, loss): new data or a new model starts a clean
history, with a note saying so, and undo brings the earlier runs back.  A diverging run is drawn up to a
ceiling above its starting loss, so one blow-up never squeezes every other curve into the axis's floor.
A mini-batch run's loss on each step's batch is drawn faintly behind its loss on all points.

The optimiser race adds one curve per contender, in the race colours shared with the loss surface and
the scoreboard.  With a train/validation split the newest run's validation loss is a second, dashed
curve (the held-out points' colour), with a star at its lowest point ("best validation: step N"): where
it turns up while the training loss still falls, the fit has started to over-fit.  A compact legend
names them (``plot_legend``: a line or two in the top right corner, where falling losses seldom are, on
a see-through background); the plot's menu hides it ("Show legend").
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QTextOption
from PySide6.QtWidgets import QGraphicsItem

from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.colours import RACE_COLOURS, VALIDATION_COLOUR
from workbench.qt.style.look import current_look, look_manager
from workbench.qt.style.number_style import app_numbers
from workbench.qt.style.plot_look import FIXED_ATTR
from workbench.qt.views.date_axis import NumberAxis
from workbench.qt.views.plot_legend import CompactLegend, LegendEntry
from workbench.state.race import RaceView

RUN_COLORS = [(20, 60, 160), (150, 80, 200), (30, 150, 70), (200, 110, 20), (200, 50, 60)]
MAX_RUNS_SHOWN = 5
TINY = 1e-300  # log scale: a loss of exactly 0 is drawn at the bottom, not dropped
RACE_CEILING = 100.0  # a diverging race contender is drawn at most this many times the starting loss
MANUAL_SYMBOLS_UP_TO = 150  # the manual entry's moves get dots while there are few of them
NOTE_MARGIN, NOTE_MIN_WIDTH = 12, 80  # px: the empty note's margin either side, and its narrowest wrap


class _DecadeViewBox(pg.ViewBox):
    """Auto-ranges the (log₁₀) loss axis over whole half-decades.

    A run lowers its loss at every payload; an auto-range that followed it exactly would change the
    range ~30 times a second, and each change re-renders the axis and its grid and paints the plot a
    second time.  Snapped, the range changes only when the losses cross a half-decade.
    """

    def childrenBounds(self, *args, **kwargs):  # noqa: N802 - pyqtgraph API
        bounds = super().childrenBounds(*args, **kwargs)
        y = bounds[1]
        if y is not None and np.all(np.isfinite(y)):
            bounds[1] = [math.floor(2 * y[0]) / 2, math.ceil(2 * y[1]) / 2]
        return bounds


class LossHistoryPlot(pg.PlotWidget):
    """Loss per step of the recent gradient-descent runs (newest bold), plus the exact optimum's loss."""

    def __init__(self, document: FitDocument, parent=None):
        super().__init__(parent, viewBox=_DecadeViewBox(), axisItems={"bottom": NumberAxis("bottom")})
        self.setObjectName("lossPlot")
        self.document = document
        item = self.getPlotItem()
        item.setLogMode(x=False, y=True)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss (log scale)")
        item.getAxis("left").enableAutoSIPrefix(False)
        self.setToolTip(
            "Loss after each gradient-descent step (and each race contender's, in its colour); "
            "the dashed line is the exact optimum"
        )
        # Peak downsampling keeps long histories cheap to draw.  Set on the plot item: it hands its own
        # mode to every curve it is given (a curve's own setting would be overwritten by addItem).  No
        # clip-to-view: it would feed the autorange only the part already visible, and a growing run
        # would never come into view.
        item.setDownsampling(auto=True, mode="peak")
        # The grid belongs to the axes, so every curve update repaints them, minor grid lines and all:
        # cached as pixmaps they are redrawn only when their ticks change.
        for name in ("left", "bottom"):
            item.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.curves = []
        self._drawn: list[tuple | None] = [None] * MAX_RUNS_SHOWN  # (history array, newest?) per curve
        self._newest_size = 0
        self._run_x_end = 0  # the step range last set to follow the newest run
        for i in range(MAX_RUNS_SHOWN):
            curve = pg.PlotDataItem(pen=pg.mkPen(*RUN_COLORS[i % len(RUN_COLORS)], width=1.5), antialias=False)
            setattr(curve, FIXED_ATTR, True)  # its width follows the look in ``redraw``
            self.addItem(curve)
            self.curves.append(curve)
        # The newest mini-batch run's loss on each step's batch: noisy, so faint and behind its curve.
        self.batch_curve = pg.PlotDataItem(
            pen=pg.mkPen(*RUN_COLORS[0], 70, width=1), antialias=False, skipFiniteCheck=True
        )
        self.batch_curve.setZValue(-1)
        self.addItem(self.batch_curve)
        self._batch_drawn: tuple | None = None
        # Said when the current problem has no runs yet (in the view's middle, whatever the ranges).
        self.empty_note = pg.TextItem(anchor=(0.5, 0.5), color=(110, 110, 110))
        self.addItem(self.empty_note, ignoreBounds=True)
        # Wrapped to the plot's width, centred: a narrow dock (or presentation mode's big text) cuts no word.
        self.empty_note.textItem.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignCenter))
        self.getPlotItem().getViewBox().sigRangeChanged.connect(self._place_empty_note)
        self.getPlotItem().getViewBox().sigResized.connect(self._place_empty_note)
        # The newest run's validation loss, and a star at its lowest point (created once, setData after).
        self.val_curve = pg.PlotDataItem(
            pen=pg.mkPen(*VALIDATION_COLOUR, width=2.5, style=Qt.PenStyle.DashLine),
            antialias=False,
            skipFiniteCheck=True,
        )
        self.val_curve.setZValue(3)
        self.best_marker = pg.PlotDataItem(
            pen=None,
            symbol="star",
            symbolSize=16,
            symbolPen=pg.mkPen("w", width=1),
            symbolBrush=pg.mkBrush(*VALIDATION_COLOUR),
        )
        self.best_marker.setZValue(4)
        self.best_label = pg.TextItem(color=VALIDATION_COLOUR, anchor=(0.5, 1.25))
        self.best_label.setZValue(4)
        self.best_step: int | None = None  # the step of the lowest validation loss drawn (None: none)
        self._val_key: tuple | None = None  # what the validation curve shows (see ``_redraw_validation``)
        self._val_rows = None
        for it in (self.val_curve, self.best_marker, self.best_label):
            self.addItem(it)
        self._val_legend: tuple = ()  # (legend key, name) pairs of the validation entries
        self.race_curves: dict[str, pg.PlotDataItem] = {}
        for kind, colour in RACE_COLOURS.items():
            # Five race curves redrawn ~30 times a second: one min/max pair per pixel is plenty.
            curve = pg.PlotDataItem(
                pen=pg.mkPen(*colour, width=2), antialias=False, autoDownsampleFactor=1.0, skipFiniteCheck=True
            )
            curve.setZValue(2)
            if kind == "manual":
                curve.setSymbolBrush(pg.mkBrush(*colour))
                curve.setSymbolPen(None)
                curve.setSymbolSize(5)
            self.addItem(curve)
            self.race_curves[kind] = curve
        # A row of names over the plot's top right corner (a row per entry under the step axis took half
        # of a small plot's height); shown while there is a race or a validation curve to name.
        self.legend = CompactLegend(self.viewport())
        self._legend_names: tuple = ()
        self.legend_action = QAction("Show legend", self, objectName="lossLegendAction", checkable=True, checked=True)
        self.legend_action.setToolTip("Show or hide the legend naming the race's and the validation's curves")
        self.legend_action.toggled.connect(self._on_legend_toggled)
        view = self.getPlotItem().getViewBox()
        view.menu.addAction(self.legend_action)
        view.sigResized.connect(self._place_legend)
        self._race_x_end = 0
        self._steps = np.arange(1, 1025, dtype=np.float64)  # shared x values, grown by doubling
        self.optimum_line = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen(40, 170, 80, width=1.5, style=Qt.PenStyle.DashLine)
        )
        self.addItem(self.optimum_line)
        document.trailChanged.connect(self.redraw)
        look_manager().changed.connect(self._on_look_changed)
        document.stateChanged.connect(self.redraw)  # (cheap when only the knobs moved: nothing is redrawn)
        document.raceChanged.connect(self.redraw_race)
        self.redraw()
        self.redraw_race()

    @Slot()
    def redraw(self) -> None:
        """Draw the last few runs' histories (the newest last and widest)."""
        histories = self.document.loss_history[-MAX_RUNS_SHOWN:]
        newest = histories[-1].size if histories else 0
        if newest:
            # Follow the newest run (older, longer runs are context and may run off the right edge): in
            # round jumps while it grows (a new range re-renders the step axis, not worth doing ~30 times
            # a second), fitted exactly once it has stopped.
            end = max(_round_up(newest) if newest != self._newest_size else newest, 10)
            if end != self._run_x_end:
                self.getPlotItem().setXRange(0, end, padding=0.02)
                self._run_x_end = end
        self._newest_size = newest
        for i, curve in enumerate(self.curves):
            shown = (histories[i], i == len(histories) - 1) if i < len(histories) and histories[i].size else None
            drawn = self._drawn[i]
            if shown is not None and drawn is not None and drawn[0] is shown[0] and drawn[1] == shown[1]:
                continue  # the same history (a knob turn also says the trail changed): nothing to redo
            self._drawn[i] = shown
            if shown is not None:
                losses = ceilinged(histories[i])
                newest = shown[1]
                color = RUN_COLORS[i % len(RUN_COLORS)]
                width = current_look().line(2.5 if newest else 1)
                curve.setPen(pg.mkPen(color=(*color, 255 if newest else 110), width=width))
                if losses.size == 1:  # a single Step: a dot, since a line of one point draws nothing
                    curve.setSymbol("o")
                    curve.setSymbolBrush(pg.mkBrush(*color))
                    curve.setSymbolPen(pg.mkPen(color))
                else:
                    curve.setSymbol(None)
                curve.setData(self._x_values(losses.size), losses)
            elif drawn is not None:
                curve.setData([], [])
        self._redraw_batches(histories)
        self._redraw_validation(len(histories) - 1)
        self._redraw_optimum()
        self._show_empty_note(not histories)

    def _redraw_batches(self, histories) -> None:
        """The newest run's mini-batch losses, if it ran on batches."""
        doc = self.document
        batches = doc.batch_history[-1] if histories and len(doc.batch_history) == len(doc.loss_history) else None
        shown = None if batches is None or not batches.size else (id(batches), batches.size)
        if shown == self._batch_drawn:
            return
        self._batch_drawn = shown
        if shown is None:
            self.batch_curve.setData([], [])
            return
        colour = RUN_COLORS[(len(histories) - 1) % len(RUN_COLORS)]
        self.batch_curve.setPen(pg.mkPen(*colour, 70, width=1))
        self.batch_curve.setData(self._x_values(batches.size), ceilinged(batches))

    def _show_empty_note(self, empty: bool) -> None:
        doc = self.document
        race = doc.race
        empty = empty and (race is None or not race.tracks)
        if empty:
            text = (
                "No gradient-descent runs on this data and model yet"
                + (": the history starts afresh (Undo brings back the earlier runs)" if doc.has_earlier_runs else "")
                + "."
                if doc.dataset.n
                else "Add data points, then run gradient descent."
            )
            if text != self.empty_note.toPlainText():
                self.empty_note.setText(text)
            self._place_empty_note()
        self.empty_note.setVisible(empty)

    def _place_empty_note(self, *_) -> None:
        view_box = self.getPlotItem().getViewBox()
        if view_box.width() > 0:
            self.empty_note.setTextWidth(max(NOTE_MIN_WIDTH, view_box.width() - 2 * NOTE_MARGIN))
        (x0, x1), (y0, y1) = view_box.viewRange()
        self.empty_note.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    def _redraw_validation(self, newest: int) -> None:
        """The newest run's validation losses (finite ones: a NaN has no place on a log axis) and the star."""
        doc = self.document
        rows = doc.val_history[-1] if doc.loss_history and len(doc.val_history) == len(doc.loss_history) else None
        key = (id(rows), 0 if rows is None else len(rows), newest)
        if key == self._val_key and rows is self._val_rows:
            return  # the same losses (a knob turn also says the trail changed): a repaint would show nothing new
        self._val_key, self._val_rows = key, rows
        finite = rows[np.isfinite(rows[:, 1])] if rows is not None and len(rows) else np.empty((0, 2))
        if not len(finite):
            self.val_curve.setData([], [])
            self.best_marker.setData([], [])
            self.best_label.setVisible(False)
            self.best_step = None
            self._set_val_legend(())
            return
        losses = np.maximum(finite[:, 1], TINY)
        self.val_curve.setData(finite[:, 0], losses)
        best = int(np.argmin(losses))
        step, loss = int(finite[best, 0]), float(losses[best])
        self.best_marker.setData([step], [loss])
        if step != self.best_step:
            self.best_label.setText(f"best validation: step {app_numbers().count(step)}")
        self.best_step = step
        self.best_label.setPos(step, np.log10(loss))  # the view's y is log10 of the loss
        self.best_label.setVisible(True)
        self._set_val_legend(
            ((("training", newest), "training"), ("validation", "validation"), ("best validation", "best validation"))
        )

    def _set_val_legend(self, entries: tuple) -> None:
        if entries != self._val_legend:
            self._val_legend = entries
            self._update_legend(self.document.race)

    def _legend_entry(self, key, name: str) -> LegendEntry:
        """The legend entry of a race contender, the newest run, the validation curve or its best step."""
        if key in RACE_COLOURS:
            return LegendEntry(name, RACE_COLOURS[key], "dots" if key == "manual" else "line")
        if isinstance(key, tuple):  # ("training", index of the newest run's curve)
            return LegendEntry(name, RUN_COLORS[key[1] % len(RUN_COLORS)])
        return LegendEntry(name, VALIDATION_COLOUR, "star" if key == "best validation" else "dashed")

    @Slot()
    def _redraw_optimum(self) -> None:
        exact = self.document.landmark if self.document.dataset.n else None
        if exact is not None and exact.loss > 0 and np.isfinite(exact.loss):
            level = float(np.log10(exact.loss))
            if level != self.optimum_line.value():  # (every knob turn asks: repaint only on news)
                self.optimum_line.setValue(level)
            self.optimum_line.setVisible(True)
        else:
            self.optimum_line.setVisible(False)

    @Slot()
    def redraw_race(self) -> None:
        """Draw each race contender's losses in its colour, named in the legend."""
        race: RaceView | None = self.document.race
        tracks = race.tracks if race is not None else {}
        longest = 0
        for kind, curve in self.race_curves.items():
            track = tracks.get(kind)
            if track is None or track.steps == 0:
                curve.setData([], [])
                continue
            drawn = ceilinged(track.losses)
            longest = max(longest, drawn.size)
            if kind == "manual":
                curve.setSymbol("o" if drawn.size <= MANUAL_SYMBOLS_UP_TO else None)
            curve.setData(self._x_values(drawn.size), drawn)
        # While the race runs the step axis grows in round jumps (1, 1.5, 2, 3, 5, 7.5 × 10ⁿ), so the
        # axis is not redrawn at every payload; at the end it fits the race.
        end = max(_round_up(longest) if race is not None and race.running else longest, 10) if longest else 0
        if end and end != self._race_x_end:
            self.getPlotItem().setXRange(0, end, padding=0.02)
        self._race_x_end = end
        self._update_legend(race)
        self._show_empty_note(not self.document.loss_history)

    @Slot()
    def _on_look_changed(self) -> None:
        self._drawn = [None] * MAX_RUNS_SHOWN  # every run's pen again, at the new width
        self.redraw()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._place_legend()

    @Slot()
    def _place_legend(self) -> None:
        """Keep the legend in the top right corner of the plot's drawing area."""
        if "legend" not in self.__dict__:  # (pyqtgraph resizes during construction)
            return
        view = self.getPlotItem().getViewBox()
        self.legend.place(self.mapFromScene(view.sceneBoundingRect()).boundingRect())

    @Slot(bool)
    def _on_legend_toggled(self, shown: bool) -> None:
        self.legend.setVisible(shown and bool(self._legend_names))

    def legend_shown(self) -> bool:
        """True when the legend is drawn (there is something to name and the user has not hidden it)."""
        return not self.legend.isHidden()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and "legend" in self.__dict__:
            self.legend.restyle()  # the theme changed

    def _x_values(self, n: int) -> np.ndarray:
        if n > self._steps.size:
            self._steps = np.arange(1, max(n, 2 * self._steps.size) + 1, dtype=np.float64)
        return self._steps[:n]

    def _update_legend(self, race: RaceView | None) -> None:
        names = tuple((k, t.name) for k, t in race.tracks.items() if t.steps) if race is not None else ()
        names += self._val_legend
        if names == self._legend_names:
            return
        self._legend_names = names
        self.legend.set_entries(self._legend_entry(key, name) for key, name in names)
        self._place_legend()
        self.legend.setVisible(bool(names) and self.legend_action.isChecked())


def ceilinged(losses: np.ndarray) -> np.ndarray:
    """Losses as drawn on the log axis: at least ``TINY`` (a loss of 0 sits on the floor), and at most
    ``RACE_CEILING`` times the first (log10 of an overflowing loss warns, and one diverging run would
    otherwise stretch the axis over dozens of decades)."""
    losses = np.asarray(losses, dtype=np.float64)
    start = losses[0] if losses.size and np.isfinite(losses[0]) and losses[0] > 0 else 1.0
    return np.clip(np.nan_to_num(losses, nan=np.inf, posinf=np.inf), TINY, RACE_CEILING * start)


def _round_up(n: int) -> int:
    """The smallest of 1, 1.5, 2, 3, 5, 7.5 × 10ᵏ that is at least ``n``."""
    power = 10 ** max(0, len(str(int(n))) - 1)
    return int(next(m * power for m in (1, 1.5, 2, 3, 5, 7.5, 10) if m * power >= n))

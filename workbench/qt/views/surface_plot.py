"""The loss surface: a heat map of the loss over two chosen knobs, the others held where they are.

Colour is log₁₀ of the loss, with contour lines at log-spaced levels.  On top: the current knobs, the
exact optimum, the user's manual trail, the gradient-descent trajectory and the optimiser race's paths
(one colour per contender, as on the loss history), all projected onto the two chosen coefficients.
The grid depends on the data, the model and the *other* knobs only, so moving one of the two displayed
knobs just moves the marker.  Squared-error grids come from the closed form in a few milliseconds on
the GUI thread; MAE/Huber and neural-net grids are tasks in a compute process, coarser, and a task made
stale by a newer change is cancelled (what it still sends is dropped).  A click on the surface asks for
the two knobs to be set there (``knobsPicked``).
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QGraphicsItem, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.colours import RACE_COLOURS, rgb_css
from workbench.qt.style.look import base_points, current_look, look_manager, scaled_font
from workbench.qt.style.plot_look import FIXED_ATTR
from workbench.qt.tasks.runner import TaskHandle, TaskRunner
from workbench.qt.views.contours import contour_segments
from workbench.qt.views.date_axis import NumberAxis
from workbench.qt.views.per_dataset import PerDataset
from workbench.qt.views.redraw import FOLLOW_MS, ScheduledRedraw, cache_axes, on_screen, watch_on_screen
from workbench.tasks.surface import SurfaceGrid, SurfaceTask

GRID_EXACT = 200  # closed-form (squared-error) grids: GUI thread, milliseconds
GRID_NUMERIC = 80  # MAE/Huber and neural-net grids: a task in a compute process
SAMPLE_POINTS = 20_000  # such a grid of more points is drawn on this many, spread evenly (it shows a shape)
CONTOUR_LEVELS = 8
RECOMPUTE_DELAY_MS = 40  # coalesces a knob drag into at most ~25 recomputes a second
RUN_RECOMPUTE_MS = 125  # while gradient descent runs, at most ~8 a second (the markers move every payload)
MAX_TRAIL_POINTS = 1000  # drawn per trail (a wide antialiased path: its cost grows with the points)
MAX_RACE_POINTS = 1000  # per race contender (the document already keeps its paths thinned)
RACE_REACH = 2.0  # race paths widen the surface at most this far beyond the knobs and optimum
RACE_DEPTH = ("nudge", "sgd", "momentum", "adam", "nesterov", "cg", "lbfgs", "lm", "gd")  # race paths, bottom to top
RACE_SHORT_NAMES = {
    "gd": "GD",
    "momentum": "momentum",
    "nesterov": "Nesterov",
    "adam": "Adam",
    "cg": "CG",
    "lbfgs": "L-BFGS",
    "lm": "LM",
    "sgd": "SGD",
    "nudge": "nudge",
}
COLOUR_SPAN_DECADES = 8.0  # the colour scale never spans more than this many decades
EDGE_MARGIN = 0.02  # a marker this close to the edge (fraction of the range) triggers a re-range

# The same colours as the fit plot's curves, so "orange is my manual fit" holds everywhere.
OVERLAY_COLOURS = {
    "current": (20, 60, 160),
    "manual": (230, 140, 20),
    "gd": (150, 80, 200),
    "exact": (40, 170, 80),
}
HALO = (255, 255, 255, 170)
COLOUR_MAP = "viridis"


# -- the view -----------------------------------------------------------------------------------------
def _pen(colour, width: float, alpha: int = 255):
    return pg.mkPen(*colour[:3], alpha, width=width)


def _spread(y: np.ndarray) -> float:
    """The spread of y (its standard deviation; else its size, at least 1): the scale of a fit's change."""
    spread = float(np.std(y)) if y.size > 1 else 0.0
    if spread == 0.0:
        spread = max(float(np.max(np.abs(y))) if y.size else 0.0, 1.0)
    return spread


def _decimated(n: int, limit: int) -> np.ndarray:
    """At most ``limit`` indices spread over range(n), always keeping the first and the last."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def _project(trail, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns i and j of a list of knob vectors (decimated for drawing); non-finite points dropped."""
    need = max(i, j) + 1
    points = [trail[k] for k in _decimated(len(trail), MAX_TRAIL_POINTS)]
    rows = np.array(points, dtype=np.float64) if points and len({np.size(p) for p in points}) == 1 else None
    if rows is not None and rows.ndim == 2:  # the usual case, one array operation (redrawn every payload)
        xy = rows[:, [i, j]] if rows.shape[1] >= need else np.empty((0, 2))
    else:  # a trail across a change of model: knob vectors differ
        points = [p for p in points if np.size(p) >= need]
        if not points:
            return np.empty(0), np.empty(0)
        xy = np.array([(p[i], p[j]) for p in points], dtype=np.float64)
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    return xy[:, 0], xy[:, 1]


class SurfacePlot(QWidget):
    """Heat map and contours of the loss over two knobs, with the knob, optimum, trail and GD path."""

    gridUpdated = Signal()  # a new grid has been drawn
    knobsPicked = Signal(object, str)  # knobs to set (a click on the surface), and the undo step's name

    def __init__(self, document: FitDocument, runner: TaskRunner | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("surfacePlot")
        self.document = document
        self._runner = runner if runner is not None else TaskRunner(self)
        self._job: TaskHandle | None = None
        self._closed = False
        self._i, self._j = 0, 1
        self._grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._grid_key: tuple | None = None  # what the drawn (or pending) grid depends on
        self._range: tuple[float, float, float, float] | None = None
        self._spread: PerDataset[float] = PerDataset()  # the spread of the training y (``_natural_scale``)
        self._range_key: tuple | None = None  # problem + axes the range was chosen for
        self.recompute_count = 0  # grids computed and drawn (for tests and curiosity)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._recompute)
        self._pace_ms = RECOMPUTE_DELAY_MS  # the least time between two recomputes (adaptive)
        self._last_recompute = -float("inf")

        self._build_ui()
        self._screen_watch = watch_on_screen(self, self._on_shown)  # a closed or tabbed-away dock waits
        document.modelChanged.connect(self._on_model_changed)
        document.knobsChanged.connect(self._on_knobs_changed)
        document.factsChanged.connect(self._on_knobs_changed)
        # The trails follow a drag at most every FOLLOW_MS (the knob's dot at once, from knobsChanged).
        self._trails_redraw = ScheduledRedraw(self, self._draw_trails, min_interval_ms=FOLLOW_MS)
        document.trailChanged.connect(self._trails_redraw.schedule)
        document.raceChanged.connect(self._draw_race)
        self._fill_axis_combos()
        self._on_knobs_changed()
        self._draw_race()
        self._recompute_now()  # the first grid even before the view is shown (it is ready when it is)

    # -- public API --------------------------------------------------------------------------------
    def axes(self) -> tuple[int, int]:
        """The coefficients shown horizontally (i) and vertically (j)."""
        return self._i, self._j

    def set_axes(self, i: int, j: int) -> None:
        """Show the loss over knobs k_i (horizontal) and k_j (vertical); they must differ."""
        n = self.document.state.theta.size
        i, j = int(i), int(j)
        if i == j or not (0 <= i < n and 0 <= j < n):
            raise ValueError(f"choose two different coefficients among k0..k{n - 1}, got k{i} and k{j}")
        if (i, j) == (self._i, self._j):
            return
        self._i, self._j = i, j
        self._sync_combos()
        self._label_axes()
        self._draw_markers()
        self._draw_trails()
        self._draw_race()
        self._recompute()  # one user choice, no drag to coalesce: redraw at once

    def surface_grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(a_values, b_values, Z) of the grid last drawn: Z[row, col] = L at k_j = b[row], k_i = a[col]."""
        return self._grid

    def grid_range(self) -> tuple[float, float, float, float] | None:
        """(k_i low, k_i high, k_j low, k_j high) of the current grid."""
        return self._range

    def is_computing(self) -> bool:
        """True while a grid is scheduled or being computed in the background."""
        return self._timer.isActive() or self._job is not None

    def shutdown(self) -> None:
        """Cancel any background grid (the main window calls this on close)."""
        self._closed = True
        self._timer.stop()
        self._cancel_job()

    # -- building ----------------------------------------------------------------------------------
    def _build_ui(self) -> None:

        self.axis_x_combo = QComboBox(objectName="surfaceAxisX")
        self.axis_y_combo = QComboBox(objectName="surfaceAxisY")
        for combo in (self.axis_x_combo, self.axis_y_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.axis_x_combo.setToolTip("The knob shown left to right")
        self.axis_y_combo.setToolTip("The knob shown bottom to top")
        self.axis_x_combo.activated.connect(self._on_axis_x_activated)
        self.axis_y_combo.activated.connect(self._on_axis_y_activated)
        self.status_label = QLabel(objectName="surfaceStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setMinimumWidth(40)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Loss over"))
        bar.addWidget(self.axis_x_combo)
        bar.addWidget(QLabel("→ and"))
        bar.addWidget(self.axis_y_combo)
        bar.addWidget(QLabel("↑"))
        bar.addSpacing(6)
        bar.addWidget(self.status_label, 1)

        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = self.graphics.addPlot(
            row=0, col=0, axisItems={"bottom": NumberAxis("bottom"), "left": NumberAxis("left")}
        )
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(0)
        self.plot.addItem(self.image)
        colour_map = pg.colormap.get(COLOUR_MAP)
        self.colour_bar = pg.ColorBarItem(
            values=(0.0, 1.0),
            colorMap=colour_map,
            label="log₁₀ loss",
            interactive=False,
            rounding=1e-6,
            width=18,
            colorMapMenu=False,
        )
        self.colour_bar.setImageItem(self.image)
        self.graphics.addItem(self.colour_bar, row=0, col=1)
        self._style_plot()
        # Axes as pixmaps: the markers and trails move at every payload of a run, the axes seldom.
        cache_axes(self.plot)
        for axis in (self.colour_bar.axis, self.colour_bar.getAxis("left")):
            axis.setCacheMode(axis.CacheMode.DeviceCoordinateCache)
        self.contours = pg.PlotDataItem(
            connect="pairs", pen=pg.mkPen(255, 255, 255, 110, width=1), antialias=False
        )  # thousands of short segments: cheap beats smooth
        self.contours.setZValue(1)
        setattr(self.contours, FIXED_ATTR, True)  # a texture, not a line to follow: thin in presentation too
        # As a pixmap: the knob's dot moves at every turn and a run's payload, the contours only with the
        # grid, and a repaint under the dot replayed all their segments (~1 ms).
        self.contours.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.gd_halo = pg.PlotDataItem(pen=_pen(HALO, 5, HALO[3]), antialias=False)  # (3× cheaper; under a line)
        self.gd_line = pg.PlotDataItem(pen=_pen(OVERLAY_COLOURS["gd"], 3))
        self.manual_halo = pg.PlotDataItem(pen=_pen(HALO, 5, HALO[3]))
        self.manual_line = pg.PlotDataItem(
            pen=_pen(OVERLAY_COLOURS["manual"], 2.5),
            symbol="o",
            symbolSize=7,
            symbolBrush=pg.mkBrush(*OVERLAY_COLOURS["manual"]),
            symbolPen=pg.mkPen("w", width=1),
        )
        self.exact_marker = pg.ScatterPlotItem(
            symbol="star", size=26, pen=pg.mkPen("w", width=2), brush=pg.mkBrush(*OVERLAY_COLOURS["exact"])
        )
        self.knob_marker = pg.ScatterPlotItem(
            symbol="o", size=18, pen=pg.mkPen("w", width=3), brush=pg.mkBrush(*OVERLAY_COLOURS["current"])
        )
        self.plot.addItem(self.contours)
        for z, item in enumerate(
            (self.gd_halo, self.gd_line, self.manual_halo, self.manual_line, self.exact_marker, self.knob_marker),
            start=2,
        ):
            item.setZValue(z)
            self.plot.addItem(item)
        # The race's paths (the manual entry is the manual trail, drawn above): under the optimum's
        # star and the knob dot, over the trails, with a white halo like theirs (paths run along the dark
        # valley).  The blind nudge at the bottom, the wide-swinging momentum next, plain GD on top.
        self.race_halos: dict[str, pg.PlotDataItem] = {}
        self.race_lines: dict[str, pg.PlotDataItem] = {}
        for kind, colour in RACE_COLOURS.items():
            if kind == "manual":
                continue
            halo = pg.PlotDataItem(pen=_pen(HALO, 4.5, 140), antialias=False)
            line = pg.PlotDataItem(pen=_pen(colour, 2.2), antialias=False)
            depth = RACE_DEPTH.index(kind) * 0.01
            halo.setZValue(5.1 + depth)
            line.setZValue(5.3 + depth)
            self.plot.addItem(halo)
            self.plot.addItem(line)
            self.race_halos[kind], self.race_lines[kind] = halo, line
        self.race_ends = pg.ScatterPlotItem(symbol="o", size=9, pen=pg.mkPen("w", width=1.5))
        self.race_ends.setZValue(5.6)
        self.plot.addItem(self.race_ends)
        self._race_kinds: tuple = ()
        self.graphics.scene().sigMouseClicked.connect(self._on_scene_clicked)

        self.message = QLabel(objectName="surfaceMessage", alignment=Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(24)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.graphics)
        self.stack.addWidget(self.message)

        self.legend = QLabel(objectName="surfaceLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self._apply_look()
        look_manager().changed.connect(self._apply_look)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.legend)
        self._update_legend()

    @Slot()
    def _apply_look(self) -> None:
        """The legend and status line a little smaller than the text around them, at the Preferences' text
        size but not presentation mode's: it explains the markers to the front row, and at 1.6× it would take
        the plot's room in a 1280-pixel-wide window."""
        look = current_look()
        small = scaled_font(base_points() * 0.9 * look.text_size / 100 / look.text_scale)
        self.legend.setFont(small)
        self.status_label.setFont(small)

    def _style_plot(self) -> None:
        plot = self.plot
        plot.setMouseEnabled(x=False, y=False)  # the range follows the knobs; a click picks knobs
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.getViewBox().setDefaultPadding(0.0)
        # Bold axis labels (the knobs' names); their size, and the ticks', follow the look (plot_look.py).
        label_font = QFont(self.font())
        label_font.setBold(True)
        bar_label = self.colour_bar.getAxis("left")  # where a vertical ColorBarItem puts its label
        for axis in (plot.getAxis("bottom"), plot.getAxis("left"), self.colour_bar.axis, bar_label):
            axis.label.setFont(label_font)  # (an HTML font-size style hides pyqtgraph's bottom label)
            axis.enableAutoSIPrefix(False)  # "k0 (×0.001)" would only confuse
        bar_label.setLabel("log₁₀ loss")
        plot.getViewBox().setToolTip("Click to set the two knobs to that point")
        self._label_axes()

    def _label_axes(self) -> None:
        labels = self.document.problem.model.parameter_labels()
        if max(self._i, self._j) < len(labels):
            self.plot.getAxis("bottom").setLabel(labels[self._i])
            self.plot.getAxis("left").setLabel(labels[self._j])

    def _update_legend(self) -> None:
        def swatch(key, glyph):
            r, g, b = OVERLAY_COLOURS[key]
            return f'<span style="color: rgb({r},{g},{b}); font-size: large;">{glyph}</span>'

        exact = "exact optimum"
        if self.document.state.model == "formula":
            exact = "Levenberg–Marquardt fit"
        elif not self.document.state.loss.is_squared_error:
            exact = "least-squares optimum"
        text = (
            f"{swatch('current', '●')} current knobs &nbsp;&nbsp; {swatch('exact', '★')} {exact} "
            f"&nbsp;&nbsp; {swatch('manual', '—●—')} your knob trail &nbsp;&nbsp; "
            f"{swatch('gd', '———')} gradient descent"
        )
        race = self.document.race
        if race is not None and race.contenders:
            runners = " &nbsp;".join(
                f'<span style="color: {rgb_css(RACE_COLOURS[t.kind])}; font-size: large;">'
                f"━</span>&nbsp;{RACE_SHORT_NAMES.get(t.kind, t.name)}"
                for t in race.contenders
            )
            text += f"<br>Race (● where each ended): {runners}"
        self.legend.setText(text)
        self.legend.setToolTip(
            "Heat map: the loss over the two chosen knobs, the other knobs held at their "
            "current values; white lines join points of equal loss"
        )

    # -- axis choice -------------------------------------------------------------------------------
    def _fill_axis_combos(self) -> None:
        n = self.document.state.theta.size
        if not (self._i < n and self._j < n and self._i != self._j):
            self._i, self._j = 0, 1  # (with one knob there is no surface: a message is shown instead)
        for combo in (self.axis_x_combo, self.axis_y_combo):
            if combo.count() != n or combo.itemText(0) != self.document.problem.model.parameter_labels()[0]:
                combo.blockSignals(True)
                combo.clear()
                combo.addItems(self.document.problem.model.parameter_labels())
                combo.blockSignals(False)
            combo.setEnabled(n >= 2)
        self._sync_combos()
        self._label_axes()

    def _sync_combos(self) -> None:
        for combo, index in ((self.axis_x_combo, self._i), (self.axis_y_combo, self._j)):
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)

    @Slot(int)
    def _on_axis_x_activated(self, index: int) -> None:
        j = self._i if index == self._j else self._j  # picking the other axis's knob swaps the two
        self.set_axes(index, j)

    @Slot(int)
    def _on_axis_y_activated(self, index: int) -> None:
        i = self._j if index == self._i else self._i
        self.set_axes(i, index)

    # -- reacting to the document ------------------------------------------------------------------
    @Slot()
    def _on_model_changed(self) -> None:
        self._fill_axis_combos()
        self._update_legend()

    @Slot()
    def _on_knobs_changed(self) -> None:
        if self._explain_if_undrawable():
            return
        self._draw_markers()
        if self._grid_out_of_date():
            self._schedule()

    def _explain_if_undrawable(self) -> bool:
        doc = self.document
        text = ""
        if doc.dataset.n == 0:
            text = (
                "No data points yet.\n\nAdd points on the fit plot (or open a sample) to see the loss "
                "landscape: how the loss changes as you turn two knobs."
            )
        elif doc.state.theta.size < 2:
            text = (
                "A degree-0 curve has a single knob (k0): its loss is a curve, not a surface.\n\n"
                "Raise the degree to 1 or more to see the landscape over two knobs."
            )
        if text:
            self._timer.stop()
            self._cancel_job()
            self._grid_key = self._range_key = None  # (keys hold the data: let the old points go)
            self.message.setText(text)
            self.stack.setCurrentWidget(self.message)
            self.status_label.clear()
            return True
        self.stack.setCurrentWidget(self.graphics)
        return False

    def _problem_key(self) -> tuple:
        return (self.document.problem_key,)

    def _grid_key_for(self, theta: np.ndarray) -> tuple:
        others = theta.copy()
        others[[self._i, self._j]] = 0.0
        return self._problem_key() + (self._i, self._j, others.tobytes())

    def _grid_out_of_date(self) -> bool:
        if self._grid_key != self._grid_key_for(self.document.state.theta) or self._range is None:
            return True
        return not self._inside(self._range, self._landmarks(), margin=EDGE_MARGIN)

    def _schedule(self) -> None:
        if not self._timer.isActive():  # not restarted: a long drag still redraws every interval
            # The first change after a pause is drawn on the next event-loop turn; a stream of them (a
            # drag, a run) at most once per ``_pace_ms``.
            wait_ms = self._pace_ms - (time.perf_counter() - self._last_recompute) * 1000.0
            self._timer.start(int(wait_ms) + 1 if wait_ms > 0 else 0)

    def _on_shown(self) -> None:
        if not self._explain_if_undrawable() and self._grid_out_of_date():
            self._schedule()

    # -- the grid ----------------------------------------------------------------------------------
    def _landmarks(self) -> list[tuple[float, float]]:
        """The points the grid must show: the current knobs, the exact optimum and the race's paths."""
        theta = self.document.state.theta
        points = [(float(theta[self._i]), float(theta[self._j]))]
        exact = self.document.landmark
        if exact is not None and np.all(np.isfinite(exact.coefficients[[self._i, self._j]])):
            points.append((float(exact.coefficients[self._i]), float(exact.coefficients[self._j])))
        return points + self._race_corners(points)

    def _race_corners(self, anchors: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """Corners of the box around the race's paths (diverged contenders left out), kept within
        ``RACE_REACH`` times the knobs-to-optimum box so that one wild path cannot shrink the bowl away."""
        race = self.document.race
        if race is None:
            return []
        boxes = []
        for track in race.contenders:
            if track.diverged:
                continue
            xs, ys = self._project_race(track.trajectory())
            if xs.size:
                boxes.append((xs.min(), xs.max(), ys.min(), ys.max()))
        if not boxes:
            return []
        lo_x, hi_x = min(b[0] for b in boxes), max(b[1] for b in boxes)
        lo_y, hi_y = min(b[2] for b in boxes), max(b[3] for b in boxes)
        ax = [a[0] for a in anchors]
        ay = [a[1] for a in anchors]
        reach_x = RACE_REACH * max(max(ax) - min(ax), self._natural_scale(self._i), 1e-9)
        reach_y = RACE_REACH * max(max(ay) - min(ay), self._natural_scale(self._j), 1e-9)
        lo_x, hi_x = max(lo_x, min(ax) - reach_x), min(hi_x, max(ax) + reach_x)
        lo_y, hi_y = max(lo_y, min(ay) - reach_y), min(hi_y, max(ay) + reach_y)
        return [(float(lo_x), float(lo_y)), (float(hi_x), float(hi_y))]

    @staticmethod
    def _inside(rng, points, margin: float) -> bool:
        a_lo, a_hi, b_lo, b_hi = rng
        da, db = margin * (a_hi - a_lo), margin * (b_hi - b_lo)
        return all(a_lo + da <= a <= a_hi - da and b_lo + db <= b <= b_hi - db for a, b in points)

    def _choose_range(self) -> tuple[float, float, float, float]:
        """Cover the knobs and the optimum with a margin; keep the old range while that still works."""
        points = self._landmarks()
        wanted = []
        for axis, k in enumerate((self._i, self._j)):
            values = [p[axis] for p in points]
            lo, hi = min(values), max(values)
            floor = max(self._natural_scale(k), 0.25 * max(abs(lo), abs(hi)), 1e-9)
            half = max(1.5 * (hi - lo), floor)
            centre = 0.5 * (lo + hi)
            wanted.append((centre - half, centre + half))
        new = (*wanted[0], *wanted[1])
        key = self._problem_key() + (self._i, self._j)
        old = self._range
        if old is not None and self._range_key == key and self._inside(old, points, margin=EDGE_MARGIN):
            old_halves = (old[1] - old[0], old[3] - old[2])
            new_halves = (new[1] - new[0], new[3] - new[2])
            if all(n >= 0.3 * o for n, o in zip(new_halves, old_halves)):
                return old  # hysteresis: the picture stays still while the knobs move inside it
        self._range_key = key
        return new

    def _natural_scale(self, k: int) -> float:
        """How far knob k must move to change the fit by about the spread of y (a floor for the range)."""
        doc = self.document
        if not doc.problem.is_polynomial:
            return 2.0  # a net's weights: tanh saturates beyond a few units, so ±2 shows the landscape
        # Once per dataset and split, not at every recompute (each report of a run): two passes over 10⁷ y
        # took 0.1–0.3 s of the window's thread.
        spread = self._spread.get(doc.dataset, lambda: _spread(doc.problem.y), doc.state.split)
        scales = doc.column_scales  # (None while big data's are being computed)
        rms = float(scales[k]) if scales is not None and k < scales.size else 0.0
        return spread / rms if rms > 0 and np.isfinite(rms) else spread

    @Slot()
    def _recompute(self) -> None:
        if not on_screen(self):
            self._timer.stop()
            # Out of date: recomputed when the view is shown (``_on_shown``); the keys hold the data.
            self._grid_key = self._range_key = None
            return
        started = time.perf_counter()
        try:
            self._recompute_now()
        finally:
            # Adaptive pacing: while knobs keep moving (a drag, a run), recomputing may take at most
            # about a sixth of the GUI thread's time; the markers still move on every change.
            self._last_recompute = time.perf_counter()
            spent_ms = (self._last_recompute - started) * 1000.0
            running = self.document.running
            self._pace_ms = max(RECOMPUTE_DELAY_MS, int(6 * spent_ms), RUN_RECOMPUTE_MS if running else 0)

    def _recompute_now(self) -> None:
        self._timer.stop()
        if self._closed or self._explain_if_undrawable():
            return
        doc = self.document
        theta = doc.state.theta.copy()
        squared = doc.state.loss.is_squared_error and doc.problem.is_polynomial  # closed form
        if squared and doc.big and (doc.evaluation() is None or not doc.problem.knows("hessian")):
            self.status_label.setText("computing…")  # big data: the loss, gradient and Hessian come with the facts
            return
        self._range = rng = self._choose_range()
        self._grid_key = self._grid_key_for(theta)
        n = GRID_EXACT if squared else GRID_NUMERIC
        a_values = np.linspace(rng[0], rng[1], n)
        b_values = np.linspace(rng[2], rng[3], n)
        self._cancel_job()
        if squared:
            # From the engine's loss and gradient at the knobs (computed already, or sent by a running
            # worker) and the constant Hessian: no pass over the points (~50 ms at 10⁶ of them).
            z = doc.problem.surface_at(doc.evaluation(), theta, self._i, self._j, a_values, b_values)
            self._draw_grid(a_values, b_values, z)
            return
        task = SurfaceTask(
            doc.problem,
            theta,
            self._i,
            self._j,
            a_values,
            b_values,
            problem_key=doc.problem_key,
            max_points=SAMPLE_POINTS,
        )
        self._job = self._runner.create(
            task, "process", name="loss-surface", on_finished=self._on_grid_computed, on_failed=self._on_grid_failed
        )
        self._job.start()
        kind = (
            doc.state.loss.kind if doc.problem.is_polynomial else {"mlp": "neural-net"}.get(doc.state.model, "formula")
        )
        self.status_label.setText(f"computing the {kind} surface…")

    def _cancel_job(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            job.cancel()  # whatever it still sends is stale now

    @Slot(object)
    def _on_grid_computed(self, grid: SurfaceGrid | None) -> None:
        self._job = None
        if grid is not None and not self._closed:
            self._draw_grid(grid.a_values, grid.b_values, grid.z)

    @Slot(str)
    def _on_grid_failed(self, message: str) -> None:
        self._job = None
        self.status_label.setText(f"surface failed: {message}")

    def _draw_grid(self, a_values: np.ndarray, b_values: np.ndarray, z: np.ndarray) -> None:
        finite = np.isfinite(z)
        if not finite.any():
            self.status_label.setText("the loss overflows everywhere on this grid")
            return
        top = float(np.max(z[finite]))
        floor = max(top * 1e-300, np.finfo(float).tiny) if top > 0 else np.finfo(float).tiny
        log_z = np.log10(np.maximum(np.where(finite, z, top), floor))
        hi = float(log_z.max())
        lo = max(float(log_z.min()), hi - COLOUR_SPAN_DECADES)
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        da = (a_values[-1] - a_values[0]) / max(len(a_values) - 1, 1)
        db = (b_values[-1] - b_values[0]) / max(len(b_values) - 1, 1)
        self.image.setImage(log_z, autoLevels=False, levels=(lo, hi))
        self.image.setRect(QRectF(a_values[0] - da / 2, b_values[0] - db / 2, da * len(a_values), db * len(b_values)))
        self.colour_bar.setLevels((lo, hi))
        levels = np.linspace(lo, hi, CONTOUR_LEVELS + 2)[1:-1]
        # Contours from every other grid line: indistinguishable on screen, a quarter of the work.
        stride = 2 if min(log_z.shape) > 100 else 1
        cols, rows = contour_segments(np.maximum(log_z[::stride, ::stride], lo), levels)
        self.contours.setData(a_values[0] + cols * da * stride, b_values[0] + rows * db * stride)
        self.plot.getViewBox().setRange(
            xRange=(a_values[0], a_values[-1]), yRange=(b_values[0], b_values[-1]), padding=0.0
        )
        self._grid = (a_values, b_values, z)
        self.recompute_count += 1
        doc = self.document
        closed_form = doc.state.loss.is_squared_error and doc.problem.is_polynomial
        where = "" if closed_form else f"{len(a_values)}×{len(b_values)} grid"
        if not closed_form and doc.problem.x.size > SAMPLE_POINTS:
            where += f" on {SAMPLE_POINTS:,} of the {doc.problem.x.size:,} points"
        self.status_label.setText(where)
        self.status_label.setToolTip("The other knobs are held at their current values")
        self.gridUpdated.emit()

    # -- markers -----------------------------------------------------------------------------------
    def _draw_markers(self) -> None:
        theta = self.document.state.theta
        if max(self._i, self._j) >= theta.size:
            return
        self.knob_marker.setData([theta[self._i]], [theta[self._j]])
        exact = self.document.landmark
        point = exact.coefficients[[self._i, self._j]] if exact is not None else np.full(2, np.nan)
        if np.all(np.isfinite(point)):
            self.exact_marker.setData([point[0]], [point[1]])
        else:
            self.exact_marker.setData([], [])

    def knob_marker_position(self) -> tuple[float, float] | None:
        """Where the current-knobs dot is drawn (k_i, k_j)."""
        xs, ys = self.knob_marker.getData()
        return (float(xs[0]), float(ys[0])) if len(xs) else None

    def trails_drawn(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """The manual trail and the gradient-descent path as drawn ((xs, ys) each), up to date."""
        self._trails_redraw.flush(force=True)
        return self.manual_line.getData(), self.gd_line.getData()

    @Slot()
    def _draw_trails(self) -> None:
        self._trails_redraw.cancel()
        doc = self.document
        for trail, items in (
            (doc.manual_trail, (self.manual_halo, self.manual_line)),
            (doc.gd_trajectory, (self.gd_halo, self.gd_line)),
        ):
            xs, ys = _project(trail, self._i, self._j)
            for item in items:
                item.setData(xs, ys)
        self._draw_markers()

    @Slot()
    def _draw_race(self) -> None:
        """Each race contender's path on the two displayed knobs, in its colour, with a dot where it is."""
        race = self.document.race
        tracks = {t.kind: t for t in race.contenders} if race is not None else {}
        ends_x, ends_y, brushes = [], [], []
        for kind, line in self.race_lines.items():
            track = tracks.get(kind)
            xs, ys = (np.empty(0), np.empty(0)) if track is None else self._project_race(track.trajectory())
            line.setData(xs, ys)
            self.race_halos[kind].setData(xs, ys)
            if xs.size:
                ends_x.append(xs[-1])
                ends_y.append(ys[-1])
                brushes.append(pg.mkBrush(*RACE_COLOURS[kind]))
        if ends_x or self.race_ends.isVisible():
            self.race_ends.setData(ends_x, ends_y, brush=brushes)
            self.race_ends.setVisible(bool(ends_x))  # an empty scatter still costs a paint
        if tracks and not self._explain_if_undrawable() and self._grid_out_of_date():
            self._schedule()  # a path left the picture: widen it (coalesced like a knob drag)
        kinds = tuple(tracks)
        if kinds != self._race_kinds:
            self._race_kinds = kinds
            self._update_legend()

    def _project_race(self, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Columns i and j of a path array (at most ``MAX_RACE_POINTS`` rows, non-finite rows dropped)."""
        i, j = self._i, self._j
        if path.ndim != 2 or path.shape[1] <= max(i, j) or not len(path):
            return np.empty(0), np.empty(0)
        xy = path[_decimated(len(path), MAX_RACE_POINTS)][:, [i, j]]
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        return xy[:, 0], xy[:, 1]

    # -- clicking picks knobs ----------------------------------------------------------------------
    @Slot(object)
    def _on_scene_clicked(self, event) -> None:
        if (
            event.button() != Qt.MouseButton.LeftButton
            or event.double()
            or self._range is None
            or self.stack.currentWidget() is not self.graphics
        ):
            return
        view = self.plot.getViewBox()
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        point = view.mapSceneToView(event.scenePos())
        a, b = point.x(), point.y()
        if not self._inside(self._range, [(a, b)], margin=0.0):
            return
        event.accept()
        theta = self.document.theta
        theta[self._i], theta[self._j] = a, b
        self.knobsPicked.emit(theta, f"Pick k{self._i}, k{self._j} on the loss surface")

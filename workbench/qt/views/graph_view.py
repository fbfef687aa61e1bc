"""The computational graph view: the engine's expanded loss graph, walked node by node.

The boxes are the nodes of the very graph the engine differentiates (``model.loss_graph(...,
"expanded")``), built for the whole batch or for one chosen data point.  "Forward" and "Backward" step
through ``workbench.engine.walk``, which calls each node's own forward and backward functions, so every
value and gradient on screen is the engine's.  Views read; this one never writes to the document.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from workbench.engine.walk import BACKWARD, FORWARD, IDLE, Walker, WalkEvent, describe, node_names, receivers
from workbench.fitting import number_text
from workbench.fitting.models import LossGraph
from workbench.fitting.problem import FitProblem
from workbench.fitting.sampling import even_indices, evenly_sampled
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.look import current_look, look_manager
from workbench.qt.style.number_style import app_number_style
from workbench.qt.views.flow_layout import FlowLayout
from workbench.qt.views.graph_scene import (
    COLUMN_PITCH,
    EdgeItem,
    GraphCanvas,
    GraphScene,
    NodeItem,
    compact,
    compact_gradient,
    layout_graph,
)
from workbench.qt.views.redraw import on_screen, watch_on_screen

ProblemProvider = Callable[[FitDocument], tuple[FitProblem, np.ndarray]]
REDRAW_DELAY_MS = 50  # redraw at most this often; a redraw that took t waits at least 3t
LARGE_BATCH = 100_000  # a hidden view lets go of a whole-batch graph bigger than this
MIN_AUTO_ZOOM, MAX_AUTO_ZOOM = 0.8, 1.0
IDLE_HINT = (
    "Forward computes the nodes left to right, one per click; Backward zeroes every gradient, "
    "seeds ∂L/∂L = 1 and sends it back right to left, one rule per click."
)


SAMPLE_POINTS = 20_000  # the batch graph of more points is drawn on this many, spread evenly


def document_problem(document: FitDocument) -> tuple[FitProblem, np.ndarray]:
    """The document's current problem (thinned evenly for big data) and knobs: the default source of the graph."""
    return evenly_sampled(document.problem, SAMPLE_POINTS), document.state.theta


class GraphView(QWidget):
    """The expanded loss graph with each node's value and gradient, and a step-by-step walk of both passes."""

    redrawn = Signal()  # the scene now shows the document's current state

    def __init__(
        self, document: FitDocument, parent: QWidget | None = None, *, problem_provider: ProblemProvider | None = None
    ):
        super().__init__(parent)
        self.setObjectName("graphView")
        self.document = document
        self._provider = problem_provider or document_problem
        self._problem: FitProblem | None = None
        self._point: int | None = None
        self._graph: LossGraph | None = None
        self._graph_point: int | None = None
        self._walker: Walker | None = None
        self._items: dict[int, NodeItem] = {}
        self._edges: list[EdgeItem] = []
        self._totals = (0, 0)
        self._dirty = True
        self._style = app_number_style()
        self._rows_key: tuple | None = None  # (dataset, split) that ``_rows`` belongs to
        self._rows = np.empty(0, dtype=np.intp)

        self._make_controls()
        self._lay_out()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_DELAY_MS)
        self._timer.timeout.connect(self._on_timer)
        self.point_box.valueChanged.connect(self._on_point_box_changed)
        self.forward_button.clicked.connect(self.step_forward)
        self.backward_button.clicked.connect(self.step_backward)
        self.run_button.clicked.connect(self.run_pass)
        self.reset_button.clicked.connect(self.reset_walk)
        self.fit_button.clicked.connect(self._on_fit_clicked)
        document.stateChanged.connect(self._schedule)
        # A tab behind another is moved off screen, not hidden: this says when it comes to the front.
        self._screen_watch = watch_on_screen(self, self._on_shown, self._on_hidden)
        look_manager().changed.connect(self._on_look_changed)

    def _make_controls(self) -> None:
        self.point_box = PointBox(self)
        self.point_box.setObjectName("graphPointCombo")
        # Points are numbered from 1, as in the data table: 0 is the whole batch.
        self.point_box.setSpecialValueText("whole batch")
        self.point_box.setPrefix("point ")
        self.point_box.setRange(0, 0)
        self.point_box.setToolTip(
            "Show the loss of the whole batch, or of one data point (numbers you can "
            "check by hand); clicking a point on the plot or in the table picks it"
        )
        self.point_info = QLabel()
        self.point_info.setObjectName("graphPointInfo")
        self.forward_button = self._button(
            "Forward ▸", "graphForwardButton", "Compute the next node of the forward pass"
        )
        self.backward_button = self._button(
            "◂ Backward",
            "graphBackwardButton",
            "Apply the next step of the backward pass (zero, seed, then one rule or one accumulation per click)",
        )
        self.run_button = self._button(
            "Run pass", "graphRunButton", "Finish the walk: the rest of the forward pass and a whole backward pass"
        )
        self.reset_button = self._button(
            "Reset", "graphResetButton", "Stop walking and show every value and gradient at once"
        )
        self.fit_button = self._button("Fit", "graphFitButton", "Zoom to show the whole graph")
        self.scene = GraphScene(self)
        self.canvas = GraphCanvas(self.scene)
        self.step_label = QLabel()
        self.step_label.setObjectName("graphStepLabel")
        self.step_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("backward 999/999") + 16)
        self.step_label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        self.rule_label = QLabel()
        self.rule_label.setObjectName("graphRuleLabel")
        self.rule_label.setWordWrap(True)
        self.rule_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rule_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.rule_label.setMinimumHeight(3 * self.fontMetrics().lineSpacing() + 4)
        self.rule_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def _lay_out(self) -> None:
        bar = FlowLayout()  # wraps in a narrow dock (or with presentation mode's text): no button is cut
        bar.addWidget(self.point_box)
        bar.addWidget(self.point_info)
        for button in (self.forward_button, self.backward_button, self.run_button, self.reset_button, self.fit_button):
            bar.addWidget(button)
        rule_row = QHBoxLayout()
        rule_row.setContentsMargins(0, 0, 0, 0)
        rule_row.addWidget(self.step_label, 0, Qt.AlignmentFlag.AlignTop)
        rule_row.addWidget(self.rule_label, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.setSpacing(3)
        outer.addLayout(bar)
        outer.addWidget(self.canvas, 1)
        outer.addLayout(rule_row)

    # -- public API ------------------------------------------------------------------------------------
    @Slot(object)
    def set_point(self, index: int | None) -> None:
        """Show the loss of data point ``index`` alone, or of the whole batch (None or a negative index).

        With a train/validation split only training points are in the loss: a held-out point shows the
        whole batch, and the point box counts training points.
        """
        self._show_point(self._loss_index(index))

    def _loss_index(self, index: int | None) -> int | None:
        """A data point's position among the points of the loss (the training points), or None."""
        if index is None or int(index) < 0:
            return None
        split = self.document.state.split_indices()
        if split is None:
            return int(index)
        k = int(np.searchsorted(split[0], int(index)))
        return k if k < split[0].size and split[0][k] == int(index) else None

    def _show_point(self, point: int | None) -> None:
        if point == self._point and not self._dirty:
            return
        self._point = point
        self.point_box.blockSignals(True)
        self.point_box.setValue(0 if point is None else min(point + 1, self.point_box.maximum()))
        self.point_box.blockSignals(False)
        self._dirty = True
        self._refresh()

    def point(self) -> int | None:
        """The point shown, counted among the loss's points (the training points with a split; None:
        the whole batch)."""
        self._flush()
        return self._point

    def loss_graph(self) -> LossGraph | None:
        """The engine graph on screen (None without data)."""
        self._flush()
        return self._graph

    def knob_gradients(self) -> np.ndarray:
        """The gradients shown at the knob nodes, flattened in theta order (NaN where none is shown yet)."""
        self._flush()
        if self._graph is None:
            return np.zeros(self._provider(self.document)[1].size)
        parts = []
        for param in self._graph.params:
            grad = self._walker.shown_grad(param)
            parts.append(np.full(param.value.size, np.nan) if grad is None else np.asarray(grad).reshape(-1))
        return np.concatenate(parts) if parts else np.zeros(0)

    def current_event(self) -> WalkEvent | None:
        """The walk's latest event (None when not walking)."""
        self._flush()
        return self._walker.current if self._walker else None

    def walk_position(self) -> tuple[str, int, int]:
        """(phase, events walked in this pass, events in the whole pass); phase is idle/forward/backward."""
        self._flush()
        return self._position()

    def highlighted(self) -> tuple[object, object]:
        """The nodes drawn highlighted: (the node being computed or applying its rule, the node receiving)."""
        self._flush()
        current = [item.node for item in self._items.values() if item.highlight == "current"]
        receiver = [item.node for item in self._items.values() if item.highlight == "receiver"]
        return (current[0] if current else None), (receiver[0] if receiver else None)

    def node_text(self, node) -> tuple[str, str, str]:
        """What a node's box says: (name, value line, gradient line)."""
        self._flush()
        item = self._items[id(node)]
        return item.name, item.value_text, item.grad_text

    @Slot()
    def step_forward(self) -> None:
        """Compute the next node of the forward pass (a new pass starts after a finished one)."""
        self._flush()
        if self._walker is not None:
            self._walker.step_forward()
            self._show_walk()

    @Slot()
    def step_backward(self) -> None:
        """Apply the next step of the backward pass: the zeroing, the seed, a rule or an accumulation."""
        self._flush()
        if self._walker is not None:
            self._walker.step_backward()
            self._show_walk()

    @Slot()
    def run_pass(self) -> None:
        """Walk to the end of a backward pass in one go."""
        self._flush()
        if self._walker is not None:
            self._walker.finish()
            self._show_walk()

    @Slot()
    def reset_walk(self) -> None:
        """Stop walking and show every value and gradient."""
        self._flush()
        if self._walker is not None:
            self._walker.reset()
            self._show_walk()

    # -- refreshing from the document -----------------------------------------------------------------
    @Slot()
    def _schedule(self) -> None:
        self._dirty = True
        if on_screen(self) and not self._timer.isActive():
            self._timer.start()

    @Slot()
    def _on_timer(self) -> None:
        self._refresh()

    def _flush(self) -> None:
        """Bring the view up to date now if a redraw is pending (so public readers never see stale data)."""
        if self._dirty:
            self._refresh(force=True)

    def _refresh(self, force: bool = False) -> None:
        self._timer.stop()
        if not (force or on_screen(self)):
            return  # hidden: redraw when shown or read, so a run in progress never pays for this view
        started = time.perf_counter()
        self._dirty = False
        problem, theta = self._provider(self.document)
        n = problem.x.size
        self.point_box.blockSignals(True)
        self.point_box.setRange(0, n)
        if self._point is not None and self._point >= n:
            self._point = None
        self.point_box.setValue(0 if self._point is None else self._point + 1)
        self.point_box.blockSignals(False)
        self._update_point_info(problem)
        if n == 0:
            self._clear("No data points: add some to see the loss graph.")
        elif problem is not self._problem or self._graph is None or self._graph_point != self._point:
            self._build(problem, theta)
        else:  # only the knobs moved: replay the same graph
            self._graph.set_params(theta)
            self._walker.reset()
            self._show_walk()
        self._problem = problem
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._timer.setInterval(max(REDRAW_DELAY_MS, int(3 * elapsed_ms)))  # big data: fewer redraws
        self.redrawn.emit()

    def _position(self) -> tuple[str, int, int]:
        if self._walker is None or self._walker.phase == IDLE:
            return IDLE, 0, 0
        total = self._totals[0] if self._walker.phase == FORWARD else self._totals[1]
        return self._walker.phase, self._walker.position, total

    def showEvent(self, event):  # noqa: N802 - Qt API
        super().showEvent(event)
        self._on_shown()

    def _on_shown(self) -> None:
        if self._dirty:
            self._refresh()
        self._auto_zoom()

    def _on_hidden(self) -> None:
        if self._graph is not None and self._point is None and self._problem.x.size > LARGE_BATCH:
            self._clear("")  # hundreds of megabytes of node arrays: rebuilt when shown again
            self._problem = None
            self._dirty = True

    def resizeEvent(self, event):  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._auto_zoom()

    # -- building the scene ---------------------------------------------------------------------------
    def _build(self, problem: FitProblem, theta: np.ndarray) -> None:
        x, y, sigma = problem.x, problem.y, problem.sigma
        if self._point is not None:
            one = slice(self._point, self._point + 1)
            x, y, sigma = x[one], y[one], None if sigma is None else sigma[one]
        graph = problem.model.loss_graph(x, y, problem.loss, "expanded", sigma=sigma)
        graph.set_params(theta)
        self._graph, self._graph_point = graph, self._point
        self._walker = Walker(graph.graph, node_names(graph.graph))
        self._walker.reset()
        nodes = graph.graph.nodes
        self._totals = (len(nodes), 2 + len(nodes) + sum(len(receivers(n)) for n in nodes))
        self.scene.clear()
        self._items, self._edges = {}, []
        for node in nodes:
            self._items[id(node)] = NodeItem(node, self._walker.names[id(node)], _role(node, graph))
        places = layout_graph(nodes, {key: item.height for key, item in self._items.items()})
        for key, item in self._items.items():
            column, top = places[key]
            item.setPos(column * COLUMN_PITCH, top)
            self.scene.addItem(item)
        for node in nodes:
            for parent in dict.fromkeys(node.parents):
                edge = EdgeItem(self._items[id(parent)], self._items[id(node)])
                self.scene.addItem(edge)
                self._edges.append(edge)
        self.scene.setSceneRect(self.scene.itemsBoundingRect().adjusted(-12, -12, 12, 12))
        self._show_walk()
        self._auto_zoom(force=True)

    def _clear(self, message: str) -> None:
        self.scene.clear()
        self._items, self._edges = {}, []
        self._graph, self._walker, self._graph_point = None, None, None
        self.scene.addText(message)
        self.rule_label.setText(message)
        self.step_label.hide()
        for button in (self.forward_button, self.backward_button, self.run_button, self.reset_button):
            button.setEnabled(False)

    def _auto_zoom(self, force: bool = False) -> None:
        if self._walker is None or (self.canvas.user_zoomed and not force):
            return
        self.canvas.user_zoomed = False
        # The boxes' text grows with the look's, as all text does (the graph then scrolls rather than shrink).
        fitted = min(MAX_AUTO_ZOOM, max(MIN_AUTO_ZOOM, self.canvas.fit_scale()))
        self.canvas.zoom_to(fitted * current_look().text_scale)
        event = self._walker.current
        if event is None:
            for bar in (self.canvas.horizontalScrollBar(), self.canvas.verticalScrollBar()):
                bar.setValue(bar.minimum())  # start at the knobs' end of the graph
        else:
            self._follow(event)

    # -- showing the walk -----------------------------------------------------------------------------
    def _show_walk(self) -> None:
        walker = self._walker
        for button in (self.forward_button, self.backward_button, self.run_button, self.reset_button):
            button.setEnabled(True)
        event = walker.current
        highlights = _highlights(event)
        for key, item in self._items.items():
            node = item.node
            value, grad = walker.shown_value(node), walker.shown_grad(node)
            value_text = "= " + compact(value, self._style)
            if not node.requires_grad:
                grad_text, muted = "∂ none (data only)", True
            elif grad is None:
                grad_text, muted = "∂ ?", True
            elif walker.received(node) == 0:
                grad_text, muted = "∂ 0  zeroed", event.kind != "zero"
            else:
                grad_text, muted = "∂ " + compact_gradient(grad, self._style), False
            item.display(value_text, grad_text, muted, highlights.get(key), self._tooltip(node, value, grad))
        active = _active_edges(event)
        for edge in self._edges:
            edge.set_highlight(active.get((id(edge.source.node), id(edge.target.node))))
        self._show_rule(event)
        if event is not None:
            self._follow(event)

    def _follow(self, event: WalkEvent) -> None:
        """Scroll so the node the walk is at (and the one receiving its gradient) is in view."""
        for node in (event.node, event.parent):
            if node is not None:
                self.canvas.ensureVisible(self._items[id(node)], 40, 30)

    def _show_rule(self, event: WalkEvent | None) -> None:
        phase, position, total = self._position()
        if event is None:
            loss = float(self._graph.output.value)
            what = "the whole batch" if self._point is None else self._point_name(self._point)
            self.step_label.hide()
            self.rule_label.setText(f"L = {describe(loss)} for {what}; each knob shows ∂L/∂k. {IDLE_HINT}")
            return
        self.step_label.setText(f"<b>{phase} {position}/{total}</b>")
        self.step_label.show()
        done = ""
        if self._walker.finished:
            done = (
                "  — forward pass done: click Backward to send the gradient back"
                if phase == FORWARD
                else "  — backward pass done: every knob shows ∂L/∂k"
            )
        self.rule_label.setText(event.rule + done)

    def _tooltip(self, node, value, grad) -> str:
        name = self._walker.names[id(node)]
        shape = "scalar" if node.value.ndim == 0 else "×".join(str(n) for n in node.value.shape)
        shown = "not computed yet" if value is None else describe(value)
        lines = [f"{name}  ({node.op}, {shape})", f"value: {shown}"]
        if node.requires_grad:
            lines.append(f"∂L/∂{name}: {'—' if grad is None else describe(grad)}")
        else:
            lines.append("data only: no gradient is needed or sent")
        if node.parents:
            lines.append("inputs: " + ", ".join(self._walker.names[id(p)] for p in node.parents))
        return "\n".join(lines)

    def _update_point_info(self, problem: FitProblem) -> None:
        style = self._style
        if self._point is None:
            self.point_info.setText(number_text.counted(problem.x.size, "point", style))
            return
        x, y = problem.x[self._point], problem.y[self._point]
        self.point_info.setText(f"x = {number_text.knob(x, style)}, y = {number_text.knob(y, style)}")

    def loss_rows(self) -> np.ndarray:
        """The data table's (0-based) row of each point of the loss shown: they differ from 0, 1, 2, …
        when points are held out for validation, or when big data's graph is drawn on a sample."""
        state = self.document.state
        key = (state.dataset, state.split)
        if self._rows_key is None or self._rows_key[0] is not key[0] or self._rows_key[1] != key[1]:
            rows = np.arange(state.dataset.n)
            split = state.split_indices()
            if split is not None:
                rows = split[0]
            if self._provider is document_problem and rows.size > SAMPLE_POINTS:
                rows = rows[even_indices(state.dataset.x[rows], SAMPLE_POINTS)]
            self._rows_key, self._rows = key, rows
        return self._rows

    def data_row(self, point: int) -> int:
        """The data table's (0-based) row of the loss's point ``point``."""
        rows = self.loss_rows()
        return int(rows[point]) if 0 <= point < rows.size else point

    def _point_name(self, point: int) -> str:
        """``point 31``: the data point's number as the table shows it (from 1)."""
        return number_text.point_label(self.data_row(point), self._style)

    @Slot()
    def _on_look_changed(self) -> None:
        self._auto_zoom(force=True)

    @Slot(int)
    def _on_point_box_changed(self, value: int) -> None:
        self._show_point(None if value <= 0 else value - 1)

    @Slot()
    def _on_fit_clicked(self) -> None:
        self.canvas.zoom_to(min(1.5, self.canvas.fit_scale()))
        self.canvas.user_zoomed = True

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        # Narrow enough that the view fits a bottom dock beside the plots on a 1366-pixel screen.
        button.setMinimumWidth(button.fontMetrics().horizontalAdvance(text) + 14)
        button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        button.setStyleSheet("QPushButton { padding: 2px 6px; }")
        return button


class PointBox(QSpinBox):
    """Picks the whole batch (0) or the loss's point k (k + 1), shown and typed as the data table numbers
    that point (from 1), so that "point 31" is row 31 of the table whatever is held out or sampled."""

    def __init__(self, view: GraphView):
        super().__init__(view)
        self._view = view

    def textFromValue(self, value: int) -> str:  # noqa: N802 - Qt API
        if value <= 0:
            return "0"
        return str(self._view.data_row(value - 1) + 1)

    def valueFromText(self, text: str) -> int:  # noqa: N802 - Qt API
        body = text.removeprefix(self.prefix()).strip()
        try:
            row = int(body) - 1
        except ValueError:
            return self.value()
        found = np.flatnonzero(self._view.loss_rows() == row)
        return int(found[0]) + 1 if found.size else self.value()

    def validate(self, text: str, pos: int):  # noqa: D102 - Qt API
        body = text.removeprefix(self.prefix()).strip()
        if body == "" or text == self.specialValueText():
            return QValidator.State.Intermediate, text, pos
        if not body.isdigit():
            return QValidator.State.Invalid, text, pos
        return QValidator.State.Acceptable, text, pos


def _role(node, graph: LossGraph) -> str:
    if node is graph.output:
        return "loss"
    if not node.parents:
        return "knob" if node.requires_grad else "data"
    return "op" if node.requires_grad else "constant-op"


def _highlights(event: WalkEvent | None) -> dict[int, str]:
    if event is None:
        return {}
    if event.kind == "zero":
        return {id(n): "zeroed" for n in event.zeroed}
    marks = {id(event.node): "current"}
    if event.kind == "accumulate":
        marks[id(event.parent)] = "receiver"
    return marks


def _active_edges(event: WalkEvent | None) -> dict[tuple[int, int], str]:
    """Edges in use: the inputs being read (forward), the gradients being sent (backward)."""
    if event is None or event.node is None or event.kind in ("zero", "seed"):
        return {}
    if event.kind == "accumulate":
        return {(id(event.parent), id(event.node)): BACKWARD}
    if event.phase == FORWARD:
        return {(id(p), id(event.node)): FORWARD for p in event.node.parents}
    return {(id(p), id(event.node)): BACKWARD for p in receivers(event.node)}

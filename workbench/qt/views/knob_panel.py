"""The knobs k0..kD: a dial and a number per coefficient, with ∂L/∂k_i beside each.

The number beside each knob is the gradient ∂L/∂k_i itself, with its sign (positive: the loss rises as
the knob rises), exactly as the header, the graph view and the gradient check say.  The arrow beside it
points the other way, the way to turn the knob that lowers the loss (−∂L/∂k_i), and its length says how
hard, relative to the steepest knob.  A knob's range grows when its value nears the end.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QDial, QGridLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from workbench.fitting import number_text
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.look import base_points, current_look, look_manager, scaled_font
from workbench.qt.style.number_style import app_number_style
from workbench.qt.views.widgets import SciSpinBox

DIAL_STEPS = 1000  # integer positions of a dial across its range
NUDGE_FRACTION = 0.01  # one wheel notch / arrow key: 1% of the range (Shift ×10, Ctrl ÷10)
# Knob rows shown at most: five widgets a row, and a net of 2 × 64 hidden units has 4353 weights, whose
# 21 000 widgets took Qt ten seconds to show.  Nobody turns thousands of knobs by hand; gradient descent
# trains every weight, and the rest are named in a line under the last row.
MAX_KNOB_ROWS = 256
KNOB_HEADER = "knob · value · ∂L/∂k  (the arrow points the way that lowers the loss)"
ROWS_WITHOUT_SCROLLING = 6  # every knob of a degree-5 polynomial shows at once
MIN_DIAL, MAX_DIAL = 44, 72  # a dial's side in pixels: at least, and at most when the dock has room
_drag_ids = itertools.count(1)  # names each drag of a dial: its turns merge into one undo step


def nice_range(value: float, current: float = 1.0) -> float:
    """The knob's ± range: keep ``current`` unless ``value`` is beyond 90% of it; then grow to 1/2/5×10^n."""
    magnitude = abs(value)
    if magnitude <= 0.9 * current:
        return current
    target = magnitude / 0.45
    exponent = math.floor(math.log10(target))
    for mantissa in (1, 2, 5, 10):
        candidate = mantissa * 10.0**exponent
        if candidate >= target:
            return candidate
    return 10.0 ** (exponent + 1)


class KnobDial(QDial):
    """A dial whose wheel and arrow keys nudge by a fraction of its range (Shift coarse, Ctrl fine)."""

    nudged = Signal(float)  # fraction of the range (signed)

    def _fraction(self, modifiers) -> float:
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            return NUDGE_FRACTION * 10
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            return NUDGE_FRACTION / 10
        return NUDGE_FRACTION

    def wheelEvent(self, ev):  # noqa: N802 - Qt API
        delta = ev.angleDelta().y() or ev.angleDelta().x()
        if delta:
            self.nudged.emit(math.copysign(self._fraction(ev.modifiers()), delta) * abs(delta) / 120)
        ev.accept()

    def keyPressEvent(self, ev):  # noqa: N802 - Qt API
        direction = {
            Qt.Key.Key_Up: 1,
            Qt.Key.Key_Right: 1,
            Qt.Key.Key_PageUp: 10,
            Qt.Key.Key_Down: -1,
            Qt.Key.Key_Left: -1,
            Qt.Key.Key_PageDown: -10,
        }.get(ev.key())
        if direction is None:
            super().keyPressEvent(ev)
            return
        self.nudged.emit(direction * self._fraction(ev.modifiers()))
        ev.accept()


class GradientBar(QWidget):
    """A horizontal arrow: direction −∂L/∂k (the way to turn), length |∂L/∂k| relative to the largest.

    The two directions differ in more than colour: "turn up" is a solid arrow pointing right, "turn down"
    a hollow one pointing left, in the look's two direction colours (blue and orange, never red and green).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._share = 0.0
        self.setMinimumSize(44, 14)
        self.setMaximumWidth(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_share(self, share: float) -> None:
        """Signed share in [−1, 1] of the steepest knob's pull; positive means 'turn up'."""
        self._share = float(np.clip(share, -1.0, 1.0)) if math.isfinite(share) else 0.0
        self.update()

    def share(self) -> float:
        """The signed share drawn: positive points right ('turn the knob up'), negative left."""
        return self._share

    def sizeHint(self):  # noqa: N802 - Qt API
        return QSize(60, max(16, self.fontMetrics().height()))  # it expands into whatever room the row has

    def paintEvent(self, _ev):  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        look = current_look()
        w, h = self.width(), self.height()
        mid = w / 2
        painter.setPen(QColor(150, 150, 150))
        painter.drawLine(int(mid), 1, int(mid), h - 1)
        length = self._share * (mid - 6)
        if abs(length) >= 1:
            up = length > 0
            colour = look.colour("turn_up" if up else "turn_down")
            top, bar_h = h * 0.3, h * 0.4
            tip = mid + length
            head = 5 if up else -5
            body = QRectF(min(mid, tip), top, abs(length), bar_h)
            arrow = QPolygonF([QPointF(tip, 1), QPointF(tip + head, h / 2), QPointF(tip, h - 1)])
            if up:  # solid
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
            else:  # hollow: an outline, so that the direction reads without colour too
                painter.setPen(QPen(colour, max(1.5, look.line(1.5))))
                painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(body)
            painter.drawPolygon(arrow)
        painter.end()


class KnobRow:
    """One coefficient's widgets: label, dial, number box, gradient bar and gradient number."""

    def __init__(self, index: int, grid: QGridLayout, row: int, panel: KnobPanel, name: str = ""):
        self.index = index
        self.name = name or f"k{index}"
        self.range = 1.0
        self._panel = panel
        self._drag_id = None
        self._updating = False
        self.label = QLabel(self.name)
        self.dial = KnobDial()
        self.dial.setObjectName(f"knob{index}")
        self.dial.setRange(-DIAL_STEPS // 2, DIAL_STEPS // 2)
        self.dial.setNotchesVisible(True)
        self.dial.setWrapping(False)
        self.dial.setToolTip(f"Turn {self.name}: drag, mouse wheel or arrow keys (Shift coarse, Ctrl fine)")
        self.dial.setAccessibleName(f"Knob {self.name}")
        self.spin = SciSpinBox()
        self.spin.setObjectName(f"knobValue{index}")
        self.spin.setRange(-1e300, 1e300)
        self.spin.setToolTip(f"Type an exact value for {self.name}")
        self.spin.setAccessibleName(f"Value of {self.name}")
        self.spin.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # the arrow takes the room
        self.bar = GradientBar()
        self.bar.setObjectName(f"knobGradientBar{index}")
        self.grad_label = QLabel("")
        self.grad_label.setObjectName(f"knobGradient{index}")
        self.grad_label.setToolTip(
            f"∂L/∂{self.name} from the backprop engine (positive: the loss rises as {self.name} rises).\n"
            f"The arrow points the other way: the way to turn {self.name} to lower the loss, and its "
            "length how hard, compared with the other knobs"
        )
        self.bar.setToolTip(self.grad_label.toolTip())
        self.bar.setAccessibleName(f"Which way to turn {self.name}")
        self.grad_label.setAccessibleName(f"Gradient of the loss with respect to {self.name}")
        self.apply_look()
        for col, widget in enumerate((self.label, self.dial, self.spin, self.bar, self.grad_label)):
            grid.addWidget(widget, row, col)
        self.dial.sliderPressed.connect(self._on_dial_pressed)
        self.dial.sliderMoved.connect(self._on_dial_moved)
        self.dial.sliderReleased.connect(self._on_dial_released)
        self.dial.nudged.connect(self._on_dial_nudged)
        self.spin.valueChanged.connect(self._on_spin_changed)

    def widgets(self):
        return (self.label, self.dial, self.spin, self.bar, self.grad_label)

    def apply_look(self) -> None:
        """Fonts and sizes from the look: the knob's name bold, the gradient in digits that line up."""
        look = current_look()
        self.label.setFont(scaled_font(base_points(), bold=True))
        self.grad_label.setFont(scaled_font(base_points(), family="monospace"))
        widest = number_text.widest(number_text.GRADIENT_DIGITS, sign=True)
        self.grad_label.setMinimumWidth(self.grad_label.fontMetrics().horizontalAdvance(widest) + 8)
        self.spin.setMinimumWidth(self.spin.fontMetrics().horizontalAdvance("−0.000000e+00") + 24)
        self.set_dial_size(dial_size(look))

    def set_dial_size(self, side: int) -> None:
        """Draw the dial ``side`` pixels wide and high."""
        if self.dial.width() != side or self.dial.minimumWidth() != side:
            self.dial.setFixedSize(side, side)

    def show_value(self, value: float, grad: float, share: float) -> None:
        """Display a knob value and its gradient (never re-emits as a user edit)."""
        self._updating = True
        try:
            self.range = nice_range(value, self.range)
            if not self.dial.isSliderDown():
                self.dial.setValue(int(round(value / self.range * (DIAL_STEPS / 2))))
            self.spin.setSingleStep(self.range * NUDGE_FRACTION)
            self.spin.setValue(value)
            self.bar.set_share(share)
            self.grad_label.setText(
                number_text.gradient(grad, self._panel.number_style) if math.isfinite(grad) else "…"
            )
        finally:
            self._updating = False

    def _on_dial_pressed(self):
        self._drag_id = ("knob drag", next(_drag_ids))

    def _on_dial_moved(self, position: int):
        if self._updating:
            return
        value = position / (DIAL_STEPS / 2) * self.range
        self._panel.knobTurned.emit(self.index, value, self._drag_id)

    def _on_dial_released(self):
        self._drag_id = None

    def _on_dial_nudged(self, fraction: float):
        value = float(self._panel.document.state.theta[self.index]) + fraction * self.range
        self._panel.knobTurned.emit(self.index, value, None)

    def _on_spin_changed(self, value: float):
        if not self._updating:
            self._panel.knobTurned.emit(self.index, float(value), None)


class KnobPanel(QWidget):
    """All knobs, rebuilt when the degree changes, refreshed whenever the knobs or the data change."""

    knobTurned = Signal(int, float, object)  # knob index, new value, drag id (the turns of one drag: one step)

    def __init__(self, document: FitDocument, parent=None):
        super().__init__(parent)
        self.setObjectName("knobPanel")
        self.document = document
        self.rows: list[KnobRow] = []
        self._headers: list[QLabel] = []
        self._names: list[tuple[int, str, str]] = []
        self.number_style = app_number_style()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        self.loss_label = QLabel()
        self.loss_label.setObjectName("lossLabel")
        self.loss_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loss_label.setToolTip("The current loss: how far the curve is from the points (lower is better)")
        self.best_label = QLabel()
        self.best_label.setObjectName("bestManualLabel")
        self.best_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.best_label.setToolTip("The lowest loss you have reached by turning the knobs by hand")
        self.formula_label = QLabel()
        self.formula_label.setObjectName("formulaLabel")
        self.formula_label.setWordWrap(True)
        self.formula_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula_label.setToolTip("The current curve as a polynomial in your x")
        outer.addWidget(self.loss_label)
        outer.addWidget(self.best_label)
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setVerticalSpacing(2)
        header = self.header = QLabel(KNOB_HEADER)
        header.setObjectName("knobHeader")
        header.setWordWrap(True)
        header.setStyleSheet("color: gray")
        scroll = self._scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._grid_host)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(header)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.formula_label)
        document.knobsChanged.connect(self.refresh)
        document.factsChanged.connect(self.refresh)
        document.modelChanged.connect(self._rebuild)
        document.trailChanged.connect(self._refresh_best)
        look_manager().changed.connect(self.apply_look)
        self._grow_timer = QTimer(self, singleShot=True, interval=0)  # once the layout has settled
        self._grow_timer.timeout.connect(self._grow_dials)
        # The formula wrapping onto another line takes height from the knobs: fit the dials again.
        scroll.verticalScrollBar().rangeChanged.connect(lambda *_: self._grow_timer.start())
        self._rebuild()
        self.apply_look()

    @Slot()
    def apply_look(self) -> None:
        """The loss readout big, every row at the look's sizes, and room for every row of a small model."""
        self.loss_label.setFont(scaled_font(22, bold=True))
        for row in self.rows:
            row.apply_look()
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Room for up to ``ROWS_WITHOUT_SCROLLING`` knob rows at the smallest dial size (a degree-5 polynomial
        never scrolls), and for a row's whole width; more rows than that scroll."""
        shown = self.rows[:ROWS_WITHOUT_SCROLLING]
        spacing = self._grid.verticalSpacing()
        row_height = max([dial_size(current_look())] + [r.spin.sizeHint().height() for r in shown])
        headers = sum(h.sizeHint().height() + spacing for h in self._headers[: len(shown)])
        rows_height = len(shown) * (row_height + spacing) + headers
        frame = 2 * self._scroll.frameWidth()
        bar = self._scroll.verticalScrollBar().sizeHint().width() if len(self.rows) > len(shown) else 0
        for row in self.rows:  # measure the width at the smallest dials
            row.set_dial_size(dial_size(current_look()))
        self._grid.activate()
        self._scroll.setMinimumHeight(rows_height + frame)
        # the least each column needs (the gradient arrow takes what is left): a dock is never forced wider
        self._scroll.setMinimumWidth(self._grid_host.minimumSizeHint().width() + frame + bar)
        self._grow_timer.start()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Bigger dials when the dock has room for them (a classroom sees them from afar)."""
        super().resizeEvent(event)
        self._grow_timer.start()

    @Slot()
    def _grow_dials(self) -> None:
        if not self.rows or len(self.rows) > ROWS_WITHOUT_SCROLLING:
            return
        spacing = self._grid.verticalSpacing()
        room = (self._scroll.viewport().height() - spacing * len(self.rows)) // len(self.rows)
        # Never smaller than MIN_DIAL, and smaller than the look's size rather than hide k5 behind a scroll bar
        side = max(MIN_DIAL, min(round(MAX_DIAL * current_look().text_scale ** 0.5), room - 2))
        for row in self.rows:
            row.set_dial_size(side)

    @Slot()
    def _rebuild(self) -> None:
        """One row per knob; the net's weights come grouped under a header per layer."""
        names = knob_names(self.document.state)
        if names == self._names:
            self.refresh()
            return
        self._names = names
        # A new grid, filled off screen, replaces the old one whole.  Rows added to a grid on show make
        # every widget re-lay out the others, and removing them one by one searches the grid each time:
        # both quadratic (a net of 2 × 20 hidden units took 4 s, 2 × 64 several minutes).
        old = self._scroll.takeWidget()
        old.hide()
        old.setParent(None)  # at once out of the window: findChild("knob3") must not find a dead row
        old.deleteLater()
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setVerticalSpacing(2)
        self._fill_grid(names)
        self._scroll.setWidget(self._grid_host)
        self._fit_rows()
        self.refresh()

    def _fill_grid(self, names: list[tuple[int, str, str]]) -> None:
        self.rows, self._headers = [], []
        grid_row = 0
        for index, name, header in names[:MAX_KNOB_ROWS]:
            if header:
                label = QLabel(header)
                label.setStyleSheet("color: gray; font-weight: bold; padding-top: 6px")
                self._grid.addWidget(label, grid_row, 0, 1, 5)
                self._headers.append(label)
                grid_row += 1
            self.rows.append(KnobRow(index, self._grid, grid_row, self, name))
            grid_row += 1
        if len(names) > MAX_KNOB_ROWS:
            more = QLabel(
                f"… and {len(names) - MAX_KNOB_ROWS:,} more weights, too many to turn one by one: "
                f"gradient descent trains all {len(names):,}"
            )
            more.setObjectName("moreKnobsLabel")
            more.setWordWrap(True)
            more.setStyleSheet("color: gray; padding-top: 6px")
            more.setToolTip(f"The first {MAX_KNOB_ROWS} knobs are shown")
            self._grid.addWidget(more, grid_row, 0, 1, 5)
            grid_row += 1
        if len(self.rows) <= ROWS_WITHOUT_SCROLLING:  # few rows: spread them over the room there is
            for row in range(grid_row):
                self._grid.setRowStretch(row, 1)
        else:
            self._grid.setRowStretch(grid_row, 1)

    @Slot()
    def refresh(self) -> None:
        """Show the document's knobs, their gradients, the loss and the formula."""
        if len(self.rows) != min(self.document.state.theta.size, MAX_KNOB_ROWS):
            self._rebuild()
            return
        evaluation = self.document.evaluation()
        theta = self.document.state.theta
        if evaluation is None:  # big data: the loss and gradient of these knobs are being computed
            for row, value in zip(self.rows, theta):
                row.show_value(float(value), math.nan, 0.0)
            self.loss_label.setText("loss computing…")
        else:
            loss, grad = evaluation
            steepest = float(np.max(np.abs(grad))) if grad.size else 0.0
            for row, value, g in zip(self.rows, theta, grad):
                share = -g / steepest if steepest > 0 else 0.0
                row.show_value(float(value), float(g), share)
            self.loss_label.setText(f"loss {number_text.loss(loss, self.number_style)}")
        self.formula_label.setText(self._formula())
        self._refresh_best()

    @Slot()
    def _refresh_best(self) -> None:
        best = self.document.best_manual
        shown = number_text.loss(best[0], self.number_style) if best else number_text.DASH
        self.best_label.setText(f"best by hand: {shown}")

    def _formula(self) -> str:
        doc = self.document
        if doc.state.model == "mlp":
            layers = " ".join(f"tanh(W{i + 1}·" for i in range(len(doc.state.hidden)))
            inner = "t" + "".join(f" + b{i + 1})" for i in range(len(doc.state.hidden)))
            return f"ŷ = w_out·{layers}{inner} + b_out, with t = x scaled to [−1, 1]  ({doc.state.theta.size} weights)"
        if doc.state.model == "formula":
            return f"y = {doc.problem.model.with_values(doc.state.theta, digits=4)}"
        coefficients = doc.problem.monomial_coefficients(doc.state.theta)
        text = ""
        for i, c in enumerate(coefficients):
            if c == 0 and i:
                continue
            power = "" if i == 0 else ("·x" if i == 1 else f"·x{_superscript(i)}")
            size = number_text.significant(abs(c), 4, self.number_style) + power
            negative = c < 0 or (c == 0 and math.copysign(1.0, c) < 0)
            if not text:
                text = ("−" if negative else "") + size
            else:  # "3.1 − 0.68·x²": the sign is the operator between terms, spaced as one
                text += (" − " if negative else " + ") + size
        text = text or "0"
        basis = doc.state.basis.kind
        note = "" if basis == "monomial" else f"  (knobs are {basis}-basis coefficients)"
        return f"y = {text}{note}"


GROUP_TITLES = {
    "W": "layer {n} weights W{n}",
    "b": "layer {n} biases b{n}",
    "w_out": "output weights w_out",
    "b_out": "output bias b_out",
}


def knob_names(state) -> list[tuple[int, str, str]]:
    """(theta index, knob name, header to show above it or "") for every knob of the state's model."""
    labels = state.build_model().parameter_labels()
    out = []
    for index, label in enumerate(labels):
        group = label.split("[")[0]
        first_of_group = index == 0 or labels[index - 1].split("[")[0] != group
        header = ""
        if state.model == "mlp" and first_of_group:
            header = GROUP_TITLES.get(group) or GROUP_TITLES[group[0]].format(n=group[1:])
        out.append((index, label, header))
    return out


def dial_size(look) -> int:
    """The smallest size of a knob's dial: bigger with the text, though not as much bigger."""
    return round(MIN_DIAL * max(1.0, look.text_scale**0.5))


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))

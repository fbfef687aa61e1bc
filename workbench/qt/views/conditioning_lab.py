"""The conditioning lab: why gradient descent crawls on raw powers of x, and where it breaks.

It shows the largest stable learning rate of plain gradient descent, 2/λ_max, and the condition number
λ_max/λ_min of the loss Hessian for the current data, degree, basis and loss; warns when the learning
rate is above the limit; explains in a few lines why raw monomials on a wide x range make gradient
descent crawl; and offers a one-click switch to the scaled or Legendre basis that shows the condition
number drop.  A learning-rate sweep (many short runs over a log grid of rates, a task in a compute process;
the document keeps it) plots where each run ended against its rate, with the divergence cliff it found and
the 2/λ_max line.  Buttons and clicks are requests (signals); the lab draws what the document holds.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.fitting.optimizers import OPTIMIZER_NAMES
from workbench.fitting.sweep import ABOVE_LIMIT, BELOW_LIMIT, FALLBACK_RANGE, SweepPoint, SweepResult, cliff_of
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.number_style import app_numbers
from workbench.qt.views.basis_ladder import BasisLadder
from workbench.qt.views.flow_layout import FlowLayout
from workbench.qt.views.per_dataset import PerDataset
from workbench.qt.views.sweep_plot import LIMIT_COLOUR, SweepPlot

WARNING_STYLE = "color: #c62828; font-weight: bold;"

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


LAB_DIGITS = 3  # significant digits of the lab's numbers (limits, condition numbers, rates)


def format_number(value: float | None, digits: int = LAB_DIGITS) -> str:
    """A number of the lab, written by the one number formatter (``number_text``) in the user's locale."""
    return app_numbers().significant(value, digits)


def explanation(kind: str, condition_number: float, x_lo: float, x_hi: float, degree: int, distinct_x: int) -> str:
    """A few lines for a student: why this basis makes gradient descent crawl (or not)."""
    if degree == 0:
        return "One knob, one curvature: any learning rate below the limit converges quickly."
    if math.isinf(condition_number) and degree + 1 > distinct_x:
        return (
            f"{degree + 1} knobs but only {distinct_x} distinct x values: some direction has no curvature "
            "at all, and gradient descent never settles along it."
        )
    if math.isinf(condition_number):
        return (
            "The flattest curvature is too small for double precision to tell from zero (a condition "
            "number beyond 10¹⁶): along it gradient descent would need more steps than it can ever take.  "
            "Switch basis to see it become reasonable."
        )
    decades = math.log10(max(condition_number, 1.0))
    spread = (
        f"spread over {decades:.0f} orders of magnitude"
        if decades >= 1.5
        else f"lie within a factor of {format_number(condition_number, 2)}"
    )
    steps = format_number(condition_number, 2)
    if kind == "monomial":
        power = str(degree).translate(_SUPERSCRIPT)
        return (
            f"Why so slow?  On x from {format_number(x_lo)} to {format_number(x_hi)} the columns 1, x, …, "
            f"x{power} rise almost together: nearly parallel.  The loss valley's curvatures {spread}, and a step "
            f"small enough for the steepest one barely moves along the flattest: about {steps} steps "
            "to converge."
        )
    if kind == "orthonormal":
        return (
            "Polynomials orthonormal on your data: every direction of the valley has the same curvature "
            f"(condition number {format_number(condition_number, 3)}), so one step at the rate 1/λ lands on "
            "the optimum."
        )
    what = "Powers of t = x scaled to [−1, 1]" if kind == "scaled" else "Legendre polynomials"
    if decades >= 3:  # honest: still a narrow valley in this basis
        return (
            f"{what} still leave the curvatures {spread}: at degree {degree} the functions look alike on "
            f"these points, and plain gradient descent needs about {steps} steps.  The orthonormal basis "
            "brings the condition number to 1."
        )
    return (
        f"{what} keep the columns apart: the curvatures {spread}, so one learning rate suits every "
        f"direction (about {steps} steps to converge)."
    )


def switch_outcome(before: float, after: float) -> str:
    """One sentence on what the last basis switch did to the condition number (truthfully: it may not help)."""
    if not (math.isfinite(before) and math.isfinite(after)) or after <= 0:
        return f"The switch changed the condition number from {format_number(before)} to {format_number(after)}."
    ratio = before / after
    if ratio >= 2:
        return f"The switch made the valley {format_number(ratio, 2)} times rounder."
    if ratio > 0.5:
        return (
            f"The switch changed little (condition number {format_number(before)} → {format_number(after)}): "
            "x already lies near [−1, 1], or the degree itself makes the functions alike."
        )
    return f"The switch made the valley {format_number(1 / ratio, 2)} times narrower."


FULL_EXPLANATION = (
    "Gradient descent takes steps of lr·∂L/∂k.  The loss of a polynomial fit is a bowl whose curvatures\n"
    "along its principal directions are the Hessian eigenvalues λ.  Along a direction of curvature λ each\n"
    "step multiplies the remaining error by (1 − lr·λ): it shrinks only if lr < 2/λ.  So the steepest\n"
    "direction caps the learning rate at 2/λ_max, and along the flattest one each step then removes only\n"
    "about λ_min/λ_max of the error: convergence takes of the order of the condition number λ_max/λ_min\n"
    "steps.\n\n"
    "For example, raw powers x, x², …, x⁵ on x from 0 to 20 grow almost together (the columns are\n"
    "nearly parallel), so the bowl is a razor-thin valley with a condition number near 10¹³.  Mapping x\n"
    "onto [−1, 1] (scaled basis) keeps the powers apart; Legendre polynomials are nearly orthogonal on\n"
    "the data and bring the condition number close to 1.  The curve is the same in every basis."
)


# -- the view -------------------------------------------------------------------------------------------
def _x_facts(x: np.ndarray) -> tuple[float, float, int]:
    """Smallest and largest x, and how many distinct x there are (what the explanation tells)."""
    if x.size and not np.any(x[1:] < x[:-1]):  # in order already, as many files are: no sort needed
        return float(x[0]), float(x[-1]), int(np.count_nonzero(x[1:] != x[:-1])) + 1
    return float(x.min()), float(x.max()), int(np.unique(x).size)


def _problem_key(document: FitDocument) -> tuple:
    s = document.state
    return (s.dataset, s.degree, s.basis, s.loss, s.split)


def _same_problem(a: tuple | None, b: tuple | None) -> bool:
    return a is not None and b is not None and a[0] is b[0] and a[1:] == b[1:]


class ConditioningLab(QWidget):
    """Stability limit, condition number, why raw monomials crawl, basis switches, learning-rate sweep."""

    sweepFinished = Signal(object)  # SweepResult, after the plot shows it (stopped sweeps too)
    basisRequested = Signal(str)
    settingsRequested = Signal(dict)  # a learning rate picked on the sweep plot
    sweepRequested = Signal()
    sweepStopRequested = Signal()

    def __init__(self, document: FitDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("conditioningLab")
        self.document = document
        self._limit: float | None = None
        self._condition: float | None = None
        self._drop: tuple[float, float] | None = None  # condition number before → after a switch
        self._seen: tuple[tuple, float | None] | None = None  # (problem key, condition number) last shown
        self._announced = None  # the last sweep whose end was announced (sweepFinished)
        self._numbers_for = None  # (FitState, RunSettings) the numbers were last computed for
        self._x_facts: PerDataset[tuple[float, float, int]] = PerDataset()  # the data's x range, distinct x

        self._build_ui()
        document.stateChanged.connect(self._on_document_changed)
        document.settingsChanged.connect(self._on_document_changed)
        document.sweepChanged.connect(self._on_sweep_changed)
        document.factsChanged.connect(self._on_facts_changed)
        self._on_document_changed()
        self._on_sweep_changed()

    # -- building -------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.limit_label = QLabel(objectName="stabilityLimitLabel")
        self.limit_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        limit_name = QLabel("Stability limit 2/λ_max:")
        tip = (
            "The largest learning rate plain gradient descent survives: 2/λ_max, where λ_max is the\n"
            "largest curvature (Hessian eigenvalue) of the loss.  Above it, every step overshoots."
        )
        limit_name.setToolTip(tip)
        self.limit_label.setToolTip(tip)
        self.condition_label = QLabel(objectName="conditionNumberLabel")
        self.condition_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        condition_name = QLabel("Condition number:")
        tip = (
            "λ_max/λ_min of the loss Hessian: roughly how many gradient-descent steps it takes to\n"
            "converge at the largest stable learning rate."
        )
        condition_name.setToolTip(tip)
        self.condition_label.setToolTip(tip)
        for label in (self.limit_label, self.condition_label):
            font = label.font()
            font.setBold(True)
            label.setFont(font)
        # Flowing rows: in a narrow dock (or with presentation mode's text) they wrap, never scroll sideways.
        numbers = FlowLayout(spacing=16)
        for name, value in ((limit_name, self.limit_label), (condition_name, self.condition_label)):
            pair = QWidget()
            pair_layout = QHBoxLayout(pair)
            pair_layout.setContentsMargins(0, 0, 0, 0)
            pair_layout.setSpacing(6)
            pair_layout.addWidget(name)
            pair_layout.addWidget(value)
            numbers.addWidget(pair)

        self.lr_label = QLabel(objectName="learningRateWarningLabel")
        self.lr_label.setWordWrap(True)
        self.explanation_label = QLabel(objectName="conditioningExplanation")
        self.explanation_label.setWordWrap(True)
        self.explanation_label.setToolTip(FULL_EXPLANATION)
        font = self.explanation_label.font()
        font.setPointSizeF(font.pointSizeF() * 0.92)
        self.explanation_label.setFont(font)

        self.scaled_button = QPushButton("Scaled", objectName="switchScaledButton")
        self.scaled_button.setToolTip("Use powers of x scaled to [−1, 1] (the curve stays where it is)")
        self.legendre_button = QPushButton("Legendre", objectName="switchLegendreButton")
        self.legendre_button.setToolTip("Use Legendre polynomials (the curve stays where it is)")
        self.orthonormal_button = QPushButton("Orthonormal", objectName="switchOrthonormalButton")
        self.orthonormal_button.setToolTip(
            "Use polynomials orthonormal on your data: every curvature equal, so plain gradient descent lands "
            "on the optimum in a step or two (the curve stays where it is)"
        )
        self.ladder = BasisLadder(self.document)
        self.sweep_button = QPushButton("Sweep learning rates", objectName="sweepButton")
        self.sweep_button.setToolTip(
            "Many short runs from the current knobs over a log grid of learning rates, "
            "in the background:\nwhere does gradient descent start to diverge?"
        )
        self.scaled_button.clicked.connect(self._on_scaled_clicked)
        self.legendre_button.clicked.connect(self._on_legendre_clicked)
        self.orthonormal_button.clicked.connect(lambda: self.switch_basis("orthonormal"))
        self.sweep_button.clicked.connect(self._on_sweep_clicked)
        # Short names after one "Switch to basis:", and the sweep button beside the sweep's status: a row of
        # four long buttons made the lab (and every dock tabbed with it) too wide for the loss history.  The
        # row wraps when the dock is narrow or the text is big.
        buttons = FlowLayout()
        buttons.addWidget(QLabel("Switch to basis:"))
        for button, kind in (
            (self.scaled_button, "scaled"),
            (self.legendre_button, "Legendre"),
            (self.orthonormal_button, "orthonormal"),
        ):
            button.setAccessibleName(f"Switch to {kind} basis")
            buttons.addWidget(button)

        self.sweep_status = QLabel(objectName="sweepStatusLabel")
        self.sweep_status.setWordWrap(True)
        self.plot = SweepPlot()
        self.plot.rateClicked.connect(self._on_plot_rate_clicked)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(numbers)
        layout.addWidget(self.lr_label)
        layout.addWidget(self.explanation_label)
        layout.addWidget(self.ladder)
        layout.addLayout(buttons)
        layout.addWidget(self.plot, 1)
        sweep_row = QHBoxLayout()
        sweep_row.addWidget(self.sweep_status, 1)
        sweep_row.addWidget(self.sweep_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(sweep_row)

    # -- public API --------------------------------------------------------------------------------
    @property
    def stability_limit(self) -> float | None:
        """2/λ_max shown (None for models without a closed-form Hessian, or without data)."""
        return self._limit

    @property
    def condition_number(self) -> float | None:
        """λ_max/λ_min shown (None when not available)."""
        return self._condition

    @property
    def condition_drop(self) -> tuple[float, float] | None:
        """(before, after) of the last basis switch, while data, degree and loss stay the same."""
        return self._drop

    @property
    def lr_above_limit(self) -> bool:
        """True when plain gradient descent's learning rate is above the stability limit."""
        s = self.document.settings
        return s.optimizer == "gd" and self._limit is not None and s.lr > self._limit

    @property
    def sweep_running(self) -> bool:
        """True while a sweep runs in the background."""
        sweep = self.document.sweep
        return sweep is not None and sweep.running

    @property
    def sweep_result(self) -> SweepResult | None:
        """The last finished (or stopped) sweep of this problem."""
        sweep = self.document.sweep
        return None if sweep is None else sweep.result

    @property
    def sweep_points_so_far(self) -> tuple[SweepPoint, ...]:
        """The rates that have finished in the current (or last) sweep."""
        return tuple(self._points)

    @property
    def _points(self) -> list[SweepPoint]:
        sweep = self.document.sweep
        return [] if sweep is None else sweep.points

    @property
    def _sweep_rates(self) -> np.ndarray | None:
        sweep = self.document.sweep
        return None if sweep is None else sweep.rates

    @property
    def _stale(self) -> bool:
        """The sweep shown was for another optimiser than the one chosen now."""
        sweep = self.document.sweep
        return sweep is not None and sweep.optimizer != self.document.settings.optimizer

    def switch_basis(self, kind: str) -> None:
        """Ask for another basis; the condition number's drop is shown afterwards."""
        self.basisRequested.emit(kind)

    def start_sweep(self) -> bool:
        """Ask for a sweep from the current knobs (False if one runs or there is no data)."""
        if self.sweep_running or self.document.dataset.n == 0:
            return False
        self.sweepRequested.emit()
        return self.sweep_running

    def stop_sweep(self) -> None:
        """Ask for the sweep to end now (the rates that finished stay)."""
        self.sweepStopRequested.emit()

    # -- handlers ------------------------------------------------------------------------------------
    @Slot()
    def _on_scaled_clicked(self) -> None:
        self.switch_basis("scaled")

    @Slot()
    def _on_legendre_clicked(self) -> None:
        self.switch_basis("legendre")

    @Slot()
    def _on_sweep_clicked(self) -> None:
        if self.sweep_running:
            self.stop_sweep()
        else:
            self.start_sweep()

    @Slot()
    def _on_sweep_changed(self) -> None:
        sweep = self.document.sweep
        self.sweep_button.setText("Stop" if self.sweep_running else "Sweep learning rates")
        self.sweep_button.setEnabled(self.document.dataset.n > 0 or self.sweep_running)
        self._draw_sweep()
        self._show_sweep_status(error=sweep.error if sweep is not None else "")
        if sweep is not None and not sweep.running and sweep is not self._announced:
            self._announced = sweep
            if sweep.result is not None:
                self.sweepFinished.emit(sweep.result)

    @Slot()
    def _on_facts_changed(self) -> None:
        self._numbers_for = None  # big data's Hessian arrived: show it
        self._on_document_changed()

    @Slot(float)
    def _on_plot_rate_clicked(self, rate: float) -> None:
        self.settingsRequested.emit({"lr": rate})

    @Slot()
    def _on_document_changed(self) -> None:
        key = _problem_key(self.document)
        state, settings = self.document.state, self.document.settings
        shown = self._numbers_for
        if shown is not None and shown[0].same_problem(state) and shown[1] == settings:
            return  # only the knobs moved: limit, condition number and explanation are unchanged
        self._numbers_for = (state, settings)
        self._refresh_numbers(key)
        self._draw_sweep()
        self._show_sweep_status()

    # -- the numbers and the explanation --------------------------------------------------------------
    def _refresh_numbers(self, key: tuple) -> None:
        document = self.document
        has_data = document.dataset.n > 0
        cond = document.conditioning if has_data else None
        kind = document.state.basis.kind
        polynomial = document.problem.is_polynomial
        self._limit = None
        self._condition = None
        if cond is not None and math.isfinite(cond.max_stable_lr):
            self._limit = cond.max_stable_lr
            self._condition = cond.condition_number
        self._track_drop(key)

        self.limit_label.setProperty("value", self._limit)
        self.condition_label.setProperty("value", self._condition)
        if polynomial and has_data and document.pending and cond is None:
            self.limit_label.setText("computing…")
            self.condition_label.setText("computing…")
            self.explanation_label.setText("The Hessian of these many points is being computed in the background.")
        elif not polynomial:
            model = "a formula" if document.state.model == "formula" else "the neural net"
            self.limit_label.setText(f"not available for {model}")
            self.condition_label.setText(f"not available for {model}")
            self.explanation_label.setText(
                f"The loss of {model} is not a quadratic bowl: its curvature "
                "changes from place to place, so there is no single limit.  "
                "The sweep still shows where training blows up."
            )
        elif self._limit is None:
            self.limit_label.setText("—")
            self.condition_label.setText("—")
            self.explanation_label.setText("Add data points to see how hard this fit is for gradient descent.")
        else:
            approx = "" if document.state.loss.is_squared_error else " (squared-error guide)"
            self.limit_label.setText(format_number(self._limit) + approx)
            text = format_number(self._condition)
            if self._drop is not None:
                text = f"{format_number(self._drop[0])} → {format_number(self._drop[1])}"
            self.condition_label.setText(text)
            # Once per dataset, not on every arrival of big data's facts: counting distinct x sorts them all
            # (0.2 s at 10⁷ points).
            data = document.dataset
            x_lo, x_hi, distinct = self._x_facts.get(data, lambda: _x_facts(data.x))
            text = explanation(kind, self._condition, x_lo, x_hi, document.state.degree, distinct)
            if self._drop is not None:
                text = f"{switch_outcome(*self._drop)}  {text}"
            self.explanation_label.setText(text)
        self.scaled_button.setEnabled(polynomial and has_data and kind != "scaled")
        self.legendre_button.setEnabled(polynomial and has_data and kind != "legendre")
        self.orthonormal_button.setEnabled(polynomial and has_data and kind != "orthonormal")
        self.sweep_button.setEnabled(has_data or self.sweep_running)
        self._show_lr_relation()

    def _track_drop(self, key: tuple) -> None:
        """Remember the condition number across a basis switch (same data, degree and loss)."""
        seen = self._seen
        self._seen = (key, self._condition)
        if seen is None or _same_problem(seen[0], key):
            return
        old_key, old_condition = seen
        only_basis = (
            old_key[0] is key[0] and old_key[1] == key[1] and old_key[3] == key[3] and old_key[2].kind != key[2].kind
        )
        if only_basis and old_condition is not None and self._condition is not None:
            self._drop = (old_condition, self._condition)
        else:
            self._drop = None

    def _show_lr_relation(self) -> None:
        s = self.document.settings
        limit = self._limit
        if limit is None:
            self.lr_label.setText("")
            self.lr_label.setVisible(False)
            return
        self.lr_label.setVisible(True)
        lr, shown = s.lr, format_number(s.lr)
        if s.optimizer != "gd":
            name = OPTIMIZER_NAMES.get(s.optimizer, s.optimizer)
            self.lr_label.setStyleSheet("")
            self.lr_label.setText(
                f"The limit is for plain gradient descent; {name} has a stable range of its own (your rate {shown})."
            )
        elif lr > limit:
            self.lr_label.setStyleSheet(WARNING_STYLE)
            self.lr_label.setText(
                f"⚠ Your learning rate {shown} is above the limit {format_number(limit)}: "
                f"gradient descent will diverge.  Try {format_number(0.9 * limit)}."
            )
        else:
            ratio = lr / limit
            share = f"{app_numbers().percent(ratio)} of it" if ratio >= 0.01 else f"only {format_number(ratio)} of it"
            slow = "" if ratio >= 0.01 else ", but slow"
            self.lr_label.setStyleSheet(f"color: rgb{LIMIT_COLOUR};")
            self.lr_label.setText(f"✓ Your learning rate {shown} is below the limit ({share}): stable{slow}.")

    # -- the plot ------------------------------------------------------------------------------------
    def _x_span(self) -> tuple[float, float] | None:
        rates = self._sweep_rates
        if rates is None or self._stale:
            if self.document.dataset.n == 0:
                return None
            cond = self.document.conditioning
            limit = cond.max_stable_lr if cond is not None else math.nan
            if not (math.isfinite(limit) and limit > 0):
                return FALLBACK_RANGE
            return BELOW_LIMIT * limit, ABOVE_LIMIT * limit
        return float(rates[0]), float(rates[-1])

    def _draw_lines(self) -> None:
        self.plot.show_lines(self._x_span(), self._limit, self.document.settings.lr)

    def _draw_sweep(self) -> None:
        self.plot.show_points(self._points, self._stale)
        self._draw_lines()

    def _show_sweep_status(self, error: str = "") -> None:
        points = self._points
        total = len(self._sweep_rates) if self._sweep_rates is not None else 0
        if error:
            self.sweep_status.setText(f"The sweep failed: {error}")
            return
        if self._stale:
            self.sweep_status.setText(
                "The last sweep (greyed, if still in view) was for another optimiser: sweep again."
            )
            return
        if self.sweep_running:
            steps = self.document.sweep.steps
            self.sweep_status.setText(f"Sweeping… {len(points)} of {total} rates ({steps} steps each)")
            return
        if self.sweep_result is None:
            self.sweep_status.setText(
                "Sweep: short runs over many learning rates show where gradient descent starts to diverge."
            )
            return
        cliff = cliff_of(points)
        stopped = f"Stopped after {len(points)} of {total} rates.  " if self.sweep_result.stopped else ""
        if cliff is None:
            found = "No rate diverged."
        else:
            found = f"Diverges above ≈ {format_number(cliff)}"
            if self._limit is not None:
                found += f" (2/λ_max = {format_number(self._limit)}: ratio {format_number(cliff / self._limit)})"
            found += "."
        self.sweep_status.setText(stopped + found)

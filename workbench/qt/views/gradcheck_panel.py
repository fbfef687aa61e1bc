"""The gradient check: backprop's ∂L/∂k beside central differences, knob by knob, at the current knobs.

Central differences need two forward passes per knob and no calculus, which makes them the independent
witness that backpropagation got the chain rule right.  A polynomial has at most 16 knobs, so the whole
check takes a few milliseconds and runs on the GUI thread.  A neural net can have thousands of weights:
then an evenly spread subset of ``MAX_CHECKED`` of them is checked (every layer is represented) and the
panel says so.  A result goes stale (greyed, with a note) as soon as knobs, data or model change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.engine.gradcheck import numerical_gradient, relative_error
from workbench.fitting import number_text
from workbench.fitting.problem import FitProblem
from workbench.fitting.sampling import evenly_sampled
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.number_style import app_numbers

TOLERANCE = 1e-6  # the bar: backprop and central differences agree to six digits
TOLERANCE_TEXT = number_text.significant(TOLERANCE, 1)
GRADIENT_DIGITS = 10  # six digits must agree: the columns show more than that
ERROR_DIGITS = 2
MAX_CHECKED = 32  # knobs checked per click (all of a polynomial's; a spread subset of a net's)
# Central-difference steps (relative, see numerical_gradient).  For a quadratic loss the difference is
# exact for any step, so a large one keeps rounding small; a curved loss needs a small step, and a kinked
# one (MAE, Huber) the smallest, so that the step rarely crosses a kink.
STEP_QUADRATIC, STEP_SMOOTH, STEP_KINKED = 1e-3, 1e-5, 1e-6
NOISE_SAFETY = 8.0  # measured rounding noise is scaled up by this (noisy differences may agree by chance)
GOOD = QColor(30, 130, 60)
BAD = QColor(190, 30, 30)
STALE = QColor(150, 150, 150)
NEUTRAL = QColor(110, 110, 110)
COLUMNS = ("Knob", "Backprop ∂L/∂k", "Central difference", "Relative error")
COLUMN_TIPS = (
    "The knob (coefficient) the derivative is taken with respect to.",
    "∂L/∂k from one forward and one backward pass through the engine (backpropagation).",
    "(L(k + h) − L(k − h)) / 2h: two forward passes, no calculus.  h is a small fraction of the knob,\n"
    "or of the knob size that moves the curve by about 1 if that is larger (10⁻³ for a squared-error\n"
    "polynomial loss, where the difference is exact for any step; 10⁻⁵ or 10⁻⁶ for curved or kinked ones).",
    "|backprop − central| / max(|backprop|, |central|, floor), in units where every knob moves the\n"
    "curve alike.  The floor (10⁻³ of the largest gradient entry, or the rounding noise of the\n"
    "difference if larger) keeps a nearly-zero entry from being judged to digits a difference of\n"
    "losses cannot resolve.  ✓ below 10⁻⁶; ≈ nearly zero, equal within rounding; ✗ disagree.",
)


@dataclass(frozen=True)
class GradientCheck:
    """Backprop and central-difference gradients of the checked knobs, and their relative errors."""

    names: tuple[str, ...]
    indices: np.ndarray  # which knobs were checked
    backprop: np.ndarray
    numeric: np.ndarray
    relative: np.ndarray
    noise: np.ndarray  # rounding noise of each central difference (its resolution)
    n_params: int  # how many knobs the model has in all

    @property
    def rounding_limited(self) -> np.ndarray:
        """Per knob: both gradients are within the central difference's rounding noise of 0, or differ
        by more than ``TOLERANCE`` but by no more than that noise.  Such a gradient is nearly 0 (the
        knobs are at or next to the optimum along it) and cannot be checked to six digits there."""
        difference = np.abs(self.backprop - self.numeric)
        near_zero = np.maximum(np.abs(self.backprop), np.abs(self.numeric)) <= self.noise
        return near_zero | ((self.relative >= TOLERANCE) & (difference <= self.noise))

    @property
    def max_error(self) -> float:
        """The largest relative error among the knobs that could be checked (0 when none could)."""
        return float(np.max(self.relative[~self.rounding_limited], initial=0.0))

    @property
    def passed(self) -> bool:
        """True when every checkable knob's relative error is below ``TOLERANCE``."""
        return self.max_error < TOLERANCE

    @property
    def checked_all(self) -> bool:
        """True when every knob was checked (always, for polynomials)."""
        return self.indices.size == self.n_params


def knob_names(problem: FitProblem) -> list[str]:
    """The knobs' names as the knob panel shows them: k0 … kD for polynomials, a formula's own parameter
    names, W1[i,j], b1[j], …, w_out[j], b_out for the neural net."""
    return list(problem.model.parameter_labels())


def checked_indices(n_params: int, limit: int = MAX_CHECKED) -> np.ndarray:
    """All knobs when there are at most ``limit``, else ``limit`` of them spread evenly (first and last kept)."""
    if n_params <= limit:
        return np.arange(n_params)
    return np.unique(np.linspace(0, n_params - 1, limit).round().astype(int))


def knob_scales(problem: FitProblem) -> np.ndarray:
    """How big a change of each knob moves the curve by about 1: 1/max|φ_i(x)| for polynomials, else 1.

    Central-difference steps and relative errors are taken in these units, so that x⁸'s knob on x up to
    20 (where 10⁻⁶ would move the curve by 25 000) is probed as gently as the constant's.
    """
    if not problem.is_polynomial or problem.x.size == 0:
        return np.ones(problem.n_params)
    reach = np.max(np.abs(problem.design_matrix), axis=0)
    return np.where(np.isfinite(reach) & (reach > 0), 1.0 / np.where(reach > 0, reach, 1.0), 1.0)


def _measured_noise(f, u: np.ndarray, eps: float, first: np.ndarray) -> float:
    """The rounding noise of this check's central differences (in curve units), measured.

    The estimate in numerical_gradient assumes each loss is right to a few ulps; near the optimum of a
    badly conditioned fit it carries far more rounding (residuals are small differences of large
    predictions).  Differences with steps h/2 and 2h differ from the first by about that rounding (for
    a quadratic loss they are otherwise exact, for a smooth one nearly so).  In curve units every knob
    sees about the same noise, so the largest is taken.  (Backprop itself is never the yardstick: a
    second backprop route would share, and so hide, a fault of the first.)
    """
    spread = 0.0
    for factor in (0.5, 2.0):
        other = numerical_gradient(f, u, factor * eps)
        spread = max(spread, float(np.max(np.abs(other - first), initial=0.0)))
    return NOISE_SAFETY * spread


def step_size(problem: FitProblem) -> float:
    """The relative central-difference step: large for quadratic losses, small for curved or kinked ones."""
    if problem.loss.kind in ("mae", "huber"):
        return STEP_KINKED
    return STEP_QUADRATIC if problem.is_polynomial else STEP_SMOOTH


def check_knobs(problem: FitProblem, theta, limit: int = MAX_CHECKED) -> GradientCheck:
    """Compare backprop with central differences at ``theta`` (at most ``limit`` knobs, spread evenly)."""
    theta = np.array(theta, dtype=np.float64)
    _, grad = problem.value_and_grad(theta)
    grad = np.array(grad, dtype=np.float64)
    idx = checked_indices(theta.size, limit)
    scale = knob_scales(problem)[idx]

    # In units u = k/scale the engine's rule h = eps·max(1, |u|) is a step that nudges the curve.
    u = theta[idx] / scale

    def loss_in_units(v: np.ndarray) -> float:
        probe = theta.copy()
        # theta + step, never v·scale: that round trip would move the centre off theta by a rounding,
        # which on a steep valley changes the gradient more than the check can tolerate.
        probe[idx] = theta[idx] + (v - u) * scale
        return problem.loss_at(probe)

    eps = step_size(problem)
    numeric_u, noise_u = numerical_gradient(loss_in_units, u, eps, return_noise=True)
    backprop_u = grad[idx] * scale
    # As in check_gradient: judge each entry against its own size, but never finer than 1e-3 of the
    # gradient's scale (in curve units) or the rounding noise of the difference.
    largest = float(np.max(np.abs(backprop_u), initial=0.0))
    floor = np.maximum(noise_u, max(1e-3 * largest, np.finfo(np.float64).tiny))
    relative = relative_error(backprop_u, numeric_u, floor)
    if np.any(relative >= TOLERANCE):  # only then is it worth a closer look at the noise
        noise_u = np.maximum(noise_u, _measured_noise(loss_in_units, u, eps, numeric_u))
    names = knob_names(problem)
    return GradientCheck(
        tuple(names[i] for i in idx), idx, grad[idx], numeric_u / scale, relative, noise_u / scale, theta.size
    )


def _state_key(document: FitDocument) -> tuple:
    s = document.state
    return (s.dataset, s.degree, s.basis, s.loss, s.split, s.theta.tobytes())


def _same_key(a: tuple | None, b: tuple | None) -> bool:
    if a is None or b is None:
        return False
    return a[0] is b[0] and a[1:] == b[1:]


SAMPLE_POINTS = 20_000  # a check of more points is done on this many, spread evenly (the engine is the same)


class GradientCheckPanel(QWidget):
    """One click compares backprop with central differences for every knob, in a table."""

    checked = Signal(object)  # GradientCheck, after the table has been filled

    def __init__(self, document: FitDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("gradientCheckPanel")
        self.document = document
        self._result: GradientCheck | None = None
        self._key: tuple | None = None
        self._stale = False

        intro = QLabel(
            "Is backprop right?  Compare each ∂L/∂k with a central difference "
            "(L(k+h) − L(k−h))/2h: two forward passes per knob, no calculus."
        )
        intro.setWordWrap(True)
        intro.setObjectName("gradCheckIntro")
        self.button = QPushButton("Check gradients", objectName="gradCheckButton")
        self.button.setToolTip("Compute backprop and central-difference gradients at the current knobs")
        self.button.clicked.connect(self._on_button_clicked)
        self.summary = QLabel("Press “Check gradients” to compare at the current knobs.", objectName="gradCheckSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, len(COLUMNS), objectName="gradCheckTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)

        top = QHBoxLayout()
        top.addWidget(intro, 1)
        top.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)

        document.stateChanged.connect(self._on_document_state_changed)
        self._on_document_state_changed()

    # -- public API --------------------------------------------------------------------------------
    @property
    def result(self) -> GradientCheck | None:
        """The last check (None before the first)."""
        return self._result

    @property
    def is_stale(self) -> bool:
        """True when knobs, data or model changed since the last check."""
        return self._stale

    def check(self) -> GradientCheck | None:
        """Run the check at the current knobs and show it (None when there are no data points)."""
        if self.document.dataset.n == 0:
            self.summary.setText("There are no data points: the loss (and its gradient) needs some.")
            return None
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = check_knobs(evenly_sampled(self.document.problem, SAMPLE_POINTS), self.document.theta)
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._result, self._key, self._stale = result, _state_key(self.document), False
        self._fill_table(result)
        self._show_summary()
        self.checked.emit(result)
        return result

    # -- handlers ------------------------------------------------------------------------------------
    @Slot()
    def _on_button_clicked(self) -> None:
        self.check()

    @Slot()
    def _on_document_state_changed(self) -> None:
        self.button.setEnabled(self.document.dataset.n > 0)
        if self._result is None or self._stale:
            return
        if not _same_key(self._key, _state_key(self.document)):
            self._stale = True
            self._grey_table()
            self._show_summary()

    # -- drawing ------------------------------------------------------------------------------------
    def _fill_table(self, result: GradientCheck) -> None:
        self.table.setRowCount(len(result.names))
        digits = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        numbers = app_numbers()
        rows = zip(
            result.names, result.backprop, result.numeric, result.relative, result.noise, result.rounding_limited
        )
        for row, (name, a, n, err, noise, limited) in enumerate(rows):
            verdict = f"{numbers.significant(err, ERROR_DIGITS)}  {'≈' if limited else '✓' if err < TOLERANCE else '✗'}"
            cells = (name, numbers.gradient(a, GRADIENT_DIGITS), numbers.gradient(n, GRADIENT_DIGITS), verdict)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                align = Qt.AlignmentFlag.AlignLeft if column == 0 else Qt.AlignmentFlag.AlignRight
                item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
                if column in (1, 2):
                    item.setFont(digits)
                if column == 3:
                    item.setForeground(QBrush(NEUTRAL if limited else GOOD if err < TOLERANCE else BAD))
                    if limited:
                        item.setToolTip(
                            f"They differ by no more than the central difference's rounding noise "
                            f"(±{numbers.significant(noise, ERROR_DIGITS)}):\nthis gradient is nearly 0 (the knobs "
                            "are at or next to the optimum), too small to check to six digits here.\n"
                            "Move the knobs away from the optimum to check it."
                        )
                self.table.setItem(row, column, item)

    def _grey_table(self) -> None:
        for row in range(self.table.rowCount()):
            for column in range(self.table.columnCount()):
                item = self.table.item(row, column)
                if item is not None:
                    item.setForeground(QBrush(STALE))

    def _show_summary(self) -> None:
        result = self._result
        if result is None:
            return
        worst = app_numbers().significant(result.max_error, ERROR_DIGITS)
        colour: QColor | None = GOOD if result.passed else BAD
        if result.passed:
            text = f"max relative error {worst} ✓ below {TOLERANCE_TEXT}: backprop agrees with central differences."
        else:
            text = f"max relative error {worst} ✗ above {TOLERANCE_TEXT}: backprop and central differences disagree."
        limited = int(np.count_nonzero(result.rounding_limited))
        if limited == result.indices.size:
            text = (
                "Every gradient is nearly 0 (the knobs are at the optimum): backprop and central differences "
                "agree within rounding, but cannot be checked to six digits here.  Move the knobs away "
                "and check again."
            )
            colour = None
        elif limited:
            text += (
                f"  {limited} nearly-zero gradient{'s' if limited > 1 else ''} (≈) agree only within "
                "rounding noise: at the optimum along that knob."
            )
        if not result.checked_all:
            text += (
                f"  Checked {result.indices.size} of {result.n_params} parameters, spread evenly over "
                "the layers (each needs two forward passes)."
            )
        if self._stale:
            text = (
                "Out of date: the knobs, data or model changed since this check.  Press “Check gradients” "
                "again.\n(" + text + ")"
            )
            colour = STALE
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {colour.name()};" if colour is not None else "")

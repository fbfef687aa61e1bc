"""The comparison panel: the current knobs, the best manual fit, the last gradient-descent run and the
exact optimum side by side, each with its loss and its gap to the optimum.

The checkboxes ask to show or hide the ghost curves (view state, kept in the document) and "Restore my
manual fit" asks for the best hand-tuned knobs back: requests (signals).  Nothing here changes the document.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.fitting import number_text
from workbench.fitting.number_text import Numbers
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.number_style import app_numbers
from workbench.qt.views.redraw import ScheduledRedraw
from workbench.qt.views.surface_plot import OVERLAY_COLOURS

DASH = "—"
ROWS_REFRESH_MS = 100  # the rows' numbers change at most this often (see ``_rows_redraw``)
ROWS = ("current", "manual", "gd", "exact")
COLUMNS = ("loss", "gap", "relative", "details")
ROW_NAMES = {
    "current": "Current knobs",
    "manual": "Best manual fit",
    "gd": "Gradient descent",
    "exact": "Exact optimum",
}
ROW_TIPS = {
    "current": "The loss of the curve the knobs describe right now.",
    "manual": "The lowest loss you reached by turning knobs by hand, and how many knob moves it took.",
    "gd": "Where the last gradient-descent run ended: its loss, steps, time, optimiser and learning rate,\n"
    "and why it stopped.",
    "exact": "The least-squares optimum, solved directly (SVD on a stable basis): the lowest loss a\n"
    "curve of this degree can reach on these points.  Every other row is measured against it.",
}
COLUMN_TIPS = {
    "loss": "The loss (lower is better).",
    "gap": "Loss minus the optimum's loss: how much is left to gain.",
    "relative": "The gap as a percentage of the optimum's loss: how far above the optimum, in per cent.",
}
STOP_REASONS = {
    "converged": "converged",
    "max_steps": "step limit",
    "diverged": "diverged",
    "stopped": "stopped by you",
    "early_stop": "stopped early (validation)",
}
OPTIMIZER_NAMES = {"gd": "plain GD", "momentum": "momentum", "nesterov": "Nesterov", "adam": "Adam"}


GAP_DIGITS = 3


def gap_cells(loss: float | None, optimum: float | None, numbers: Numbers) -> tuple[str, str]:
    """(absolute gap, gap as a percentage of the optimum) of ``loss`` above ``optimum``, as the one number
    formatter writes them ("—" when there is nothing to compare)."""
    if loss is None or optimum is None or not (math.isfinite(loss) and math.isfinite(optimum)):
        return DASH, DASH
    relative = numbers.gap_to_optimum(loss, optimum)
    if relative == number_text.AT_OPTIMUM:
        return "0", relative
    return numbers.significant(loss - optimum, GAP_DIGITS, sign=True), relative


class ComparisonPanel(QWidget):
    """Manual vs gradient descent vs exact: losses, gaps to the optimum, ghost-curve toggles."""

    overlaysRequested = Signal(dict)  # ghost curves to show or hide: {"exact"|"manual"|"gd": bool}
    restoreManualRequested = Signal()

    def __init__(self, document: FitDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("comparePanel")
        self.document = document
        self._cells: dict[tuple[str, str], QLabel] = {}
        self._row_labels: dict[str, _RowName] = {}
        self.numbers = app_numbers()
        self._build_ui()
        # The rows' numbers: at once after a user's change; during a run at most every ROWS_REFRESH_MS (it
        # changes them ~30 times a second, faster than anyone reads); never while the tab is behind another.
        self._rows_redraw = ScheduledRedraw(self, self._refresh_rows, min_interval_ms=ROWS_REFRESH_MS)
        document.stateChanged.connect(self._on_document_changed)
        document.trailChanged.connect(self._on_document_changed)
        document.overlaysChanged.connect(self._on_document_changed)
        document.runChanged.connect(self._on_document_changed)
        document.factsChanged.connect(self._on_document_changed)
        self.refresh()

    # -- public API --------------------------------------------------------------------------------
    def cell_text(self, row: str, column: str) -> str:
        """The text shown in ``row`` (current/manual/gd/exact) and ``column`` (loss/gap/relative/details)."""
        self._rows_redraw.flush(force=True)
        return self._cells[(row, column)].text()

    @Slot()
    def refresh(self) -> None:
        """Redraw every row from the document, at once."""
        self._on_document_changed()
        self._rows_redraw.flush(force=True)

    @Slot()
    def _on_document_changed(self) -> None:
        self._sync_checks()
        self.restore_button.setEnabled(self.document.best_manual is not None)
        self._rows_redraw.schedule()
        if not self.document.running:
            self._rows_redraw.flush()  # a user's change shows at once (if the panel is on screen)

    def _refresh_rows(self) -> None:
        doc = self.document
        exact = doc.landmark  # the exact optimum, or a formula's Levenberg–Marquardt fit once solved
        optimum = exact.loss if exact is not None else None
        has_data = doc.dataset.n > 0
        current = doc.loss_value if has_data else None
        note = "" if has_data else "no data points yet"
        self._fill("current", current, optimum, "computing…" if has_data and current is None else note)
        self._fill_manual(optimum)
        self._fill_gd(optimum)
        self._fill_exact(exact)

    # -- building ----------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        base = QFont(self.font())
        base.setPointSizeF(max(base.pointSizeF(), 9.5))
        self.setFont(base)
        numbers = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        numbers.setPointSizeF(base.pointSizeF())
        header_font = QFont(base)
        header_font.setBold(True)

        details_font = QFont(base)
        details_font.setPointSizeF(base.pointSizeF() - 1)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        headers = ("Show", "", "Loss", "Gap", "Relative")
        for column, text in enumerate(headers):
            label = QLabel(text)
            label.setFont(header_font)
            if column >= 2:
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                label.setToolTip(COLUMN_TIPS[COLUMNS[column - 2]])
            grid.addWidget(label, 0, column)
        grid.itemAtPosition(0, 0).widget().setToolTip("Show this fit as a ghost curve on the fit plot")

        self.show_manual_check = QCheckBox(objectName="showManualCheck")
        self.show_gd_check = QCheckBox(objectName="showGdCheck")
        self.show_exact_check = QCheckBox(objectName="showExactCheck")
        checks = {"manual": self.show_manual_check, "gd": self.show_gd_check, "exact": self.show_exact_check}
        self.show_manual_check.toggled.connect(self._on_show_manual_toggled)
        self.show_gd_check.toggled.connect(self._on_show_gd_toggled)
        self.show_exact_check.toggled.connect(self._on_show_exact_toggled)

        # Each fit takes two grid rows: its numbers, then a line of details under them.
        for index, key in enumerate(ROWS):
            row = 1 + 2 * index
            tip = ROW_TIPS[key]
            if key in checks:
                checks[key].setToolTip(f"Show the {ROW_NAMES[key].lower()} as a ghost curve on the fit plot")
                grid.addWidget(checks[key], row, 0, Qt.AlignmentFlag.AlignCenter)
            name = _RowName(OVERLAY_COLOURS[key], ROW_NAMES[key])
            name.setToolTip(tip)
            self._row_labels[key] = name
            grid.addWidget(name, row, 1)
            for column, field in enumerate(COLUMNS):
                cell = QLabel(DASH, objectName=f"{key}_{field}")
                cell.setToolTip(tip if field == "details" else f"{tip}\n\n{COLUMN_TIPS[field]}")
                cell.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                if field == "details":
                    cell.setFont(details_font)
                    cell.setWordWrap(True)
                    cell.setContentsMargins(22, 0, 0, 8)
                    grid.addWidget(cell, row + 1, 1, 1, 4)
                else:
                    cell.setFont(numbers)
                    cell.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    grid.addWidget(cell, row, 2 + column)
                self._cells[(key, field)] = cell
        grid.setColumnStretch(1, 1)

        self.restore_button = QPushButton("Restore my manual fit", objectName="restoreManualButton")
        self.restore_button.setToolTip("Set the knobs back to the best fit you found by hand (undoable)")
        self.restore_button.clicked.connect(self._on_restore_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addStretch(1)

    # -- rows --------------------------------------------------------------------------------------
    def _fill(self, row: str, loss: float | None, optimum: float | None, details: str) -> None:
        gap, relative = gap_cells(loss, optimum, self.numbers)
        self._cells[(row, "loss")].setText(self.numbers.loss(loss))
        self._cells[(row, "gap")].setText(gap)
        self._cells[(row, "relative")].setText(relative)
        self._cells[(row, "details")].setText(details)
        self._cells[(row, "details")].setVisible(bool(details))

    def _fill_manual(self, optimum: float | None) -> None:
        doc = self.document
        if doc.best_manual is None:
            self._fill("manual", None, None, "turn a knob to start")
            return
        self._fill("manual", doc.best_manual[0], optimum, self.numbers.counted(doc.manual_moves, "knob move"))

    def _fill_gd(self, optimum: float | None) -> None:
        doc = self.document
        run = doc.last_run
        run_is_current = run is not None  # (the document keeps runs per problem: the last is this one's)
        s = doc.settings
        numbers = self.numbers
        optimiser = f"{OPTIMIZER_NAMES.get(s.optimizer, s.optimizer)}, lr {numbers.learning_rate(s.lr)}"
        live = doc.run
        if live is not None:  # the knobs, loss and step of the same report every other view shows
            loss = live.loss if live.theta is not None else doc.loss_value
            self._fill("gd", loss, optimum, f"running… {numbers.counted(live.step, 'step')} · {optimiser}")
        elif run_is_current:
            r = run.result
            name = OPTIMIZER_NAMES.get(run.settings.optimizer, run.settings.optimizer)
            optimiser = f"{name}, lr {numbers.learning_rate(run.settings.lr)}"
            self._fill(
                "gd",
                r.loss,
                optimum,
                f"{numbers.counted(r.steps, 'step')} · {numbers.significant(r.elapsed_s, 3)} s · {optimiser} · "
                f"{STOP_REASONS.get(r.stop_reason.value, r.stop_reason.value)}",
            )
        elif doc.gd_trajectory and doc.dataset.n:
            steps = len(doc.gd_trajectory) // 2  # single steps add (before, after) pairs
            last = doc.gd_trajectory[-1]
            if np.array_equal(last, doc.state.theta):
                loss = doc.loss_value  # (None while big data's is being computed)
            else:
                loss = None if doc.big else doc.problem.loss_at(last)
            self._fill("gd", loss, optimum, f"{numbers.counted(steps, 'single step')} · {optimiser}")
        else:
            self._fill("gd", None, None, "press Run or Step")

    def _fill_exact(self, exact) -> None:
        formula = self.document.state.model == "formula"
        self._row_labels["exact"].setText("Levenberg–Marquardt" if formula else ROW_NAMES["exact"])
        if formula:
            if exact is None:
                self._fill("exact", None, None, "press Solve (Levenberg–Marquardt)")
            else:
                word = {"converged": "converged", "stalled": "stopped moving"}.get(exact.stop_reason, exact.stop_reason)
                steps = self.numbers.counted(exact.steps, "step")
                self._fill("exact", exact.loss, exact.loss, f"{steps} from your knobs · {word}")
            return
        if exact is None and self.document.pending and self.document.problem.is_polynomial:
            self._fill("exact", None, None, "computing…")
            return
        if exact is None:
            why = (
                "the neural net has no closed-form optimum"
                if not self.document.problem.is_polynomial
                else "needs at least one data point"
            )
            self._fill("exact", None, None, why)
            return
        loss_kind = self.document.state.loss
        if not loss_kind.is_squared_error:
            details = f"least-squares solution, scored by {loss_kind.kind.upper()} (no closed form)"
        elif loss_kind.l2:
            details = "ridge (L2-penalised) optimum"
        else:
            details = "least squares, solved directly"
        if exact.is_interpolating:
            details += " · passes through every point"
        self._fill("exact", exact.loss, exact.loss, details)

    # -- toggles -----------------------------------------------------------------------------------
    def _sync_checks(self) -> None:
        doc = self.document
        for check, value in (
            (self.show_manual_check, doc.show_manual),
            (self.show_gd_check, doc.show_gd),
            (self.show_exact_check, doc.show_exact),
        ):
            if check.isChecked() != value:
                check.blockSignals(True)
                check.setChecked(value)
                check.blockSignals(False)

    @Slot(bool)
    def _on_show_manual_toggled(self, checked: bool) -> None:
        self.overlaysRequested.emit({"manual": checked})

    @Slot(bool)
    def _on_show_gd_toggled(self, checked: bool) -> None:
        self.overlaysRequested.emit({"gd": checked})

    @Slot(bool)
    def _on_show_exact_toggled(self, checked: bool) -> None:
        self.overlaysRequested.emit({"exact": checked})

    @Slot()
    def _on_restore_clicked(self) -> None:
        self.restoreManualRequested.emit()


class _RowName(QLabel):
    """A row's name behind a swatch of its ghost curve's colour."""

    def __init__(self, colour, text: str):
        super().__init__()
        self._colour = colour
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        r, g, b = self._colour[:3]
        super().setText(f'<span style="color: rgb({r},{g},{b});">■</span> {text}')

"""The basis ladder in the conditioning lab: the same fit in each basis, monomial → scaled → Legendre →
orthonormal, with its condition number and the steps plain gradient descent needs at its default rate
(``fitting.conditioning.basis_ladder``).  The basis in use is marked; the curve is the same on every rung.

Computed on at most ``LADDER_POINTS`` training points, every k-th one (the conditioning of a polynomial fit
depends on where the points lie, not on how many there are), and only while the table is shown: a hidden
lab costs an edit nothing, even at 10⁶ points.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from workbench.fitting.conditioning import LADDER, LADDER_REDUCTION, basis_ladder
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.number_style import app_numbers
from workbench.qt.views.model_panel import BASIS_LABELS

LADDER_POINTS = 5_000
COLUMNS = ("Basis", "Condition\nnumber", "GD\nsteps")  # two-line headers: the numbers' columns stay narrow
CONDITION_DIGITS = 3  # as the conditioning lab writes its condition numbers


def steps_text(steps: float) -> str:
    """Steps as the one number formatter writes them: a count in full ("1,200"), two significant digits
    from a million ("2.4e+09"), "never" beyond double precision."""
    if not math.isfinite(steps):
        return "never"
    numbers = app_numbers()
    return numbers.count(int(steps)) if steps < 1e6 else numbers.significant(steps, 2)


class BasisLadder(QTableWidget):
    """One row per basis: its condition number and gradient descent's steps; the basis in use in bold."""

    def __init__(self, document: FitDocument, parent=None):
        super().__init__(len(LADDER), len(COLUMNS), parent)
        self.setObjectName("basisLadder")
        self.setAccessibleName("Basis ladder: condition number and gradient-descent steps for each basis")
        self.document = document
        self.rungs = ()
        self._key = None
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # basis names wrap when it is narrow
        self.setWordWrap(True)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        reduction = app_numbers().significant(1 / LADDER_REDUCTION, 1)
        self.setToolTip(
            "The same fit in each basis: λ_max/λ_min of the loss's curvature, and how many plain gradient-descent "
            f"steps at its default rate shrink the loss gap {reduction} times in the worst case.  "
            "Orthonormal on your data makes every curvature equal: one or two steps."
        )
        document.stateChanged.connect(self.refresh)
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Catch up with what changed while hidden."""
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Recompute the ladder when data, degree, loss or split changed (not for a knob turn), if shown."""
        if not self.isVisible():
            return  # (showEvent catches up)
        doc = self.document
        state = doc.state
        key = (state.dataset, state.degree, state.loss, state.split, state.model, state.basis.kind)
        if self._key is not None and key[0] is self._key[0] and key[1:] == self._key[1:]:
            return
        self._key = key
        self.rungs = ()
        if state.model == "polynomial" and doc.dataset.n:
            problem = doc.problem
            index = np.arange(0, problem.x.size, max(1, -(-problem.x.size // LADDER_POINTS)))
            sigma = None if problem.sigma is None else problem.sigma[index]
            try:
                with np.errstate(all="ignore"):
                    self.rungs = basis_ladder(problem.x[index], state.degree, sigma, state.loss)
            except (ValueError, np.linalg.LinAlgError):
                self.rungs = ()
        self._show(state.basis.kind if state.model == "polynomial" else "")  # a basis is in use by polynomials only

    def _show(self, current: str) -> None:
        rungs = {rung.kind: rung for rung in self.rungs}
        for row, kind in enumerate(LADDER):
            rung = rungs.get(kind)
            cells = (
                BASIS_LABELS[kind] + ("  ◀ in use" if kind == current else ""),
                "—" if rung is None else _condition_text(rung.condition_number),
                "—" if rung is None else steps_text(rung.gd_steps),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if kind == current:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.setItem(row, column, item)
        self._fit_height()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            # Once the header and the cells have the new font too: the rows again (the bold one takes the new
            # size), then the height.
            QTimer.singleShot(0, self, lambda: self._show(self.document.state.basis.kind))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()  # the names wrap onto fewer or more lines

    def _fit_height(self) -> None:
        """Every rung in view, no scroll bar: as tall as its rows, measured with their text (and font)."""
        self.resizeRowsToContents()
        height = self.horizontalHeader().sizeHint().height() + self.verticalHeader().length()
        self.setFixedHeight(height + 2 * self.frameWidth() + 2)


def _condition_text(value: float) -> str:
    """A condition number to three significant digits, as the lab's readouts write it."""
    return app_numbers().significant(value, CONDITION_DIGITS)

"""The optimiser race: several optimisers from the same knobs at once, and a scoreboard.

Gradient descent, momentum, Nesterov, Adam and the articles' random nudge start from the current knobs
and step in lockstep in a compute process (the core's ``Race`` as a task, ``workbench.tasks.race``); the
user's manual knob trail can join as one more entry.  The scoreboard counts steps *and* loss evaluations to
get within 1% of the optimum.  This module is the panel: it asks for a race (``raceRequested``) or its end
(``raceStopRequested``) and draws the document's race.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.fitting.race import ALL_RACE_KINDS, RACE_KINDS, RACE_NAMES
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.colours import RACE_COLOURS
from workbench.state.race import DEFAULT_RACE_STEPS as DEFAULT_STEPS
from workbench.state.race import RaceView

MAX_STEPS = 1_000_000
THREAD_WAIT_MS = 5000
COLUMNS = ("Contender", "Learning\nrate", "Steps\nto 1%", "Evaluations\nto 1%", "Final\nloss", "Status")
COLUMN_TIPS = (
    "Who raced (the colour is its curve on the loss history and its path on the loss surface)",
    "The step size each optimiser used: 0.9 of its stability limit for the gradient methods, 0.01 for Adam",
    "Steps taken until the loss first came within 1% of the optimum",
    "Loss evaluations until then: one per gradient step (its backward pass comes with it), one per nudge "
    "or per knob move of yours",
    "The loss where the contender ended (or its best finite loss, if it diverged)",
    "running · reached (within 1%) · diverged · stopped (by you) · step limit (ran out of steps)",
)
NOTE = (
    "<b>Random nudge</b>, the articles' baseline: turn one knob a little at random; keep the change if the "
    "loss dropped, otherwise turn it back.  It needs no gradient, only the loss.  "
    "<b>Why count evaluations?</b>  Each try costs one evaluation of the loss over all the data, and one "
    "backpropagation pass (a forward and a backward pass, about the cost of one or two evaluations) "
    "gives the slope along <i>every</i> knob at once, where a nudge learns about one knob, one guess at "
    "a time."
)


def format_value(value: float | None, digits: int = 4) -> str:
    """A number for the scoreboard (``—`` when there is none; counts with thousands separators)."""
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞"
    return f"{value:.{digits}g}"


def swatch_icon(colour, size: int = 14) -> QIcon:
    """A small square of ``colour`` (scoreboard rows, checkboxes)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*colour[:3]))
    return QIcon(pixmap)


# -- the panel -------------------------------------------------------------------------------------------
LM_TIP = (
    "Levenberg–Marquardt: the least-squares method (MSE or SSE losses), between gradient descent and "
    "Gauss–Newton, solving a small linear system each step"
)


class RacePanel(QWidget):
    """Pick contenders, race them from the current knobs, and read the scoreboard."""

    raceFinished = Signal(object)  # the RaceView, after the scoreboard shows it
    raceRequested = Signal(tuple, int, bool)  # contenders, step limit, whether the manual trail joins
    raceStopRequested = Signal()

    def __init__(self, document: FitDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("racePanel")
        self.document = document
        self._was_running = False
        self._dropped = False
        self._shown = document.race
        self._build_ui()
        document.raceChanged.connect(self._on_race_changed)
        document.trailChanged.connect(self._update_enabled)
        document.stateChanged.connect(self._update_enabled)
        document.runChanged.connect(self._update_enabled)
        self._refresh()
        self._update_enabled()

    # -- building -------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.checks: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        for n, kind in enumerate((*ALL_RACE_KINDS, "manual")):
            text = "include my manual trail" if kind == "manual" else RACE_NAMES[kind]
            check = QCheckBox(text, objectName=f"raceCheck_{kind}")
            check.setIcon(swatch_icon(RACE_COLOURS[kind]))
            check.setChecked(kind in RACE_KINDS)  # the default line-up; the others are a tick away
            check.toggled.connect(self._update_enabled)
            self.checks[kind] = check
            grid.addWidget(check, n // 2, n % 2)
        for kind, tip in (
            ("gd", "Plain gradient descent: every step moves the knobs straight against the gradient"),
            ("momentum", "Momentum: each step keeps part of the previous one, so it speeds up along a long valley"),
            (
                "nesterov",
                "Nesterov momentum: takes the gradient a step ahead, where the momentum is carrying the knobs",
            ),
            ("adam", "Adam: a step size of its own for each knob, from running averages of its gradients"),
            (
                "cg",
                "Conjugate gradient: each step searches along a direction that does not undo the previous "
                "ones, with a line search for its length",
            ),
            (
                "lbfgs",
                "L-BFGS: builds a picture of the loss's curvature from its last steps and jumps towards the "
                "bottom, with a line search",
            ),
            ("lm", LM_TIP),
            (
                "sgd",
                "Stochastic gradient descent: each step's gradient from a few points drawn at random "
                "(the model panel's batch size, else a tenth of the points): noisy but cheap",
            ),
        ):
            self.checks[kind].setToolTip(tip)
        self.checks["nudge"].setToolTip("Turn one knob a little at random; keep it if the loss dropped, else undo")
        self.checks["manual"].setToolTip(
            "Your own knob moves join the race: each move is a step and one loss evaluation"
        )

        self.steps_spin = QSpinBox(objectName="raceStepsSpin")
        self.steps_spin.setRange(1, MAX_STEPS)
        self.steps_spin.setValue(DEFAULT_STEPS)
        self.steps_spin.setSingleStep(500)
        self.steps_spin.setGroupSeparatorShown(True)
        self.steps_spin.setToolTip(
            "The race ends when every optimiser is within 1% of the optimum, or after this many steps"
        )
        self.race_button = QPushButton("Start race", objectName="raceButton")
        self.race_button.setToolTip("Race the ticked optimisers from the current knobs")
        self.race_button.clicked.connect(self._on_race_clicked)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Step limit"))
        bar.addWidget(self.steps_spin)
        bar.addStretch(1)
        bar.addWidget(self.race_button)

        self.target_label = QLabel(objectName="raceTarget")
        self.target_label.setWordWrap(True)
        self.target_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel(objectName="raceStatus")
        self.status_label.setWordWrap(True)

        self.table = QTableWidget(0, len(COLUMNS), objectName="raceScoreboard")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.note_label = QLabel(NOTE, objectName="raceNote")
        self.note_label.setWordWrap(True)
        self.note_label.setTextFormat(Qt.TextFormat.RichText)
        small = self.note_label.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.note_label.setFont(small)
        self.status_label.setFont(small)
        for label in (self.target_label, self.status_label, self.note_label):
            # Wrapped text keeps its full height: the table gives way instead.
            policy = label.sizePolicy()  # (keeps its height-for-width)
            policy.setVerticalPolicy(QSizePolicy.Policy.Minimum)
            label.setSizePolicy(policy)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(grid)
        layout.addLayout(bar)
        layout.addWidget(self.target_label)
        layout.addWidget(self.table)
        layout.addWidget(self.status_label)
        layout.addWidget(self.note_label)
        layout.addStretch(1)
        self._fit_table()

    # -- public API ----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while a race runs."""
        race = self.document.race
        return race is not None and race.running

    def selected_kinds(self) -> tuple[str, ...]:
        """The ticked optimisers, in race order."""
        squares = self.document.state.loss.kind in ("mse", "sse")  # Levenberg–Marquardt needs a sum of squares
        return tuple(k for k in ALL_RACE_KINDS if self.checks[k].isChecked() and (squares or k != "lm"))

    def start_race(self) -> bool:
        """Race the ticked contenders from the current knobs (False if nothing could start)."""
        if self.document.running or self.running:
            return False
        include_manual = self.checks["manual"].isChecked() and bool(self.document.manual_trail)
        self.raceRequested.emit(self.selected_kinds(), self.steps_spin.value(), include_manual)
        return self.running

    def stop_race(self) -> None:
        """Stop the race at once (the scoreboard keeps what it reached)."""
        self.raceStopRequested.emit()

    # -- handlers ------------------------------------------------------------------------------------
    @Slot()
    def _on_race_clicked(self) -> None:
        if self.running:
            self.stop_race()
        else:
            self.start_race()

    @Slot()
    def _on_race_changed(self) -> None:
        running = self.running
        # A race that was running and is no longer the document's: the data or the model changed under it.
        self._dropped = self._was_running and (self.document.race is None or self.document.race is not self._shown)
        self._shown = self.document.race
        if running != self._was_running:
            self._was_running = running
            self.race_button.setText("Stop" if running else "Start race")
            self.race_button.setToolTip(
                "Stop the race now" if running else "Race the ticked optimisers from the current knobs"
            )
            self._update_enabled()
        self._refresh()
        race = self.document.race
        if not running and race is not None and race is not getattr(self, "_announced", None) and not race.running:
            self._announced = race
            self.raceFinished.emit(race)

    @Slot()
    def _update_enabled(self) -> None:
        running = self.running
        gd_running = self.document.running
        has_data = self.document.dataset.n > 0
        has_trail = bool(self.document.manual_trail)
        anyone = bool(self.selected_kinds()) or (self.checks["manual"].isChecked() and has_trail)
        self.race_button.setEnabled(running or (has_data and anyone and not gd_running))
        if not running:
            if gd_running:
                why = "Wait for gradient descent to finish (or stop it) to start a race"
            elif not has_data:
                why = "Add data points to race on"
            elif not anyone:
                why = "Tick at least one contender"
            else:
                why = "Race the ticked optimisers from the current knobs"
            self.race_button.setToolTip(why)
        for check in self.checks.values():
            check.setEnabled(not running)
        # Levenberg–Marquardt minimises a sum of squares: no entry for the MAE or Huber losses.
        squares = self.document.state.loss.kind in ("mse", "sse")
        self.checks["lm"].setEnabled(not running and squares)
        self.checks["lm"].setToolTip(
            LM_TIP if squares else "Levenberg–Marquardt minimises a sum of squares: choose the MSE or SSE loss"
        )
        self.checks["manual"].setEnabled(not running and has_trail)
        self.checks["manual"].setToolTip(
            "Your own knob moves join the race: each move is a step and one loss evaluation"
            if has_trail
            else "Turn some knobs by hand first: your trail of moves can then join the race"
        )
        self.steps_spin.setEnabled(not running)

    # -- drawing the scoreboard -----------------------------------------------------------------------
    @Slot()
    def _refresh(self) -> None:
        view = self.document.race
        self._show_target(view)
        self._show_status(view)
        rows = view.scoreboard() if view is not None else []
        table = self.table
        if table.rowCount() != len(rows):
            table.setRowCount(len(rows))
        for r, track in enumerate(rows):
            lr = "—" if track.kind in ("manual", "nudge") else format_value(track.lr, 3)
            cells = (
                track.name,
                lr,
                format_value(track.steps_to_target),
                format_value(track.evaluations_to_target),
                format_value(track.loss, 4),
                track.status,
            )
            for c, text in enumerate(cells):
                item = table.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    if 0 < c < len(COLUMNS) - 1:  # numbers right, names and status left
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    table.setItem(r, c, item)
                if item.text() != text:
                    item.setText(text)
            table.item(r, 1).setToolTip(_LR_TIPS.get(track.kind, ""))
            first = table.item(r, 0)
            if first.data(Qt.ItemDataRole.UserRole) != track.kind:
                first.setData(Qt.ItemDataRole.UserRole, track.kind)
                first.setIcon(swatch_icon(RACE_COLOURS.get(track.kind, (128, 128, 128))))
            status = table.item(r, len(COLUMNS) - 1)
            status.setForeground(QColor(*_STATUS_COLOURS.get(track.status, (60, 60, 60))))
            winner = r == 0 and not view.running and track.reached
            if first.font().bold() != winner:
                font = first.font()
                font.setBold(winner)
                first.setFont(font)
        self._fit_table()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit_table()

    def _fit_table(self) -> None:
        """Exactly as tall as its rows (room for all six entries when empty), plus the horizontal scroll
        bar when the panel is too narrow for every column: no vertical scrolling, no blank rows."""
        table = self.table
        rows = table.rowCount() or len(self.checks)
        height = (
            table.horizontalHeader().sizeHint().height()
            + rows * table.verticalHeader().defaultSectionSize()
            + 2 * table.frameWidth()
        )
        if table.horizontalHeader().length() > table.width() - 2 * table.frameWidth():
            height += table.horizontalScrollBar().sizeHint().height()
        if table.height() != height or table.minimumHeight() != height:
            table.setFixedHeight(height)

    def _show_target(self, view: RaceView | None) -> None:
        self.target_label.setTextFormat(Qt.TextFormat.RichText)
        if view is None:
            self.target_label.setText(
                "Race the optimisers from the current knobs: who gets within 1% of the "
                "optimum first, in steps and in loss evaluations?"
            )
            return
        if view.target is not None:
            text = f"Target: within 1% of the optimum = loss ≤ <b>{format_value(view.target, 6)}</b>"
            if view.optimum is not None:
                text += f" (optimum {format_value(view.optimum, 6)})"
            if not self.document.state.loss.is_squared_error:
                text += ". For MAE/Huber the “optimum” is the least-squares fit's loss, a landmark, not the minimum"
            self.target_label.setText(text)
        elif view.running and view.step == 0:
            self.target_label.setText("Starting…")
        else:
            self.target_label.setText(
                "The neural net has no exact optimum to aim for: every optimiser runs the "
                "full step limit, and the board compares final losses."
            )

    def _show_status(self, view: RaceView | None) -> None:
        if view is None:
            self.status_label.setText("The race was stopped: the data or the model changed." if self._dropped else "")
            return
        steps = f"{view.step:,} of {view.max_steps:,} steps"
        if view.running:
            self.status_label.setText(f"Racing… {steps}")
            return
        if view.outcome == "failed":
            self.status_label.setText(f"The race failed: {view.message}")
            return
        contenders = view.contenders
        reached = [t for t in contenders if t.reached]
        if view.outcome == "stopped":
            head = f"Stopped by you after {steps}."
        elif view.outcome == "step limit":
            head = f"The race ran the full {view.max_steps:,} steps."
        else:
            head = f"Race over after {view.step:,} steps: everyone reached the target or diverged."
        if view.target is None:
            best = min(contenders, key=lambda t: t.loss if math.isfinite(t.loss) else math.inf, default=None)
            tail = f"  Lowest final loss: {best.name}." if best is not None else ""
        elif reached:
            winner = min(reached, key=lambda t: t.evaluations_to_target)
            tail = (
                f"  Fewest loss evaluations: {winner.name} ({winner.evaluations_to_target:,}).  "
                f"{len(reached)} of {len(contenders)} reached the target."
            )
        else:
            tail = "  Nobody reached the target."
        self.status_label.setText(head + tail)


_LR_TIPS = {
    "nudge": "No learning rate: the nudge tries random changes of one knob (their size halves "
    "after 20 failures in a row)",
    "manual": "Your own moves: no learning rate",
    "adam": "Adam's step is in knob units, whatever the gradient's size",
}
_STATUS_COLOURS = {
    "reached": (30, 130, 60),
    "diverged": (200, 40, 40),
    "running": (60, 60, 60),
    "stopped": (150, 100, 20),
    "step limit": (150, 100, 20),
    "failed": (200, 40, 40),
}

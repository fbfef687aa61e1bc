"""The optimiser race: several optimisers from the same knobs at once, and a scoreboard.

Gradient descent, momentum, Nesterov, Adam and the articles' random nudge start from the current knobs
and step in lockstep on a worker thread (the core's ``Race``, on its own ``FitProblem``); the user's
manual knob trail can join as one more entry.  The scoreboard counts steps *and* loss evaluations to
get within 1% of the optimum.  The worker follows ``worker.py``'s rules: a ``threading.Event`` checked
every round, throttled immutable payloads with at most one in flight, and a thread kept referenced
until it has finished.  The GUI side (``RaceController``) stores what arrives in ``document.race`` and
emits ``document.raceChanged``, which the loss-history plot and the loss surface draw from.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSizePolicy, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.fitting.race import RACE_KINDS, RACE_NAMES, Race, RaceSnapshot, manual_trail_entry

from .colours import RACE_COLOURS
from .document import FitDocument, FitState, RaceView, race_path_stride
from .worker import EMIT_INTERVAL_S, MAX_DRAW_WAIT_S, PacedWorker, WorkerThread

DEFAULT_STEPS = 2000
MAX_STEPS = 1_000_000
THREAD_WAIT_MS = 5000
MANUAL_NAME = "Your hand"
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
NOTE = ("<b>Random nudge</b>, the articles' baseline: turn one knob a little at random; keep the change if the "
        "loss dropped, otherwise turn it back.  It needs no gradient, only the loss.  "
        "<b>Why count evaluations?</b>  Each try costs one evaluation of the loss over all the data, and one "
        "backpropagation pass (a forward and a backward pass, about the cost of one or two evaluations) "
        "gives the slope along <i>every</i> knob at once, where a nudge learns about one knob, one guess at "
        "a time.")

# sched_yield gives the GIL away for about a microsecond, once per round, so the GUI thread never waits
# a whole switch interval to get it back (see conditioning_lab.py); sleep(0) where it does not exist.
_yield_gil = getattr(os, "sched_yield", None) or partial(time.sleep, 0)


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


# -- the worker ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RaceProgress:
    """One payload: a snapshot with the losses since the last one, and the thinned path points since then.

    ``paths`` maps kind → (steps, rows of knobs); ``manual`` is the user's trail as a race entry (first
    payload only); ``done`` marks the final payload, ``stopped`` a race ended by its stop event.  ``seq``
    numbers the payloads of one race: each carries only what is new since the one before.
    """

    run_id: int
    seq: int
    snapshot: RaceSnapshot | None
    optimum: float | None
    paths: dict
    manual: dict | None
    done: bool
    stopped: bool
    error: str
    elapsed_s: float


class RaceWorker(PacedWorker):
    """Runs one race when its thread starts; emits ``progressed`` (throttled) and ``finished`` (final)."""

    progressed = Signal(object)  # RaceProgress
    finished = Signal(object)    # RaceProgress, done=True

    def __init__(self, run_id: int, state: FitState, theta0: np.ndarray, kinds, steps: int,
                 manual_trail: list[np.ndarray] | None = None):
        super().__init__()
        self.run_id = run_id
        self.state = state                     # immutable: the worker builds its own FitProblem from it
        self.theta0 = np.array(theta0, dtype=np.float64)
        self.kinds = tuple(kinds)
        self.steps = int(steps)
        self.manual_trail = None if manual_trail is None else [np.array(t, dtype=np.float64) for t in manual_trail]
        self.in_flight: RaceProgress | None = None   # the last progress payload sent (read once finished)
        self.outcome: RaceProgress | None = None
        self._seq = 0

    @Slot()
    def run(self) -> None:
        """Race to the end (runs on the worker thread)."""
        started = last_emit = time.perf_counter()
        race: Race | None = None
        manual: dict | None = None
        error = ""
        since: dict[str, int] = {}
        pending = {k: ([], []) for k in self.kinds}
        recorded: dict[str, object] = {}
        try:
            problem = self.state.build_problem()   # its own engine graph: nothing shared with the GUI
            race = Race(problem, self.theta0, self.kinds, self.steps, stop=self.stop_event)
            if self.manual_trail:
                manual = manual_trail_entry(problem, self.manual_trail, race.target)
            for c in race.contenders:
                recorded[c.kind] = c.theta
            for step in race.run():
                self._record(race, step, pending, recorded)
                _yield_gil()
                now = time.perf_counter()
                if now - last_emit >= EMIT_INTERVAL_S and self.delivered.is_set():
                    self.delivered.clear()
                    self.in_flight = self._payload(race, since, pending, manual, now - started, False, "")
                    self.progressed.emit(self.in_flight)
                    manual, pending = None, {k: ([], []) for k in self.kinds}
                    self.delivered.wait(MAX_DRAW_WAIT_S)
                    last_emit = time.perf_counter()
        except Exception as exc:  # noqa: BLE001 - reported in the panel, never lost on a thread
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self.outcome = self._payload(race, since, pending, manual, time.perf_counter() - started, True, error)
            self.finished.emit(self.outcome)

    @staticmethod
    def _record(race: Race, step: int, pending: dict, recorded: dict) -> None:
        """Note where each contender is now, on the path's thinning grid (``race_path_stride``)."""
        if step % race_path_stride(step):
            return
        for c in race.contenders:
            if c.theta is not recorded.get(c.kind):   # the race makes a new array each step it moves
                recorded[c.kind] = c.theta
                steps, rows = pending[c.kind]
                steps.append(step)
                rows.append(c.theta)

    def _payload(self, race, since, pending, manual, elapsed, done, error) -> RaceProgress:
        snapshot = None
        paths = {}
        if race is not None:
            snapshot = race.snapshot(since)
            since.update({row["kind"]: row["n_losses"] for row in snapshot.contenders})
            paths = {k: (np.array(steps, dtype=np.int64), np.array(rows)) for k, (steps, rows) in pending.items()
                     if steps}
        stopped = self.stop_event.is_set()
        self._seq += 1
        optimum = None if race is None else race.optimum
        return RaceProgress(self.run_id, self._seq, snapshot, optimum, paths, manual, done, stopped, error,
                            float(elapsed))


# -- the GUI side --------------------------------------------------------------------------------------
class _RaceSlot:
    """The running race's handle, stoppable even when the Qt objects around it are being destroyed."""

    def __init__(self):
        self.handle: WorkerThread | None = None

    def shutdown(self, *_args) -> bool:
        handle, self.handle = self.handle, None
        return handle.stop_and_wait(THREAD_WAIT_MS) if handle is not None else True


class RaceController(QObject):
    """Starts, stops and finalises races; writes ``document.race`` and emits ``document.raceChanged``."""

    runningChanged = Signal(bool)
    raceFinished = Signal(object)     # the RaceView, once the race has ended (stopped ones too)

    def __init__(self, document: FitDocument, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = document
        self._slot = _RaceSlot()
        # Deleted without shutdown() (its window destroyed): still stop the thread.
        self.destroyed.connect(partial(_RaceSlot.shutdown, self._slot))
        self._view: RaceView | None = None
        self._ids = itertools.count(1)
        self._active_id = 0
        self._absorbed_seq = 0
        self._unfinished: list[WorkerThread] = []
        self.last_error = ""
        self.stopped_by_edit = False
        document.dataChanged.connect(self._on_problem_changed)
        document.modelChanged.connect(self._on_problem_changed)

    @property
    def running(self) -> bool:
        """True while a race runs."""
        return self._slot.handle is not None

    @property
    def thread(self):
        """The running race's QThread (None when idle)."""
        return self._slot.handle.thread if self._slot.handle is not None else None

    def start(self, kinds, steps: int = DEFAULT_STEPS, include_manual: bool = False) -> bool:
        """Race ``kinds`` from the current knobs for at most ``steps`` rounds (False if that cannot start)."""
        kinds = tuple(k for k in RACE_KINDS if k in set(kinds))
        if self.running or self.doc.dataset.n == 0 or not (kinds or include_manual):
            return False
        state = self.doc.state
        trail = list(self.doc.manual_trail) if include_manual and self.doc.manual_trail else None
        run_id = next(self._ids)
        worker = RaceWorker(run_id, state, state.theta, kinds, steps, trail)
        worker.progressed.connect(self._on_worker_progressed)
        worker.finished.connect(self._on_worker_finished)
        handle = WorkerThread(worker, f"optimiser-race-{run_id}")   # a gradient-descent run's lifecycle
        self._slot.handle, self._active_id, self._absorbed_seq = handle, run_id, 0
        self._view = RaceView(run_id, kinds, RACE_NAMES, state.theta, steps)
        self.last_error = ""
        self.stopped_by_edit = False
        self.doc.race = self._view
        self.doc.raceChanged.emit()
        handle.start()
        self.runningChanged.emit(True)
        return True

    def stop(self) -> None:
        """Stop the race at once and finalise it here (blocks until its thread has ended, bounded)."""
        handle = self._slot.handle
        if handle is None:
            return
        ended = handle.stop_and_wait(THREAD_WAIT_MS)
        in_flight = handle.worker.in_flight if ended else None
        if in_flight is not None:
            # Sent but still queued: the final payload only has what came after it.
            self._absorb(in_flight)
        self._finalise(handle, handle.worker.outcome if ended else None, ended)

    def shutdown(self) -> None:
        """Stop any race and wait for its thread (the window is closing)."""
        self.stop()

    # -- the worker's signals ---------------------------------------------------------------------------
    @Slot(object)
    def _on_worker_progressed(self, progress: RaceProgress) -> None:
        if progress.run_id != self._active_id:
            return
        self._absorb(progress)
        # Resume the worker once the event loop has handled what this payload set off (see worker.py).
        QTimer.singleShot(0, self, self._on_progress_absorbed)

    @Slot()
    def _on_progress_absorbed(self) -> None:
        if self._slot.handle is not None:
            self._slot.handle.worker.acknowledge()

    @Slot(object)
    def _on_worker_finished(self, progress: RaceProgress) -> None:
        handle = self._slot.handle
        if progress.run_id != self._active_id or handle is None:
            return
        ended = handle.thread.wait(THREAD_WAIT_MS)   # it is quitting; make sure it has
        self._finalise(handle, progress, ended)

    @Slot()
    def _on_problem_changed(self) -> None:
        # The document has already dropped the race (clear_trails); stop computing one nobody can see.
        if self.running:
            self.stopped_by_edit = True
            self.stop()

    # -- bookkeeping ----------------------------------------------------------------------------------
    def _absorb(self, progress: RaceProgress) -> None:
        view = self._view
        if progress.seq <= self._absorbed_seq:
            return   # already taken in (a payload can reach here twice when a stop overtakes it)
        self._absorbed_seq = progress.seq
        if view is None or self.doc.race is not view or progress.snapshot is None:
            return
        snap = progress.snapshot
        if progress.manual is not None:
            view.add_manual(progress.manual, MANUAL_NAME)
        view.absorb(snap.step, snap.target, progress.optimum, snap.contenders, progress.paths)
        view.elapsed_s = progress.elapsed_s
        self.doc.raceChanged.emit()

    def _finalise(self, handle: WorkerThread, progress: RaceProgress | None, ended: bool) -> None:
        self._slot.handle, self._active_id = None, 0
        if progress is not None:
            self._absorb(progress)   # the final payload: everything since the last one
            self.last_error = progress.error
        view, self._view = self._view, None
        if not ended:
            self.last_error = self.last_error or "the race thread did not stop in time"
            self._unfinished.append(handle)   # must stay referenced until its thread ends
        if view is not None:
            view.finish(self._outcome(view, progress), self.last_error)
            if self.doc.race is view:
                self.doc.raceChanged.emit()
        self.runningChanged.emit(False)
        if view is not None:
            self.raceFinished.emit(view)

    @staticmethod
    def _outcome(view: RaceView, progress: RaceProgress | None) -> str:
        if progress is None or progress.error:
            return "failed"
        if progress.stopped:
            return "stopped"
        if view.step >= view.max_steps:
            return "step limit"
        return "finished"


# -- the panel -------------------------------------------------------------------------------------------
class RacePanel(QWidget):
    """Pick contenders, race them from the current knobs, and read the scoreboard."""

    raceFinished = Signal(object)   # the RaceView, after the scoreboard shows it

    def __init__(self, document: FitDocument, controller=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("racePanel")
        self.document = document
        self.controller = controller
        self.race_controller = RaceController(document, self)
        self.destroyed.connect(partial(_RaceSlot.shutdown, self.race_controller._slot))
        self._build_ui()
        self.race_controller.runningChanged.connect(self._on_race_running_changed)
        self.race_controller.raceFinished.connect(self._on_race_finished)
        document.raceChanged.connect(self._refresh)
        document.trailChanged.connect(self._update_enabled)
        document.stateChanged.connect(self._update_enabled)
        if controller is not None:
            controller.runningChanged.connect(self._update_enabled)
        self._refresh()
        self._update_enabled()

    # -- building -------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.checks: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        for n, kind in enumerate((*RACE_KINDS, "manual")):
            text = "include my manual trail" if kind == "manual" else RACE_NAMES[kind]
            check = QCheckBox(text, objectName=f"raceCheck_{kind}")
            check.setIcon(swatch_icon(RACE_COLOURS[kind]))
            check.setChecked(kind != "manual")
            check.toggled.connect(self._update_enabled)
            self.checks[kind] = check
            grid.addWidget(check, n // 2, n % 2)
        self.checks["nudge"].setToolTip("Turn one knob a little at random; keep it if the loss dropped, else undo")
        self.checks["manual"].setToolTip("Your own knob moves join the race: each move is a step and one loss "
                                         "evaluation")

        self.steps_spin = QSpinBox(objectName="raceStepsSpin")
        self.steps_spin.setRange(1, MAX_STEPS)
        self.steps_spin.setValue(DEFAULT_STEPS)
        self.steps_spin.setSingleStep(500)
        self.steps_spin.setGroupSeparatorShown(True)
        self.steps_spin.setToolTip("The race ends when every optimiser is within 1% of the optimum, or after "
                                   "this many steps")
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
            policy = label.sizePolicy()   # (keeps its height-for-width)
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
        return self.race_controller.running

    def selected_kinds(self) -> tuple[str, ...]:
        """The ticked optimisers, in race order."""
        return tuple(k for k in RACE_KINDS if self.checks[k].isChecked())

    def start_race(self) -> bool:
        """Race the ticked contenders from the current knobs (False if nothing could start)."""
        if self.controller is not None and self.controller.running:
            return False
        include_manual = self.checks["manual"].isChecked() and bool(self.document.manual_trail)
        return self.race_controller.start(self.selected_kinds(), self.steps_spin.value(), include_manual)

    def stop_race(self) -> None:
        """Stop the race at once (the scoreboard keeps what it reached)."""
        self.race_controller.stop()

    def shutdown(self) -> None:
        """Stop any race and wait for its thread (the window is closing)."""
        self.race_controller.shutdown()

    # -- handlers ------------------------------------------------------------------------------------
    @Slot()
    def _on_race_clicked(self) -> None:
        if self.running:
            self.stop_race()
        else:
            self.start_race()

    @Slot(bool)
    def _on_race_running_changed(self, running: bool) -> None:
        self.race_button.setText("Stop" if running else "Start race")
        self.race_button.setToolTip("Stop the race now" if running
                                    else "Race the ticked optimisers from the current knobs")
        self._update_enabled()
        self._refresh()

    @Slot(object)
    def _on_race_finished(self, view: RaceView) -> None:
        self.raceFinished.emit(view)

    @Slot()
    def _update_enabled(self) -> None:
        running = self.running
        gd_running = self.controller is not None and self.controller.running
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
        self.checks["manual"].setEnabled(not running and has_trail)
        self.checks["manual"].setToolTip(
            "Your own knob moves join the race: each move is a step and one loss evaluation" if has_trail
            else "Turn some knobs by hand first: your trail of moves can then join the race")
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
            cells = (track.name, lr, format_value(track.steps_to_target), format_value(track.evaluations_to_target),
                     format_value(track.loss, 4), track.status)
            for c, text in enumerate(cells):
                item = table.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    if 0 < c < len(COLUMNS) - 1:   # numbers right, names and status left
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
        height = (table.horizontalHeader().sizeHint().height() + rows * table.verticalHeader().defaultSectionSize()
                  + 2 * table.frameWidth())
        if table.horizontalHeader().length() > table.width() - 2 * table.frameWidth():
            height += table.horizontalScrollBar().sizeHint().height()
        if table.height() != height or table.minimumHeight() != height:
            table.setFixedHeight(height)

    def _show_target(self, view: RaceView | None) -> None:
        self.target_label.setTextFormat(Qt.TextFormat.RichText)
        if view is None:
            self.target_label.setText("Race the optimisers from the current knobs: who gets within 1% of the "
                                      "optimum first, in steps and in loss evaluations?")
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
            self.target_label.setText("The neural net has no exact optimum to aim for: every optimiser runs the "
                                      "full step limit, and the board compares final losses.")

    def _show_status(self, view: RaceView | None) -> None:
        rc = self.race_controller
        if view is None:
            self.status_label.setText("The race was stopped: the data or the model changed."
                                      if rc.stopped_by_edit else "")
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
            tail = (f"  Fewest loss evaluations: {winner.name} ({winner.evaluations_to_target:,}).  "
                    f"{len(reached)} of {len(contenders)} reached the target.")
        else:
            tail = "  Nobody reached the target."
        self.status_label.setText(head + tail)


_LR_TIPS = {"nudge": "No learning rate: the nudge tries random changes of one knob (their size halves "
                     "after 20 failures in a row)",
            "manual": "Your own moves: no learning rate",
            "adam": "Adam's step is in knob units, whatever the gradient's size"}
_STATUS_COLOURS = {"reached": (30, 130, 60), "diverged": (200, 40, 40), "running": (60, 60, 60),
                   "stopped": (150, 100, 20), "step limit": (150, 100, 20), "failed": (200, 40, 40)}

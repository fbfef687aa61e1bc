"""The controller: turns user intent into document changes, and owns the gradient-descent run.

Every edit of data or model stops a running run first (and finalises it synchronously), so the
worker's late signals can never overwrite an edit: they carry a run id that is no longer active and
are ignored.  Views call these methods; they never change the document themselves.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from workbench.fitting.basis import Basis, check_degree
from workbench.fitting.data import DataError, Dataset, read_dataset
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel
from workbench.fitting.split import Split
from workbench.fitting.training import STOPPED_BY_USER, StopReason, StopRules
from workbench.qt.app_state.document import FitDocument, RunRecord
from workbench.qt.tasks.worker import FitWorker, RunHandle, RunOutcome, RunProgress, SpeedSetting, WorkerThread

MAX_TRAJECTORY_KEPT = 20_000  # knob positions kept of a run's path (for drawing on the surface)


class GrowingArray:
    """Losses of a run as they arrive: appends in amortised O(1) (a run may take millions of steps).

    With ``columns`` each entry is a row of that many values (the validation history's (step, loss)).
    """

    def __init__(self, capacity: int = 1024, columns: int | None = None):
        self._data = np.empty(capacity if columns is None else (capacity, columns))
        self._size = 0

    def extend(self, values: np.ndarray) -> np.ndarray:
        """Append ``values`` (rows, with ``columns``); returns a read-only view of everything so far."""
        needed = self._size + len(values)
        if needed > len(self._data):
            grown = np.empty((max(needed, 2 * len(self._data)),) + self._data.shape[1:])
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : needed] = values
        self._size = needed
        view = self._data[:needed]
        view.flags.writeable = False
        return view


class Controller(QObject):
    """User intent → document.  Also starts, stops and finalises gradient-descent runs."""

    runningChanged = Signal(bool)
    notice = Signal(str, str)  # (level: "info" | "warning" | "error", message) for status/notices
    runFinished = Signal(object)  # TrainResult, after the document has been updated

    def __init__(self, document: FitDocument, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = document
        self.speed = SpeedSetting(0.0)
        self._run: WorkerThread | None = None
        self._run_ids = itertools.count(1)
        self._active_run_id = 0
        self._run_start_state = None
        self._drag_ids = itertools.count(1)
        self._last_knob_merge: object = None
        self._history = GrowingArray()
        self._val_history = GrowingArray(columns=2)
        self._unfinished: list[WorkerThread] = []  # runs whose thread did not stop in time (kept alive)
        if document.start_note:  # (the window's notice area is connected once the window is built)
            QTimer.singleShot(0, self, self._announce_start_note)

    @Slot()
    def _announce_start_note(self) -> None:
        self.notice.emit("info", self.doc.start_note)

    def _apply(self, state, text: str, merge_key: object = None, *, model: bool = False) -> bool:
        """Make ``state`` current (one undo step), unless its numbers cannot be computed with: then say
        why, change nothing, and put back controls that show the refused value (``model``: the model's)."""
        why = self.doc.trouble(state)
        if why is not None:
            self.notice.emit("error", f"“{text}” was not done: {why}.")
            self.doc.redisplay(model)
            return False
        self.doc.apply(state, text, merge_key)
        return True

    # -- data -------------------------------------------------------------------------------------
    def add_point(self, x: float, y: float) -> None:
        """Add a data point (a click on the plot or the table's add button)."""
        if not (math.isfinite(x) and math.isfinite(y)):
            self.notice.emit("warning", "A point needs finite x and y values.")
            return
        self._edit_data(self.doc.dataset.with_point(x, y), "Add point")

    def move_point(self, index: int, x: float, y: float, drag_id: object = None) -> None:
        """Move a point; moves sharing ``drag_id`` are one undo step."""
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        self._edit_data(
            self.doc.dataset.with_point_moved(index, x, y),
            "Move point",
            merge_key=("move", drag_id) if drag_id is not None else None,
        )

    def remove_points(self, indices) -> None:
        """Remove points by index (right-click, Delete, or the table's remove button)."""
        indices = sorted({int(i) for i in indices if 0 <= int(i) < self.doc.dataset.n}, reverse=True)
        if not indices:
            return
        data = self.doc.dataset
        for i in indices:
            data = data.without_point(i)
        self._edit_data(data, "Remove point" if len(indices) == 1 else f"Remove {len(indices)} points")

    def edit_cell(self, row: int, column: int, text: str) -> bool:
        """Set x (column 0) or y (column 1) of a point from typed text; refuse bad input with a notice."""
        try:
            value = float(str(text).strip().replace(",", "."))
        except ValueError:
            self.notice.emit(
                "warning", f"Row {row + 1}: '{text}' is not a number. Type a decimal number such as 1.5 or -2e3."
            )
            return False
        if not math.isfinite(value):
            self.notice.emit("warning", f"Row {row + 1}: values must be finite numbers, not '{text}'.")
            return False
        data = self.doc.dataset
        x, y = float(data.x[row]), float(data.y[row])
        x, y = (value, y) if column == 0 else (x, value)
        return self._edit_data(data.with_point_moved(row, x, y), "Edit point")

    def clear_data(self) -> None:
        """Remove every point (undoable)."""
        if self.doc.dataset.n:
            self._edit_data(Dataset(np.empty(0), np.empty(0), self.doc.dataset.name), "Clear data")

    def replace_data(self, dataset: Dataset, text: str = "Replace data") -> bool:
        """New data (a generated set, an opened file); the scaled bases follow its x range.

        Data that raw powers of x cannot hold (x near 1e300, say) switch the monomial basis to Scaled,
        with a notice; data no basis can compute with are refused (False), and nothing changes.
        """
        self.stop_run()
        state = self.doc.state
        basis = Basis.for_data(state.basis.kind, dataset.x) if dataset.n else state.basis
        new = replace(state, dataset=dataset, basis=basis, theta=self._converted(state, basis))
        why = self.doc.trouble(new)
        if why is not None and state.model == "polynomial" and basis.kind == "monomial":
            scaled = Basis.for_data("scaled", dataset.x)
            rescued = replace(new, basis=scaled, theta=self._converted(state, scaled))
            if self.doc.trouble(rescued) is None:
                self.notice.emit("info", f"{text}: the basis is now Scaled, because with raw powers of x {why}.")
                new = rescued
        return self._apply(new, text, model=True)

    @staticmethod
    def _converted(state, basis: Basis) -> np.ndarray:
        """The knobs of ``state`` in ``basis`` (the same curve), or zeros if that curve cannot be held there."""
        if state.model != "polynomial":
            return state.theta
        try:
            theta = state.basis.convert(state.theta, basis)
        except OverflowError:  # exact conversion whose result no double can hold
            theta = None
        return theta if theta is not None and np.all(np.isfinite(theta)) else np.zeros_like(state.theta)

    def open_file(self, path) -> bool:
        """Load a CSV file as the data; a bad file changes nothing and says why."""
        try:
            loaded = read_dataset(path)
        except (DataError, OSError) as exc:
            self.notice.emit("error", f"Could not open the file: {exc}")
            return False
        if not self.open_dataset(loaded.dataset, str(path)):
            return False
        if loaded.notices:  # an encoding other than UTF-8, thousands separators: worth a look
            self.notice.emit("warning", f"{os.path.basename(path)}: {'; '.join(loaded.notices)}.")
        return True

    def open_dataset(self, dataset: Dataset, source: str) -> bool:
        """Make a dataset read from ``source`` (a file) the data: one undo step named "Open <file name>".
        False (with a notice, nothing changed) when its numbers cannot be computed with."""
        if not self.replace_data(dataset, f"Open {os.path.basename(source) or dataset.name or 'data'}"):
            return False
        weights = " with σ weights" if dataset.sigma is not None else ""
        self.notice.emit("info", f"Opened {source} ({dataset.n:,} points{weights}).")
        return True

    def _edit_data(self, dataset: Dataset, text: str, merge_key: object = None) -> bool:
        self.stop_run()
        return self._apply(replace(self.doc.state, dataset=dataset), text, merge_key)

    # -- model ------------------------------------------------------------------------------------
    def set_model(self, kind: str, hidden: tuple[int, ...] | None = None) -> None:
        """Switch between the polynomial and the neural net (1 → H tanh → 1, one or two hidden layers).

        The net starts from small random weights (all zeros would be a saddle where every hidden
        weight's gradient vanishes); the polynomial from all knobs at 0.  Undo brings the old model back.
        """
        state = self.doc.state
        hidden = tuple(int(h) for h in (hidden or state.hidden))
        if kind == state.model and (kind == "polynomial" or hidden == state.hidden):
            return
        self.stop_run()
        if kind == "mlp":
            try:
                theta = MLPModel(hidden).initial_params(seed=0)
            except ValueError as exc:
                self.notice.emit("warning", str(exc))
                return
            text = "Neural net " + " → ".join(["1", *map(str, hidden), "1"])
        elif kind == "polynomial":
            theta, text = np.zeros(state.degree + 1), "Polynomial model"
        else:
            raise ValueError(f"unknown model {kind!r}")
        self._apply(replace(state, model=kind, hidden=hidden, theta=theta), text, model=True)

    def set_degree(self, degree: int) -> None:
        """Change the degree, keeping the knobs of the terms that remain and adding new ones at 0."""
        check_degree(degree)
        state = self.doc.state
        if degree == state.degree or state.model != "polynomial":
            return
        self.stop_run()
        theta = np.zeros(degree + 1)
        keep = min(degree + 1, state.theta.size)
        theta[:keep] = state.theta[:keep]
        self._apply(replace(state, degree=degree, theta=theta), f"Degree {degree}", model=True)

    def set_basis(self, kind: str) -> None:
        """Switch basis; the knobs are converted so that the curve stays where it is."""
        state = self.doc.state
        if kind == state.basis.kind or state.model != "polynomial":
            return
        self.stop_run()
        basis = Basis.for_data(kind, state.dataset.x)
        theta = self._converted(state, basis)
        if not np.any(theta) and np.any(state.theta):
            self.notice.emit("warning", "The curve could not be expressed in the new basis; knobs reset to 0.")
        self._apply(replace(state, basis=basis, theta=theta), f"Basis {kind}", model=True)

    def set_loss(self, loss: Loss) -> None:
        """Change the loss function (MSE, SSE, MAE, Huber, L2 penalty)."""
        if loss == self.doc.state.loss:
            return
        self.stop_run()
        self._apply(replace(self.doc.state, loss=loss), f"Loss {loss.kind}", model=True)

    def set_split(self, split: Split | None) -> None:
        """Hold out a share of the points for validation (None: fit them all); one undoable step.

        Gradient descent, the exact optimum and everything derived from the loss then use the training
        points only; the held-out ones are scored beside them.
        """
        if split is not None and not isinstance(split, Split):
            raise TypeError(f"expected a Split or None, got {type(split).__name__}")
        state = self.doc.state
        if split == state.split:
            return
        self.stop_run()
        if split is None:
            text = "Fit every point (no validation)"
        else:
            text = f"Hold out {split.fraction * 100:.0f}% for validation"
            if split.validation_size(state.dataset.n) == 0:
                self.notice.emit(
                    "info",
                    f"With {state.dataset.n} point(s) none can be held out: validation "
                    "starts once there are at least 2 points.",
                )
        self._apply(replace(state, split=split), text, model=True)

    def set_run_settings(self, **changes) -> None:
        """Optimiser, learning rate, step limit, early-stopping patience (take effect at the next run)."""
        self.doc.set_settings(replace(self.doc.settings, **changes))

    def set_speed(self, delay_s: float) -> None:
        """Pause after each step of a run (0 = full speed); applies immediately, even mid-run."""
        self.speed.delay_s = max(0.0, float(delay_s))

    # -- knobs ------------------------------------------------------------------------------------
    def new_drag_id(self) -> int:
        """A key that makes the knob moves of one drag a single undo step."""
        return next(self._drag_ids)

    def set_knob(self, index: int, value: float, drag_id: object = None) -> None:
        """Turn knob ``index`` to ``value`` by hand."""
        if not math.isfinite(value):
            return
        self.stop_run()
        theta = self.doc.theta
        if not 0 <= index < theta.size or theta[index] == value:
            return
        theta[index] = value
        merge = ("knob", index, drag_id) if drag_id is not None else None
        if not self._apply(replace(self.doc.state, theta=theta), f"Turn k{index}", merge):
            return
        self.doc.record_manual_move(new_move=merge is None or merge != self._last_knob_merge)
        self._last_knob_merge = merge

    def set_knobs(self, theta, text: str) -> None:
        """Set all knobs at once (reset, restore manual fit, exact solution)."""
        self.stop_run()
        theta = np.array(theta, dtype=np.float64)
        if theta.shape != self.doc.state.theta.shape or not np.all(np.isfinite(theta)):
            self.notice.emit("warning", "Those coefficients do not fit the current model.")
            return
        self._apply(replace(self.doc.state, theta=theta), text)

    def reset_knobs(self) -> None:
        """All knobs back to 0 (undoable); the net's weights back to their small random start."""
        state = self.doc.state
        if state.model == "mlp":
            self.set_knobs(state.build_model().initial_params(seed=0), "Reset weights")
        else:
            self.set_knobs(np.zeros_like(state.theta), "Reset knobs")

    def restore_manual_fit(self) -> None:
        """Bring back the best knobs the user found by hand."""
        if self.doc.best_manual is None:
            self.notice.emit("info", "There is no manual fit yet: turn some knobs first.")
            return
        self.set_knobs(self.doc.best_manual[1], "Restore my manual fit")

    def show_exact(self, show: bool = True) -> None:
        """Show the least-squares optimum as a ghost curve, with its loss."""
        exact = self.doc.exact
        if exact is None:
            self.notice.emit("warning", "Add at least one data point to solve exactly.")
            return
        self.doc.set_overlays(exact=show)
        if show:
            extra = " (degree ≥ points − 1: the curve passes through every point)" if exact.is_interpolating else ""
            self.notice.emit("info", f"Exact least-squares optimum: loss {exact.loss:.6g}{extra}.")

    # -- snapshots ----------------------------------------------------------------------------------
    def take_snapshot(self, slot: str) -> bool:
        """Fill a snapshot slot with knobs to keep: "my best knobs" (the best manual fit so far), "GD
        result" (where the last run ended) or "exact" (the least-squares optimum).

        Snapshots are explicit: a slot changes only when taken again, so it stays put as a landmark
        while the ghost curves follow the latest manual best, run and optimum.
        """
        theta, missing = self._snapshot_source(slot)
        if theta is None:
            self.notice.emit("info", missing)
            return False
        loss = self.doc.set_snapshot(slot, theta)
        if loss is None:
            self.notice.emit("warning", f"Snapshot “{slot}” not taken: its loss is not a finite number.")
            return False
        self.notice.emit("info", f"Snapshot “{slot}” taken: loss {loss:.6g}.")
        return True

    def _snapshot_source(self, slot: str) -> tuple[np.ndarray | None, str]:
        """The knobs ``slot`` would keep now, or None and why there are none."""
        size = self.doc.state.theta.size
        if slot == "my best knobs":
            best = self.doc.best_manual
            if best is not None and best[1].size == size:
                return best[1], ""
            return None, "There is no manual fit yet: turn some knobs first."
        if slot == "GD result":
            run = self.doc.last_run
            if run is not None and run.result.params.size == size:
                return run.result.params, ""
            return None, "There is no gradient-descent result for this model yet: run gradient descent first."
        if slot == "exact":
            exact = self.doc.exact
            if exact is not None:
                return exact.coefficients, ""
            why = "the neural net has none" if self.doc.state.model == "mlp" else "add at least one data point"
            return None, f"There is no exact least-squares optimum: {why}."
        raise ValueError(f"unknown snapshot slot {slot!r}")

    def restore_snapshot(self, name: str) -> None:
        """Set the knobs to a snapshot's (one undoable step)."""
        snapshot = self.doc.snapshots.get(name)
        if snapshot is None:
            self.notice.emit("info", f"The snapshot “{name}” is empty: take it first.")
            return
        self.set_knobs(snapshot[1], f"Restore snapshot “{name}”")

    def clear_snapshots(self) -> None:
        """Empty every snapshot slot."""
        self.doc.clear_snapshots()

    # -- gradient descent ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while a run is in progress."""
        return self._run is not None

    def _rules(self, early_stopping: bool = False) -> StopRules:
        s = self.doc.settings
        return StopRules(max_steps=s.max_steps, tol=s.tol, patience=s.patience if early_stopping else None)

    def step_once(self) -> None:
        """Exactly one forward pass, one backward pass and one update (undoable)."""
        if not self._check_runnable():
            return
        self.stop_run()
        s = self.doc.settings
        trainer = self.doc.problem.trainer(s.optimizer, s.lr, self.doc.theta, StopRules(max_steps=1))
        record = trainer.step()
        stepped = replace(self.doc.state, theta=record.params)
        if not np.all(np.isfinite(record.params)) or self.doc.trouble(stepped) is not None:
            self.notice.emit("warning", self._divergence_text("the step overflowed"))
            return
        self.doc.apply(stepped, "Gradient descent step")
        self.doc.gd_trajectory.extend([record.params_before, record.params])
        self.doc.trailChanged.emit()

    def start_run(self) -> None:
        """Start gradient descent from the current knobs on a worker thread."""
        if self.running or not self._check_runnable():
            return
        s = self.doc.settings
        state = self.doc.state
        problem = state.build_problem()  # the worker's own graphs: no state shared with the GUI thread
        validation = state.build_validation_problem()
        if s.patience is not None and validation is None:
            self.notice.emit("info", "Early stopping is off for this run: no points are held out for validation.")
        run_id = next(self._run_ids)
        worker = FitWorker(
            run_id, problem, s.optimizer, s.lr, state.theta, self._rules(validation is not None), self.speed, validation
        )
        worker.progressed.connect(self._on_worker_progressed)
        worker.finished.connect(self._on_worker_finished)
        self._active_run_id = run_id
        self._run_start_state = state
        self._run = RunHandle(worker)
        self.doc.gd_trajectory = [state.theta.copy()]
        self._history = GrowingArray()
        self.doc.loss_history.append(self._history.extend(np.empty(0)))
        self._val_history = GrowingArray(capacity=256, columns=2)
        self.doc.val_history.append(self._val_history.extend(np.empty((0, 2))))
        self.doc.trailChanged.emit()
        self._run.start()
        self.runningChanged.emit(True)

    def stop_run(self) -> None:
        """Stop a run at once and finalise it here, so no later signal from it can change anything."""
        handle = self._run
        if handle is None:
            return
        if not handle.stop_and_wait():
            self.notice.emit("error", "The gradient-descent thread did not stop in time.")
        outcome = handle.worker.outcome
        self._finalise(outcome)

    def toggle_run(self) -> None:
        """Run if idle, stop if running (the Run/Stop button)."""
        if self.running:
            self.stop_run()
        else:
            self.start_run()

    def shutdown(self) -> None:
        """Stop any run and wait for its thread (window closing, application quitting)."""
        self.stop_run()

    @Slot(object)
    def _on_worker_progressed(self, progress: RunProgress) -> None:
        if progress.run_id != self._active_run_id:
            return
        self._absorb(progress)
        # Resume the worker once the event loop has handled what this payload set off (see worker.py).
        QTimer.singleShot(0, self, self._on_progress_absorbed)

    @Slot()
    def _on_progress_absorbed(self) -> None:
        if self._run is not None:
            self._run.worker.acknowledge()

    @Slot(object)
    def _on_worker_finished(self, outcome: RunOutcome) -> None:
        if outcome.run_id != self._active_run_id or self._run is None:
            return
        self._run.thread.wait(2000)  # the thread is quitting; make sure it has
        self._finalise(outcome)

    def _absorb(self, progress: RunProgress) -> None:
        evaluation = None if progress.grad is None else (progress.loss, progress.grad)
        self.doc.set_theta_live(progress.theta, evaluation)
        if progress.losses.size:
            self.doc.loss_history[-1] = self._history.extend(progress.losses)
        if progress.val_losses.size and self.doc.val_history:
            rows = np.column_stack([progress.val_steps, progress.val_losses])
            self.doc.val_history[-1] = self._val_history.extend(rows)
        if len(progress.trajectory):
            trail = self.doc.gd_trajectory
            trail.extend(progress.trajectory)
            if len(trail) > MAX_TRAJECTORY_KEPT:
                # Drawn decimated anyway: thin the path (keeping both ends) so memory stays bounded.
                self.doc.gd_trajectory = trail[:-1:2] + [trail[-1]]
        self.doc.trailChanged.emit()

    def _finalise(self, outcome: RunOutcome | None) -> None:
        handle, self._run = self._run, None
        self._active_run_id = 0
        start, self._run_start_state = self._run_start_state, None  # (it holds the run's data: let go)
        if outcome is not None and start is not None:
            result = outcome.result
            # The knobs end at the run's result (the best finite coefficients if it diverged).
            self.doc.apply(
                replace(start, theta=result.params), f"Gradient descent ({result.steps} steps)", before=start
            )
            self.doc.last_run = RunRecord(result, start.theta.copy(), self.doc.settings)
            self.doc.trailChanged.emit()
            self.doc.overlaysChanged.emit()
            self._report(result)
            self.runFinished.emit(result)
        if handle is not None:
            self._release(handle)
        self.runningChanged.emit(False)

    def _release(self, handle: WorkerThread) -> None:
        """Let a finished run's worker and thread go.

        The worker is Python's (no parent) and goes with its last reference: not ``deleteLater``, which
        posts the deletion to the worker's own thread, and that thread has ended, so it would never
        happen; every run's FitProblem (its design matrix and engine graph: ~100 MB at 10⁶ points) would
        stay in memory for good.  A thread that did not stop in time keeps both referenced.
        """
        if handle.running:
            self._unfinished = [h for h in self._unfinished if h.running] + [handle]
            return
        handle.thread.deleteLater()

    def _report(self, result) -> None:
        if result.stop_reason is StopReason.DIVERGED:
            self.notice.emit("error", self._divergence_text(result.message, result.loss))
        elif result.stop_reason is StopReason.CONVERGED:
            self.notice.emit("info", f"Gradient descent converged after {result.steps} steps: loss {result.loss:.6g}.")
        elif result.stop_reason is StopReason.EARLY_STOP:
            self.notice.emit(
                "info",
                f"Gradient descent stopped early after {result.steps} steps: {result.message}. "
                f"Training loss {result.loss:.6g}.",
            )
        elif result.stop_reason is StopReason.MAX_STEPS:
            self.notice.emit(
                "info", f"Gradient descent reached the step limit ({result.steps} steps): loss {result.loss:.6g}."
            )
        elif result.message and result.message != STOPPED_BY_USER:  # a failure ended it: say what happened
            self.notice.emit(
                "warning",
                f"Gradient descent stopped after {result.steps} steps: {result.message}. "
                f"The knobs keep the best values it found (loss {result.loss:.6g}).",
            )
        else:
            self.notice.emit("info", f"Gradient descent stopped after {result.steps} steps: loss {result.loss:.6g}.")

    def _divergence_text(self, why: str, loss: float | None = None) -> str:
        s = self.doc.settings
        cond = self.doc.problem.conditioning
        limit = cond.max_stable_lr if cond is not None else float("nan")
        text = f"Gradient descent diverged ({why}). "
        if s.optimizer == "gd" and math.isfinite(limit):
            relation = "above" if s.lr > limit else "near"
            text += (
                f"Learning rate {s.lr:.3g} is {relation} the stability limit {limit:.3g} (2/λ_max); "
                f"try {0.9 * limit:.3g} or less. "
            )
        elif math.isfinite(limit):
            text += f"Try a smaller learning rate (plain GD is stable below {limit:.3g}). "
        if loss is not None:
            text += f"Knobs restored to the last finite values (loss {loss:.6g})."
        return text

    def _check_runnable(self) -> bool:
        if self.doc.dataset.n == 0:
            self.notice.emit("warning", "There are no data points to fit: click on the plot to add some.")
            return False
        return True

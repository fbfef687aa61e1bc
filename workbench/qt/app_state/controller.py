"""The controller: turns user intent into document changes (data, model, knobs, snapshots, runs).

Every edit of data or model stops a running run first (``RunController.stop`` ends it at once), so nothing
a run sends later can overwrite an edit.  The window wires the views' intent signals to these methods
(``workbench.qt.window.wiring``); the views never call them, and nothing here writes the document except
through its own methods.
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
from workbench.fitting.newton import newton_step
from workbench.fitting.split import Split
from workbench.qt.app_state.document import FitDocument
from workbench.qt.app_state.formula_controller import FormulaController
from workbench.qt.app_state.rate_follower import RateFollower
from workbench.qt.app_state.run_controller import RunController
from workbench.qt.tasks.runner import TaskRunner
from workbench.state.start import level_knobs, starting_basis

DEFAULT_FORMULA = "a*exp(-b*x) + c"  # the formula a first switch to "Formula" starts from


class Controller(QObject):
    """User intent → document changes; gradient-descent runs through its ``runs`` (a RunController)."""

    notice = Signal(str, str)  # (level: "info" | "warning" | "error", message) for status/notices

    def __init__(self, document: FitDocument, runner: TaskRunner | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = document
        self.runner = runner if runner is not None else TaskRunner(self)
        self.runs = RunController(document, self.runner, self.notice, self)
        self.formulas = FormulaController(document, self.runner, self, self)
        self.rates = RateFollower(document, self)
        self.rates.follow()  # the document starts with the rate its data call for
        self.runningChanged = self.runs.runningChanged
        self.runFinished = self.runs.runFinished
        self._drag_ids = itertools.count(1)
        self._last_knob_merge: object = None
        if document.start_note:  # (the window's notice area is connected once the window is built)
            QTimer.singleShot(0, self, self._announce_start_note)

    @Slot()
    def _announce_start_note(self) -> None:
        self.notice.emit("info", self.doc.start_note)

    def apply_change(self, state, text: str, merge_key: object = None, *, model: bool = False) -> bool:
        """Make ``state`` current as one undo step named ``text``, unless its numbers cannot be computed with
        (then say why and change nothing); ``model``: a change of the model, whose controls redisplay."""
        return self._apply(state, text, merge_key, model=model)

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

    def replace_data(self, dataset: Dataset, text: str = "Replace data", fresh: bool = True) -> bool:
        """New data (a generated set, an opened file, a paste); the scaled bases follow its x range.

        ``fresh`` data (not more of the same points) start from the flat curve at their own level, never
        the previous data's curve (``level_knobs``); a formula's start is guessed from them.  Data that raw
        powers of x cannot hold (x near 1e300, say) switch the monomial basis to Scaled, with a notice;
        data no basis can compute with are refused (False), and nothing changes.
        """
        self.stop_run()
        state = self.doc.state
        basis = basis_for(state.basis.kind, replace(state, dataset=dataset)) if dataset.n else state.basis
        new = replace(state, dataset=dataset, basis=basis, theta=self._converted(state, basis))
        if fresh:
            new = replace(new, theta=level_knobs(new))
        if state.model == "polynomial" and basis.kind == "monomial" and dataset.n:
            try:
                start, note = starting_basis(dataset, state.degree)
            except DataError as exc:
                self.notice.emit("error", f"“{text}” was not done: {exc}")
                self.doc.redisplay(True)
                return False
            if start.kind != "monomial":  # raw powers cannot hold these data, or leave GD hopeless
                new = replace(new, basis=start, theta=self._converted(state, start))
                if fresh:
                    new = replace(new, theta=level_knobs(new))
                self.notice.emit("info", f"{text}: {note}")
        if not self._apply(new, text, model=True):
            return False
        if fresh and new.model == "formula" and dataset.n:
            self.formulas.guess_start()
        return True

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
    def set_model(self, kind: str, hidden: tuple[int, ...] | None = None, formula: str | None = None) -> None:
        """Switch between the polynomial, the neural net (1 → H tanh → 1, one or two hidden layers) and a
        formula (``formula``, or the last one used, or an exponential decay to start from).

        The net starts from small random weights (all zeros would be a saddle where every hidden
        weight's gradient vanishes); the polynomial from all knobs at 0.  Undo brings the old model back.
        """
        state = self.doc.state
        if kind == "formula":
            self.formulas.set_formula(formula or state.formula or DEFAULT_FORMULA)
            return
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
        basis = basis_for(kind, state)
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
        """Optimiser, learning rate, step limit, early-stopping patience (take effect at the next run).

        A learning rate given here is the user's choice: it stays until "Use a stable rate"; without one,
        a new optimiser or batch size brings the rate its data call for."""
        if "lr" in changes:
            changes.setdefault("lr_chosen", True)
        self.doc.set_settings(replace(self.doc.settings, **changes))
        if {"optimizer", "batch_size", "seed"} & set(changes):
            self.rates.follow()

    def use_stable_rate(self) -> None:
        """Set the learning rate the data call for (below the stability limit), and follow the data again."""
        if not self.rates.use_stable():
            self.notice.emit("info", "There is no stability limit to go by here (no data, or the neural net).")

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

    def set_knobs(self, theta, text: str) -> bool:
        """Set all knobs at once (reset, restore manual fit, exact solution); False when refused."""
        self.stop_run()
        theta = np.array(theta, dtype=np.float64)
        if theta.shape != self.doc.state.theta.shape or not np.all(np.isfinite(theta)):
            self.notice.emit("warning", "Those coefficients do not fit the current model.")
            return False
        return self._apply(replace(self.doc.state, theta=theta), text)

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
        """Show the landmark as a ghost curve, with its loss: the least-squares optimum of a polynomial, or
        (solving it first) the Levenberg–Marquardt fit of a formula."""
        if self.doc.state.model == "formula":
            if show:
                self.formulas.solve()
            else:
                self.doc.set_overlays(exact=False)
            return
        exact = self.doc.exact
        if exact is None:
            self.notice.emit("warning", "Add at least one data point to solve exactly.")
            return
        self.doc.set_overlays(exact=show)
        if show:
            extra = " (degree ≥ points − 1: the curve passes through every point)" if exact.is_interpolating else ""
            self.notice.emit("info", f"Exact least-squares optimum: loss {exact.loss:.6g}{extra}.")

    def newton_step(self) -> None:
        """One Newton step from the current knobs (an undo step): on a quadratic loss it lands on the
        optimum, the landmark that gradient descent approaches step by step."""
        if not self.runs.runnable():
            return
        self.stop_run()
        try:
            step = newton_step(self.doc.problem, self.doc.theta)
        except ValueError as exc:
            self.notice.emit("info", f"No Newton step here: {exc}.")
            return
        if self.set_knobs(step.params, "Newton step"):
            self.notice.emit(
                "info",
                f"Newton step: loss {step.start_loss:.6g} → {step.loss:.6g} in one step, using the loss's curvature "
                "(its Hessian), which gradient descent never looks at.",
            )

    def set_overlays(self, **shown: bool) -> None:
        """Show or hide ghost curves: ``exact``, ``manual``, ``gd`` (True/False)."""
        self.doc.set_overlays(**shown)

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
        return self.runs.running

    def start_run(self) -> None:
        """Start gradient descent from the current knobs, in a compute process."""
        self.runs.start()

    def stop_run(self) -> None:
        """Stop a run at once (it ends at the knobs of its last report)."""
        self.runs.stop()

    def toggle_run(self) -> None:
        """Run if idle, stop if running (the Run/Stop button)."""
        if self.running:
            self.stop_run()
        else:
            self.start_run()

    def step_once(self) -> None:
        """Exactly one forward pass, one backward pass and one update (undoable, on the loss history)."""
        self.runs.step_once()

    def set_speed(self, delay_s: float) -> None:
        """Pause after each step of a run (0 = full speed); applies immediately, even mid-run."""
        self.runs.set_pace(delay_s)

    def shutdown(self) -> None:
        """Stop any run and end every background task (window closing, application quitting)."""
        self.stop_run()
        self.runner.shutdown()


def basis_for(kind: str, state) -> Basis:
    """The basis of ``kind`` for ``state``'s data: its interval spans the data's x; the orthonormal one is
    orthonormal on the training points (weighted by their σ)."""
    data = state.dataset
    split = state.split_indices()
    index = slice(None) if split is None else split[0]
    x = data.x[index]
    sigma = None if data.sigma is None else data.sigma[index]
    if kind != "orthonormal":
        return Basis.for_data(kind, data.x)
    return Basis.for_data(kind, x, sigma) if x.size else Basis.for_data(kind, data.x)

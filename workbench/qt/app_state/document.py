"""The document: the one place the window's state lives, and the signals views redraw from.

State that undo must restore (dataset, degree, basis, loss, knobs, train/validation split) is an
immutable ``FitState``; every undoable change replaces it through ``apply`` and a ``QUndoCommand``.
Derived facts (the engine's loss and gradient at the knobs, the exact optimum, conditioning) come from
a ``FitProblem`` of the *training* points (all points without a split), rebuilt when data, model or
split change; the held-out points get a ``FitProblem`` of their own.  Views read; only the controller
writes.
"""

from __future__ import annotations

import itertools
import math
import weakref
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from workbench.fitting.basis import Basis
from workbench.fitting.computable import numeric_trouble
from workbench.fitting.data import DataError, Dataset
from workbench.fitting.exact import ExactFit
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel, PolynomialModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.split import Split
from workbench.fitting.training import TrainResult
from workbench.session import RunSettings  # how gradient descent runs (not part of undo)

MODEL_KINDS = ("polynomial", "mlp")
# Named copies of knobs the user keeps to compare with and go back to (filled by the controller).
SNAPSHOT_SLOTS = ("my best knobs", "GD result", "exact")


@dataclass(frozen=True)
class FitState:
    """Everything one undo step restores.

    ``model`` is "polynomial" (knobs: coefficients of ``degree`` in ``basis``) or "mlp" (knobs: the
    weights of a 1 → ``hidden`` tanh → 1 net whose input is x scaled by ``basis``'s interval).
    ``split`` (None: fit every point) holds some points out for validation; it is a rule, so it
    follows data edits.
    """

    dataset: Dataset
    degree: int = 5
    basis: Basis = field(default_factory=Basis)
    loss: Loss = field(default_factory=Loss)
    theta: np.ndarray = field(default_factory=lambda: np.zeros(6))
    model: str = "polynomial"
    hidden: tuple[int, ...] = (8,)
    split: Split | None = None

    def same_problem(self, other: FitState) -> bool:
        """True when only the knobs differ (the loss function itself is unchanged)."""
        return (
            self.dataset is other.dataset
            and self.degree == other.degree
            and self.basis == other.basis
            and self.loss == other.loss
            and self.model == other.model
            and self.hidden == other.hidden
            and self.split == other.split
        )

    def build_model(self):
        """The core model this state describes."""
        if self.model == "mlp":
            return MLPModel(self.hidden, Basis("scaled", self.basis.lo, self.basis.hi))
        return PolynomialModel(self.degree, self.basis)

    def build_problem(self) -> FitProblem:
        """A fresh FitProblem of the training points (every point without a split; its own engine
        graph: give one to each thread that needs one), weighted by the dataset's σ when it has them."""
        split = self.split_indices()
        return self._problem_on(None if split is None else split[0])

    def build_validation_problem(self) -> FitProblem | None:
        """A fresh FitProblem of the held-out points: same model, basis and loss as the training one, so
        the same knobs mean the same curve.  None without a split, or with too few points to hold any out."""
        split = self.split_indices()
        if split is None or split[1].size == 0:
            return None
        return self._problem_on(split[1])

    def split_indices(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(train_idx, val_idx) into the dataset's points, or None without a split."""
        return None if self.split is None else self.split.indices(self.dataset.n)

    def _problem_on(self, idx: np.ndarray | None) -> FitProblem:
        data = self.dataset
        sigma = data.sigma
        if idx is None:
            return FitProblem(data.x, data.y, self.build_model(), self.loss, sigma)
        return FitProblem(
            data.x[idx], data.y[idx], self.build_model(), self.loss, None if sigma is None else sigma[idx]
        )


@dataclass
class RunRecord:
    """A finished gradient-descent run, for the comparison panel and the GD overlay."""

    result: TrainResult
    start_theta: np.ndarray
    settings: RunSettings


# -- the optimiser race, as the views see it -------------------------------------------------------------
RACE_PATH_POINTS = 1000  # at most this many (+1) knob positions kept per contender's path


def race_path_stride(step: int, limit: int = RACE_PATH_POINTS) -> int:
    """Keep the path's points at steps that are multiples of this: a power of two that grows with the
    race so that at most ``limit`` + 1 points are kept (the worker thins with the same rule)."""
    if step <= limit:
        return 1
    return 1 << math.ceil(math.log2(step / limit))


class RaceTrack:
    """One contender's race so far: its losses (a growing buffer), a thinned path and its scoreboard."""

    def __init__(self, kind: str, name: str, lr: float | None, theta0: np.ndarray | None):
        self.kind, self.name, self.lr = kind, name, lr
        self._losses = np.empty(256)
        self._n = 0
        self._trajectory: np.ndarray | None = None  # built on demand, dropped when the path grows
        self._theta = None if theta0 is None else np.array(theta0, dtype=np.float64)
        self._path_steps: list[int] = []
        self._path: list[np.ndarray] = []
        if self.theta is not None:
            self._path_steps.append(0)
            self._path.append(self.theta.copy())
        self.steps_to_target: int | None = None
        self.evaluations_to_target: int | None = None
        self.evaluations = 0
        self.diverged = False
        self.loss = float("nan")
        self.status = "running"

    @property
    def theta(self) -> np.ndarray | None:
        """Where the contender is now."""
        return self._theta

    @theta.setter
    def theta(self, value) -> None:
        self._theta = None if value is None else np.array(value, dtype=np.float64)
        self._trajectory = None

    @property
    def losses(self) -> np.ndarray:
        """The loss after every step so far (a read-only view of the buffer)."""
        view = self._losses[: self._n]
        view.flags.writeable = False
        return view

    @property
    def steps(self) -> int:
        """Steps taken so far."""
        return self._n

    @property
    def reached(self) -> bool:
        """True once the contender got within 1% of the optimum."""
        return self.steps_to_target is not None

    def trajectory(self) -> np.ndarray:
        """The thinned path (rows of knobs), always ending at the latest position (read-only)."""
        if self._trajectory is None:
            rows = list(self._path)
            if self.theta is not None and (not rows or not np.array_equal(rows[-1], self.theta)):
                rows.append(self.theta)
            self._trajectory = np.array(rows) if rows else np.empty((0, 0))
            self._trajectory.flags.writeable = False
        return self._trajectory

    def add_losses(self, losses: np.ndarray) -> None:
        """Append losses; the buffer doubles when full, so a long race is not copied every payload."""
        losses = np.asarray(losses, dtype=np.float64).ravel()
        end = self._n + losses.size
        if end > self._losses.size:
            grown = np.empty(max(end, 2 * self._losses.size))
            grown[: self._n] = self._losses[: self._n]
            self._losses = grown
        self._losses[self._n : end] = losses
        self._n = end

    def add_path(self, steps: np.ndarray, rows: np.ndarray, current_step: int) -> None:
        """Append path points (knobs after ``steps``), then thin the path to ``race_path_stride``."""
        self._trajectory = None
        self._path_steps.extend(int(s) for s in steps)
        self._path.extend(np.array(r, dtype=np.float64) for r in rows)
        stride = race_path_stride(current_step)
        if stride > 1 and len(self._path) > RACE_PATH_POINTS + 1:
            keep = [k for k, s in enumerate(self._path_steps) if s % stride == 0]
            self._path_steps = [self._path_steps[k] for k in keep]
            self._path = [self._path[k] for k in keep]

    def update(self, row: dict) -> None:
        """Take in one contender's row of a race snapshot (``Race.snapshot``'s dicts)."""
        if row.get("new_losses") is not None and len(row["new_losses"]):
            self.add_losses(row["new_losses"])
        if row.get("theta") is not None:
            self.theta = row["theta"]
        self.lr = row.get("lr", self.lr)
        self.steps_to_target = row.get("steps_to_target")
        self.evaluations_to_target = row.get("evaluations_to_target")
        self.evaluations = int(row.get("evaluations", self.evaluations))
        self.diverged = bool(row.get("diverged", False))
        self.loss = float(row.get("loss", self.loss))
        if self.diverged:
            self.status = "diverged"
        elif self.reached:
            self.status = "reached"


class RaceView:
    """The latest optimiser race: one ``RaceTrack`` per contender, the target, and how the race ended.

    ``outcome`` is "running", "finished" (everyone reached the target or diverged), "step limit",
    "stopped" (by the user) or "failed".
    """

    def __init__(self, race_id: int, kinds, names: dict[str, str], theta0: np.ndarray, max_steps: int):
        self.race_id = race_id
        self.theta0 = np.array(theta0, dtype=np.float64)
        self.max_steps = int(max_steps)
        self.tracks: dict[str, RaceTrack] = {k: RaceTrack(k, names[k], None, self.theta0) for k in kinds}
        self.target: float | None = None
        self.optimum: float | None = None
        self.has_target = True  # False once the race knows there is no exact optimum (the net)
        self.step = 0
        self.outcome = "running"
        self.message = ""
        self.elapsed_s = 0.0

    @property
    def running(self) -> bool:
        """True until the race has ended (or been stopped)."""
        return self.outcome == "running"

    @property
    def contenders(self) -> list[RaceTrack]:
        """The racing optimisers (not the manual trail), in start order."""
        return [t for k, t in self.tracks.items() if k != "manual"]

    def add_manual(self, entry: dict, name: str) -> None:
        """The user's trail as a race entry (``manual_trail_entry``'s dict)."""
        track = RaceTrack("manual", name, None, None)
        track.update(entry)
        track.status = "reached" if track.reached else "not reached"
        self.tracks["manual"] = track

    def absorb(self, step: int, target: float | None, optimum: float | None, rows, paths: dict) -> None:
        """Take in a snapshot: new losses and positions of every contender."""
        self.step = int(step)
        self.target, self.optimum = target, optimum
        self.has_target = target is not None
        for row in rows:
            track = self.tracks.get(row["kind"])
            if track is not None:
                track.update(row)
        for kind, (steps, points) in paths.items():
            if kind in self.tracks and len(steps):
                self.tracks[kind].add_path(steps, points, self.step)

    def finish(self, outcome: str, message: str = "") -> None:
        """The race is over: settle every contender's status."""
        self.outcome, self.message = outcome, message
        for track in self.contenders:
            if track.diverged or track.reached:
                continue
            if outcome == "stopped":
                track.status = "stopped"
            elif outcome == "failed":
                track.status = "failed"
            else:
                track.status = "step limit" if self.has_target else "finished"

    def scoreboard(self) -> list[RaceTrack]:
        """Every entry; once the race is over, the fewest loss evaluations to the target first
        (then the lowest final loss; diverged last)."""
        tracks = list(self.tracks.values())
        if self.running:
            return tracks

        def key(t: RaceTrack):
            loss = t.loss if math.isfinite(t.loss) else math.inf
            if t.evaluations_to_target is not None:
                return (0, t.evaluations_to_target, loss)
            return (2 if t.diverged else 1, 0, loss)

        return sorted(tracks, key=key)


class _StateCommand(QUndoCommand):
    """Swap between two ``FitState``s; consecutive commands with the same merge key become one step."""

    _ids = itertools.count(1)

    def __init__(self, document: FitDocument, before: FitState, after: FitState, text: str, merge_key: object = None):
        super().__init__(text)
        # A weak reference: the document owns its undo stack, which owns the commands; a strong one
        # back would make a cycle that Python's collector may break in an order that makes Qt delete
        # a command twice (a segfault when a parentless document is collected).
        self._document = weakref.ref(document)
        self.before, self.after, self.merge_key = before, after, merge_key

    def id(self) -> int:  # noqa: A003 - Qt API
        return 1 if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt API
        if not isinstance(other, _StateCommand) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        document = self._document()
        if document is not None:
            document._set_state(self.after)

    def undo(self) -> None:
        document = self._document()
        if document is not None:
            document._set_state(self.before)


class FitDocument(QObject):
    """The window's state: a ``FitState`` under undo, plus run history, manual trail and snapshots."""

    stateChanged = Signal()  # anything in FitState changed
    dataChanged = Signal()  # the dataset changed
    modelChanged = Signal()  # degree, basis, loss or split changed (knob count may differ)
    splitChanged = Signal()  # the train/validation split changed (also emits modelChanged)
    knobsChanged = Signal()  # theta changed
    settingsChanged = Signal()  # run settings changed
    trailChanged = Signal()  # manual trail, GD trajectory or histories changed
    overlaysChanged = Signal()  # ghost curves shown or hidden, or their contents changed
    raceChanged = Signal()  # the optimiser race progressed, ended or was cleared
    snapshotsChanged = Signal()  # a snapshot slot was filled, re-scored or emptied

    def __init__(self, dataset: Dataset, parent: QObject | None = None, *, degree: int = 5, optimizer: str = "gd"):
        """``degree`` and ``optimizer`` are where a new document starts (the user's preferences)."""
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._problem: FitProblem | None = None
        self._prepared: tuple[FitState, FitProblem] | None = None  # checked by ``trouble``, not yet current
        self._state, self.start_note = self._start_state(dataset, degree)
        self._evaluated: tuple[float, np.ndarray] | None = None
        # (the training problem it belongs to, the validation problem): rebuilt with ``problem``
        self._validation: tuple[FitProblem, FitProblem | None] | None = None
        self._val_evaluated: tuple[FitState, float | None] | None = None
        self._fitted: tuple[FitState, np.ndarray] | None = None  # (state, ŷ at the data x): see ``fitted``
        self.settings = RunSettings(optimizer=optimizer)
        self.live = False  # True while a running gradient descent's knobs are being shown (set_theta_live)
        self.manual_trail: list[np.ndarray] = []  # knob positions the user dialled, in order
        self.manual_moves = 0
        self.best_manual: tuple[float, np.ndarray] | None = None
        self.gd_trajectory: list[np.ndarray] = []  # knob positions of the current/last run
        self.loss_history: list[np.ndarray] = []  # one array of losses per run
        # One (m, 2) array of (step, validation loss) rows per run, beside ``loss_history`` (empty for a
        # run without a split); steps are 1-based like the losses' positions, and may skip some.
        self.val_history: list[np.ndarray] = []
        self.last_run: RunRecord | None = None
        self.show_exact = False
        self.show_manual = False
        self.show_gd = False
        self.race: RaceView | None = None  # the latest optimiser race (written by the race panel)
        self.snapshots: dict[str, tuple[float, np.ndarray]] = {}  # slot name -> (loss, knobs), see SNAPSHOT_SLOTS

    # -- reading -----------------------------------------------------------------------------------
    @property
    def state(self) -> FitState:
        """The current undoable state."""
        return self._state

    @property
    def dataset(self) -> Dataset:
        """The data points."""
        return self._state.dataset

    @property
    def theta(self) -> np.ndarray:
        """The knobs: coefficients in the current basis (a copy)."""
        return self._state.theta.copy()

    @property
    def problem(self) -> FitProblem:
        """Data + model + loss, rebuilt lazily when one of them changes."""
        if self._problem is None:
            prepared, self._prepared = self._prepared, None
            usable = prepared is not None and prepared[0].same_problem(self._state)
            self._problem = prepared[1] if usable else self._state.build_problem()
        return self._problem

    def trouble(self, state: FitState) -> str | None:
        """Why ``state`` could not be computed with (numbers beyond double precision: see
        ``workbench.fitting.computable``), or None.  The controller asks before every change of data,
        model or knobs; the problem checked is kept, so the views do not build it again."""
        if state.dataset.n == 0:
            return None
        same = state.same_problem(self._state)
        prepared = self._prepared
        if same:
            problem = self.problem
        elif prepared is not None and prepared[0].same_problem(state):
            problem = prepared[1]
        else:
            problem = state.build_problem()
        why = numeric_trouble(problem, state.theta)
        if why is None and not same:
            self._prepared = (state, problem)
        return why

    def _start_state(self, dataset: Dataset, degree: int) -> tuple[FitState, str | None]:
        """The first state: raw powers of x, or the Scaled basis when those cannot hold the data (and a
        note that says so); raises DataError when no basis can."""
        state = FitState(dataset, degree, Basis.for_data("monomial", dataset.x), Loss(), np.zeros(degree + 1))
        self._state = state
        why = self.trouble(state)
        if why is None:
            return state, None
        scaled = replace(state, basis=Basis.for_data("scaled", dataset.x))
        self._problem = None  # (the monomial one): ``trouble`` prepares the scaled one
        if self.trouble(scaled) is None:
            return scaled, f"The Scaled basis is used for these data: with raw powers of x, {why}."
        raise DataError(f"{why}.")

    def redisplay(self, model: bool = False) -> None:
        """Ask the views to show the document again: after a refused edit, a control that already shows
        the user's input (a knob, the degree) goes back to the document's value.  Nothing changes."""
        if model:
            self.modelChanged.emit()
        self.knobsChanged.emit()

    @property
    def validation_problem(self) -> FitProblem | None:
        """The held-out points' problem (None without a split), rebuilt whenever ``problem`` is."""
        problem = self.problem
        if self._validation is None or self._validation[0] is not problem:
            self._validation = (problem, self._state.build_validation_problem())
        return self._validation[1]

    def validation_loss(self) -> float | None:
        """The loss on the held-out points at the current knobs (a forward pass), or None without any."""
        cached = self._val_evaluated
        if cached is None or cached[0] is not self._state:
            problem = self.validation_problem
            with np.errstate(all="ignore"):  # an overflow shows as inf, as the training loss does
                value = None if problem is None else float(problem.loss_at(self._state.theta))
            cached = self._val_evaluated = (self._state, value)
        return cached[1]

    def evaluation(self) -> tuple[float, np.ndarray]:
        """The engine's loss and gradient ∂L/∂k at the current knobs (one forward + backward pass)."""
        if self._evaluated is None:
            if self.dataset.n == 0:
                self._evaluated = (0.0, np.zeros(self._state.theta.size))
            else:  # the problem remembers it: the controller's check before the change asked already
                self._evaluated = self.problem.evaluate(self._state.theta)
        return self._evaluated

    @property
    def loss_value(self) -> float:
        """Current loss (NaN-free by construction: knobs are always finite)."""
        return self.evaluation()[0]

    def curve(self, xs, theta=None) -> np.ndarray:
        """The model's values at ``xs`` for the current knobs (or ``theta``), in a stable basis."""
        theta = self._state.theta if theta is None else theta
        return self.problem.predict(theta, np.asarray(xs, dtype=np.float64))

    def fitted(self) -> np.ndarray:
        """ŷ at the data x for the current knobs (read-only; computed once per state, since the fit plot,
        the residual plot and the table all ask for it after every change)."""
        cached = self._fitted
        if cached is None or cached[0] is not self._state:
            if self._state.split is None:  # the problem's points are all the points: its memo serves
                values = self.problem.predict(self._state.theta)
            else:
                values = self.curve(self.dataset.x)
                values.flags.writeable = False
            cached = self._fitted = (self._state, values)
        return cached[1]

    @property
    def exact(self) -> ExactFit | None:
        """The least-squares optimum for the current data and model (None without data)."""
        if self.dataset.n == 0:
            return None
        return self.problem.exact

    # -- writing (the controller's tools) ---------------------------------------------------------
    def apply(self, new_state: FitState, text: str, merge_key: object = None, before: FitState | None = None) -> None:
        """Make ``new_state`` current as one undoable step named ``text``.

        ``before`` is what undo returns to (default: the current state); a finished run passes the
        state it started from, so the live moves in between are not steps of their own.
        """
        before = self._state if before is None else before
        if _states_equal(new_state, before):
            if not _states_equal(new_state, self._state):
                self._set_state(new_state)
            return
        self.undo_stack.push(_StateCommand(self, before, new_state, text, merge_key))

    def set_theta_live(self, theta: np.ndarray, evaluation: tuple[float, np.ndarray] | None = None) -> None:
        """Move the knobs without an undo step (gradient descent in progress: one step per run).

        ``evaluation`` is (loss, ∂L/∂k) at ``theta`` when the run computed them already (the worker's
        engine graph is of the same problem): the window then needs no pass over the points of its own.
        ``live`` is True while the signals of this change are delivered: a view that is costly to redraw
        may show a run's payloads at a lower rate (its final state always arrives as an ordinary change).
        """
        theta = np.array(theta, dtype=np.float64)
        if evaluation is not None:
            loss, grad = float(evaluation[0]), np.array(evaluation[1], dtype=np.float64)
            evaluation = (loss, grad) if grad.shape == theta.shape and math.isfinite(loss) else None
        self.live = True
        try:
            self._set_state(replace(self._state, theta=theta), evaluation)
        finally:
            self.live = False

    def set_settings(self, settings: RunSettings) -> None:
        """Change how gradient descent runs."""
        if settings != self.settings:
            self.settings = settings
            self.settingsChanged.emit()

    def record_manual_move(self, new_move: bool = True) -> None:
        """Remember where the user's hand put the knobs (trail, best manual loss, and the move count:
        a drag is one move however many pixels it passes, so ``new_move`` is False within a drag)."""
        theta = self.theta
        loss = self.loss_value
        self.manual_trail.append(theta)
        self.manual_moves += 1 if new_move else 0
        if self.best_manual is None or loss < self.best_manual[0]:
            self.best_manual = (loss, theta)
        self.trailChanged.emit()

    def clear_trails(self) -> None:
        """Forget trails and histories that no longer mean anything (the loss function changed)."""
        self.manual_trail.clear()
        self.gd_trajectory.clear()
        self.best_manual = None
        self.manual_moves = 0
        self.trailChanged.emit()
        if self.race is not None:  # raced on another loss function: meaningless now
            self.race = None
            self.raceChanged.emit()

    def set_overlays(self, *, exact: bool | None = None, manual: bool | None = None, gd: bool | None = None) -> None:
        """Show or hide the ghost curves on the fit plot."""
        if exact is not None:
            self.show_exact = exact
        if manual is not None:
            self.show_manual = manual
        if gd is not None:
            self.show_gd = gd
        self.overlaysChanged.emit()

    # -- snapshots --------------------------------------------------------------------------------------
    def set_snapshot(self, name: str, theta) -> float | None:
        """Keep a copy of ``theta`` in slot ``name`` with its loss now; returns that loss, or None (and
        keeps nothing) when the knobs do not fit the model or their loss is not a finite number."""
        theta = np.array(theta, dtype=np.float64)
        if not name or theta.shape != self._state.theta.shape or not np.all(np.isfinite(theta)):
            return None
        loss = self._loss_at(theta)
        if not math.isfinite(loss):
            return None
        self.snapshots[name] = (loss, theta)
        self.snapshotsChanged.emit()
        return loss

    def clear_snapshots(self) -> None:
        """Empty every snapshot slot."""
        if self.snapshots:
            self.snapshots = {}
            self.snapshotsChanged.emit()

    def _loss_at(self, theta: np.ndarray) -> float:
        if self.dataset.n == 0:
            return 0.0  # as ``evaluation``: no points, nothing to miss
        with np.errstate(all="ignore"):  # an overflow is reported as a non-finite loss, not a warning
            return float(self.problem.loss_at(theta))

    def _revise_snapshots(self, old: FitState, new: FitState) -> None:
        """Snapshots keep their knobs while the knobs mean the same curve (same model, degree, basis):
        new data or another loss re-scores them; any other change empties the slots."""
        if not self.snapshots:
            return
        if (old.model, old.degree, old.basis, old.hidden) != (new.model, new.degree, new.basis, new.hidden):
            self.snapshots = {}
        else:
            rescored = {name: (self._loss_at(theta), theta) for name, (_, theta) in self.snapshots.items()}
            self.snapshots = {name: v for name, v in rescored.items() if math.isfinite(v[0])}
        self.snapshotsChanged.emit()

    # -- an opened session ---------------------------------------------------------------------------
    def reset(
        self,
        state: FitState,
        settings: RunSettings,
        *,
        manual_trail=(),
        manual_moves: int = 0,
        best_manual=None,
        gd_trajectory=(),
        loss_history=(),
        last_run: RunRecord | None = None,
        snapshots=None,
        overlays: tuple[bool, bool, bool] = (False, False, False),
        val_history=(),
    ) -> None:
        """Start afresh from ``state`` and the history given (an opened session).

        The undo history is emptied: an opened file is a new starting point, not a step (undoing "into"
        the previous document would mix two documents' trails and snapshots).  Every view redraws once.
        ``overlays`` is (show_exact, show_manual, show_gd).
        """
        self.undo_stack.clear()
        self._state, self._problem, self._evaluated = state, None, None
        self._fitted = self._val_evaluated = None  # (they hold the old state, and so its data)
        self.settings = settings
        self.manual_trail = [np.array(t, dtype=np.float64) for t in manual_trail]
        self.manual_moves = int(manual_moves)
        self.best_manual = (
            None if best_manual is None else (float(best_manual[0]), np.array(best_manual[1], dtype=np.float64))
        )
        self.gd_trajectory = [np.array(t, dtype=np.float64) for t in gd_trajectory]
        self.loss_history = [np.array(h, dtype=np.float64) for h in loss_history]
        self.val_history = aligned_val_history(val_history, len(self.loss_history))
        self.last_run = last_run
        self.snapshots = {
            name: (float(loss), np.array(theta, dtype=np.float64)) for name, (loss, theta) in (snapshots or {}).items()
        }
        self.show_exact, self.show_manual, self.show_gd = (bool(v) for v in overlays)
        self.race = None
        for signal in (
            self.dataChanged,
            self.splitChanged,
            self.modelChanged,
            self.knobsChanged,
            self.stateChanged,
            self.settingsChanged,
            self.trailChanged,
            self.overlaysChanged,
            self.snapshotsChanged,
            self.raceChanged,
        ):
            signal.emit()

    def _set_state(self, state: FitState, evaluation: tuple[float, np.ndarray] | None = None) -> None:
        old, self._state = self._state, state
        self._evaluated = evaluation if evaluation is not None and old.same_problem(state) else None
        self._fitted = self._val_evaluated = None  # per state: recomputed on demand, old data let go
        data_changed = old.dataset is not state.dataset
        split_changed = old.split != state.split
        model_changed = split_changed or (
            (old.degree, old.basis, old.loss, old.model, old.hidden)
            != (state.degree, state.basis, state.loss, state.model, state.hidden)
        )
        if data_changed or model_changed:
            self._problem = None
            self.clear_trails()
            self._revise_snapshots(old, state)
        if data_changed:
            self.dataChanged.emit()
        if split_changed:
            self.splitChanged.emit()
        if model_changed:
            self.modelChanged.emit()
        self.knobsChanged.emit()
        self.stateChanged.emit()


def aligned_val_history(val_history, runs: int) -> list[np.ndarray]:
    """Validation histories as (m, 2) float arrays of (step, loss) rows, one per run: missing runs get an
    empty array and extra ones are dropped, so run i's validation stays beside ``loss_history[i]``."""
    out = [np.array(h, dtype=np.float64).reshape(-1, 2) for h in list(val_history)[:runs]]
    return out + [np.empty((0, 2)) for _ in range(runs - len(out))]


def _states_equal(a: FitState, b: FitState) -> bool:
    return a.same_problem(b) and a.theta.shape == b.theta.shape and np.array_equal(a.theta, b.theta)

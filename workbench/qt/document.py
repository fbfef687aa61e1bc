"""The document: the one place the window's state lives, and the signals views redraw from.

State that undo must restore (dataset, degree, basis, loss, knobs) is an immutable ``FitState``; every
undoable change replaces it through ``apply`` and a ``QUndoCommand``.  Derived facts (the engine's loss
and gradient at the knobs, the exact optimum, conditioning) come from a ``FitProblem`` rebuilt when
data or model change.  Views read; only the controller writes.
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from workbench.fitting.basis import Basis
from workbench.fitting.data import Dataset
from workbench.fitting.exact import ExactFit
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel, PolynomialModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import TrainResult


MODEL_KINDS = ("polynomial", "mlp")


@dataclass(frozen=True)
class FitState:
    """Everything one undo step restores.

    ``model`` is "polynomial" (knobs: coefficients of ``degree`` in ``basis``) or "mlp" (knobs: the
    weights of a 1 → ``hidden`` tanh → 1 net whose input is x scaled by ``basis``'s interval).
    """

    dataset: Dataset
    degree: int = 5
    basis: Basis = field(default_factory=Basis)
    loss: Loss = field(default_factory=Loss)
    theta: np.ndarray = field(default_factory=lambda: np.zeros(6))
    model: str = "polynomial"
    hidden: tuple[int, ...] = (8,)

    def same_problem(self, other: "FitState") -> bool:
        """True when only the knobs differ (the loss function itself is unchanged)."""
        return (self.dataset is other.dataset and self.degree == other.degree
                and self.basis == other.basis and self.loss == other.loss
                and self.model == other.model and self.hidden == other.hidden)

    def build_model(self):
        """The core model this state describes."""
        if self.model == "mlp":
            return MLPModel(self.hidden, Basis("scaled", self.basis.lo, self.basis.hi))
        return PolynomialModel(self.degree, self.basis)

    def build_problem(self) -> FitProblem:
        """A fresh FitProblem (its own engine graph: give one to each thread that needs one)."""
        return FitProblem(self.dataset.x, self.dataset.y, self.build_model(), self.loss)


@dataclass(frozen=True)
class RunSettings:
    """How gradient descent runs (not part of undo: changing them changes no result)."""

    optimizer: str = "gd"
    lr: float = 0.5
    max_steps: int = 10000
    tol: float = 1e-10


@dataclass
class RunRecord:
    """A finished gradient-descent run, for the comparison panel and the GD overlay."""

    result: TrainResult
    start_theta: np.ndarray
    settings: RunSettings


class _StateCommand(QUndoCommand):
    """Swap between two ``FitState``s; consecutive commands with the same merge key become one step."""

    _ids = itertools.count(1)

    def __init__(self, document: "FitDocument", before: FitState, after: FitState, text: str,
                 merge_key: object = None):
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

    stateChanged = Signal()          # anything in FitState changed
    dataChanged = Signal()           # the dataset changed
    modelChanged = Signal()          # degree, basis or loss changed (knob count may differ)
    knobsChanged = Signal()          # theta changed
    settingsChanged = Signal()       # run settings changed
    trailChanged = Signal()          # manual trail, GD trajectory or histories changed
    overlaysChanged = Signal()       # ghost curves shown or hidden, or their contents changed

    def __init__(self, dataset: Dataset, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        basis = Basis.for_data("monomial", dataset.x)
        self._state = FitState(dataset, 5, basis, Loss(), np.zeros(6))
        self._problem: FitProblem | None = None
        self._evaluated: tuple[float, np.ndarray] | None = None
        self.settings = RunSettings()
        self.manual_trail: list[np.ndarray] = []      # knob positions the user dialled, in order
        self.manual_moves = 0
        self.best_manual: tuple[float, np.ndarray] | None = None
        self.gd_trajectory: list[np.ndarray] = []     # knob positions of the current/last run
        self.loss_history: list[np.ndarray] = []      # one array of losses per run
        self.last_run: RunRecord | None = None
        self.show_exact = False
        self.show_manual = False
        self.show_gd = False

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
            self._problem = self._state.build_problem()
        return self._problem

    def evaluation(self) -> tuple[float, np.ndarray]:
        """The engine's loss and gradient ∂L/∂k at the current knobs (one forward + backward pass)."""
        if self._evaluated is None:
            if self.dataset.n == 0:
                self._evaluated = (0.0, np.zeros(self._state.theta.size))
            else:
                self._evaluated = self.problem.value_and_grad(self._state.theta)
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
        """ŷ at the data x for the current knobs."""
        return self.curve(self.dataset.x)

    @property
    def exact(self) -> ExactFit | None:
        """The least-squares optimum for the current data and model (None without data)."""
        if self.dataset.n == 0:
            return None
        return self.problem.exact

    # -- writing (the controller's tools) ---------------------------------------------------------
    def apply(self, new_state: FitState, text: str, merge_key: object = None,
              before: FitState | None = None) -> None:
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

    def set_theta_live(self, theta: np.ndarray) -> None:
        """Move the knobs without an undo step (gradient descent in progress: one step per run)."""
        self._set_state(replace(self._state, theta=np.array(theta, dtype=np.float64)))

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

    def set_overlays(self, *, exact: bool | None = None, manual: bool | None = None,
                     gd: bool | None = None) -> None:
        """Show or hide the ghost curves on the fit plot."""
        if exact is not None:
            self.show_exact = exact
        if manual is not None:
            self.show_manual = manual
        if gd is not None:
            self.show_gd = gd
        self.overlaysChanged.emit()

    def _set_state(self, state: FitState) -> None:
        old, self._state = self._state, state
        self._evaluated = None
        data_changed = old.dataset is not state.dataset
        model_changed = ((old.degree, old.basis, old.loss, old.model, old.hidden)
                         != (state.degree, state.basis, state.loss, state.model, state.hidden))
        if data_changed or model_changed:
            self._problem = None
            self.clear_trails()
        if data_changed:
            self.dataChanged.emit()
        if model_changed:
            self.modelChanged.emit()
        self.knobsChanged.emit()
        self.stateChanged.emit()


def _states_equal(a: FitState, b: FitState) -> bool:
    return a.same_problem(b) and a.theta.shape == b.theta.shape and np.array_equal(a.theta, b.theta)

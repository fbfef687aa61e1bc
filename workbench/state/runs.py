"""How gradient descent runs, and what the document remembers of the runs and hand moves on one problem."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.fitting.least_squares import LM_KIND
from workbench.fitting.optimizers import OPTIMIZER_KINDS
from workbench.fitting.split import MAX_SEED
from workbench.fitting.training import TrainResult

from .fit_state import FitState
from .race import RaceView

# Run settings the document may hold: what the window's controls can show and set.
RUN_OPTIMIZERS = (*OPTIMIZER_KINDS, LM_KIND)  # every optimiser a run may use (Levenberg–Marquardt too)
MIN_LR, MAX_LR = 1e-300, 10.0  # the smallest: a rate the lab may suggest for raw powers of a far-off x
MAX_STEPS = 10_000_000  # step limit and early-stopping patience
MAX_BATCH_SIZE = MAX_SEED  # the most a spin box holds (2³¹ − 1); a batch beyond the points means all of them
MAX_BATCH_SEED = MAX_SEED
MAX_TRAJECTORY_KEPT = 20_000  # knob positions kept of a run's path (for drawing on the surface)


@dataclass(frozen=True)
class RunSettings:
    """How gradient descent runs: optimiser, learning rate, step limit, tolerance, early stopping.

    ``lr_chosen`` is True once the user typed a rate: until then the rate follows the data (0.9 × the
    stability limit), afterwards it stays what the user chose.
    """

    optimizer: str = "gd"
    lr: float = 0.5
    max_steps: int = 10000
    tol: float = 1e-10
    patience: int | None = None  # stop early after this many steps without a better validation loss
    lr_chosen: bool = False
    batch_size: int | None = None  # stochastic gradient descent on this many points a step (None: all)
    seed: int = 0  # of the mini-batches' draws


@dataclass(frozen=True)
class RunRecord:
    """A finished gradient-descent run, for the comparison panel and the GD overlay."""

    result: TrainResult
    start_theta: np.ndarray
    settings: RunSettings


class GrowingArray:
    """Values as they arrive, appended in amortised O(1) (a run may take millions of steps).

    With ``columns`` each entry is a row of that many values (the validation history's (step, loss)).
    """

    def __init__(self, capacity: int = 1024, columns: int | None = None):
        self._data = np.empty(capacity if columns is None else (capacity, columns))
        self._size = 0

    def extend(self, values) -> np.ndarray:
        """Append ``values`` (rows, with ``columns``); returns a read-only view of everything so far."""
        values = np.asarray(values, dtype=np.float64)
        needed = self._size + len(values)
        if needed > len(self._data):
            grown = np.empty((max(needed, 2 * len(self._data)),) + self._data.shape[1:])
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : needed] = values
        self._size = needed
        return self.view()

    def view(self) -> np.ndarray:
        """A read-only view of everything so far."""
        view = self._data[: self._size]
        view.flags.writeable = False
        return view


@dataclass
class SweepRecord:
    """A learning-rate sweep on one problem: the rates asked for, the points finished so far, how it ended.

    ``outcome`` is "running", "finished", "stopped" (by the user, or by a change of the problem) or "failed".
    """

    rates: np.ndarray
    optimizer: str
    steps: int
    points: list = field(default_factory=list)  # SweepPoint, in the order of the rates
    result: object | None = None  # the SweepResult once it has ended
    outcome: str = "running"
    error: str = ""

    @property
    def running(self) -> bool:
        """True until the sweep has ended."""
        return self.outcome == "running"


@dataclass
class ProblemRecords:
    """What happened on one problem (data + model + loss): the hand's trail and best, gradient descent's
    runs, the race.  A new problem starts a clean set; undo back to an earlier problem brings its set back.

    ``loss_history`` has one array of losses per run; ``val_history`` one (m, 2) array of (step, validation
    loss) rows per run, beside it (empty for a run without a split; steps are 1-based like the losses'
    positions, and may skip some).
    """

    manual_trail: list[np.ndarray] = field(default_factory=list)
    manual_moves: int = 0
    best_manual: tuple[float, np.ndarray] | None = None
    gd_trajectory: list[np.ndarray] = field(default_factory=list)
    loss_history: list[np.ndarray] = field(default_factory=list)
    val_history: list[np.ndarray] = field(default_factory=list)
    last_run: RunRecord | None = None
    race: RaceView | None = None
    sweep: SweepRecord | None = None
    solution: object | None = None  # a formula's Levenberg–Marquardt fit (``NonlinearFit``), once solved
    batch_history: list[np.ndarray] = field(default_factory=list)  # per run: mini-batch losses (empty: none)
    stepping_entry: int | None = None  # the loss-history entry that presses of Step extend (None: a new one)


@dataclass
class LiveRun:
    """The run in progress: where it started, how it runs, and what it has reported so far."""

    start: FitState  # where it started from
    settings: RunSettings
    losses: GrowingArray = field(default_factory=GrowingArray)
    batch_losses: GrowingArray = field(default_factory=GrowingArray)
    validation: GrowingArray = field(default_factory=lambda: GrowingArray(256, columns=2))
    step: int = 0  # the last reported step (0: none yet)
    loss: float = float("nan")  # L at ``theta``
    theta: np.ndarray | None = None  # the last reported knobs
    elapsed_s: float = 0.0


def aligned_val_history(val_history, runs: int) -> list[np.ndarray]:
    """Validation histories as (m, 2) float arrays of (step, loss) rows, one per run: missing runs get an
    empty array and extra ones are dropped, so run i's validation stays beside ``loss_history[i]``."""
    out = [np.array(h, dtype=np.float64).reshape(-1, 2) for h in list(val_history)[:runs]]
    return out + [np.empty((0, 2)) for _ in range(runs - len(out))]


def aligned_batch_history(batch_history, runs: int) -> list[np.ndarray]:
    """Mini-batch losses as float arrays, one per run: missing runs get an empty array (a run without
    batches, or a step taken by hand) and extra ones are dropped, so run i's stay beside ``loss_history[i]``."""
    out = [np.array(h, dtype=np.float64).ravel() for h in list(batch_history)[:runs]]
    return out + [np.empty(0) for _ in range(runs - len(out))]

"""A gradient-descent run as a task: the loop that turns the knobs, and the reports it sends.

The loop is the core's ``Trainer``; this module adds what a live run needs: reports of the latest knobs with
the losses, validation losses and path since the previous report, at most one in flight (``TaskContext``),
the user's pause after each step, and a final ``TrainResult`` that is always a finite record, even when the
run fails on its first step.  A stopped run returns as soon as the step in progress ends, with no pass of
its own over the data (``_stopped_record``).

A run normally computes in a process of its own (see ``workbench.tasks.worker_process``): the engine is
NumPy driven from Python and holds the GIL for most of a step, and so does the window while it draws, so on
a thread the two took turns and the run reached a third of its speed.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Hashable
from dataclasses import dataclass, field

import numpy as np

from workbench.fitting.problem import FitProblem
from workbench.fitting.training import STOPPED_BY_USER, StopReason, StopRules, TrainResult

from .context import TaskContext
from .problem_cache import reuse
from .stop_flag import StopFlag

MAX_TRAJECTORY_POINTS = 4000  # knob positions per report; the view decimates further
VALIDATION_EVERY = 4  # steps between validation losses at full speed (see ``GradientDescentTask``)


@dataclass(frozen=True)
class RunProgress:
    """What the window needs to redraw: the latest knobs and the losses/path since the last report.

    ``loss`` and ``grad`` are L(θ) and ∂L/∂θ at ``theta``: the engine computed both for the step it takes
    from there, so the window shows them without a pass of its own over every point (``grad`` is None when
    not known).
    """

    step: int
    loss: float
    theta: np.ndarray
    losses: np.ndarray  # losses of the steps since the previous report
    trajectory: np.ndarray  # knob positions since the previous report (rows), possibly decimated
    elapsed_s: float
    val_steps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # 1-based steps …
    val_losses: np.ndarray = field(default_factory=lambda: np.empty(0))  # … and their validation losses
    grad: np.ndarray | None = None
    batch_losses: np.ndarray | None = None  # mini-batch runs: each step's loss on its batch, beside ``losses``


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended (``result``), with what happened since its last report (``tail``: the losses, path
    and validation losses after it, and the end itself as knobs and loss)."""

    result: TrainResult
    tail: RunProgress


@dataclass(frozen=True)
class GradientDescentTask:
    """Everything a run needs: its problem, optimiser, rate, start and stop rules.

    With a ``validation`` problem (the held-out points) the loop evaluates it, a forward pass only, at step 1
    and every ``validation_every``-th step after.  Measured (tests/benchmarks/bench_validation.py: degree 5,
    20 % held out, N = 20 … 10⁵): a validation pass at every step costs 13–21 % of the steps/s on a quiet
    machine and up to ~35 % on a busy one, every 4th step 3–6 %.  ``problem_key`` names the problem across
    runs, so a compute process that ran it before reuses what it built (its design matrix and engine graph).
    """

    problem: FitProblem
    optimizer: str
    lr: float
    theta0: np.ndarray
    rules: StopRules
    validation: FitProblem | None = None
    validation_every: int = VALIDATION_EVERY
    problem_key: Hashable | None = None
    batch_size: int | None = None  # stochastic gradient descent on batches of this many points (None: all)
    seed: int = 0  # of the batches' draws

    def run(self, context: TaskContext) -> Generator[RunProgress, None, RunOutcome]:
        """Step until a stop rule fires or the context is stopped; report when due; return how it ended."""
        started = time.perf_counter()
        report = _Report(np.size(self.theta0), started)
        result, last = yield from _steps(self, context, report, started)
        if last is not None:
            report.add_end(last)
        return RunOutcome(result, report.take(result.steps, result.loss, result.params, None))


def _steps(task: GradientDescentTask, context: TaskContext, report: _Report, started: float):
    """The loop; returns (result, the last step's record or None)."""
    problem = reuse(task.problem_key, task.problem)
    validation = None if task.validation is None else reuse(_validation_key(task), task.validation)
    try:
        trainer = _trainer(task, problem, validation, StopFlag(context))
    except (ValueError, ArithmeticError) as exc:
        return _start_record(problem, task.theta0, started, f"the run could not start ({exc})"), None
    if context.stopped:  # stopped before the first step: no pass over the data but the loss at the start
        return _start_record(problem, task.theta0, started, STOPPED_BY_USER), None
    record = None
    try:
        for record in trainer.run():
            report.add(record)
            if context.due():
                # The knobs this step started from, with the loss and gradient computed there: the view is
                # one step behind the engine and exact (the final result is the end itself).
                yield report.take(
                    record.step, record.loss, record.params_before, record.grad if record.finite else None
                )
            if context.pause_s > 0:
                context.pause()
            if context.stopped:
                # Leave before the trainer's own ending, which evaluates the end afresh (a forward and backward
                # pass and the stable loss, about 0.1 s at 10⁶ points): the window keeps the knobs it was last
                # shown, and ends a process that takes longer than ``ABANDON_MS`` to return (the next run
                # then starts in a fresh one).
                return _stopped_record(problem, trainer, task.theta0, started), None
        failure = ""
    except Exception as exc:  # noqa: BLE001 - the run ends with the best knobs it found, and says why
        failure = f"the run failed ({type(exc).__name__}: {exc})"
    result = trainer.result
    if result is None:  # the loop raised: keep the best knobs seen, with a note of what went wrong
        if trainer.steps == 0 or not np.isfinite(trainer.best_loss):
            return _start_record(problem, task.theta0, started, failure), None
        result = TrainResult(
            trainer.best_params.copy(),
            float(trainer.best_loss),
            trainer.steps,
            StopReason.STOPPED,
            time.perf_counter() - started,
            failure,
        )
    return result, record


def _trainer(task: GradientDescentTask, problem: FitProblem, validation: FitProblem | None, stop: StopFlag):
    """The trainer the task's optimiser needs (Levenberg–Marquardt, mini-batches or plain steps), watching the
    held-out points when there are some."""
    batch = task.batch_size if task.batch_size is not None and task.batch_size < problem.x.size else None
    return problem.trainer(
        task.optimizer,
        task.lr,
        task.theta0,
        task.rules,
        stop,
        None if validation is None else validation.loss_at,
        task.validation_every,
        batch_size=batch,
        seed=task.seed,
    )


def _stopped_record(problem: FitProblem, trainer, theta0, started: float) -> TrainResult:
    """A run the user stopped ends at the best knobs its steps started from, with the loss computed there.

    No pass of its own over the data: every step computed the loss at its starting knobs, and the trainer
    remembers the lowest finite one (Levenberg–Marquardt: the knobs it is at, which it computed too).  So the
    record is exact and finite, and a diverging run is never left at non-finite knobs.  (The loss is the
    engine's, as in the reports, not recomputed in a stable basis.)
    """
    best_loss = float(trainer.best_loss)
    if not np.isfinite(best_loss):  # no finite loss seen: the start, with the loss there
        return _start_record(problem, theta0, started, STOPPED_BY_USER)
    return TrainResult(
        np.array(trainer.best_params, dtype=np.float64),
        best_loss,
        trainer.steps,
        StopReason.STOPPED,
        time.perf_counter() - started,
        STOPPED_BY_USER,
        getattr(getattr(trainer, "yardstick", None), "optimum", None),
        int(trainer.evaluations),
    )


def _start_record(problem: FitProblem, theta0, started: float, why: str) -> TrainResult:
    """A run that took no step ends where it started, with the loss there (a finite record) and why."""
    theta0 = np.array(theta0, dtype=np.float64)
    with np.errstate(all="ignore"):
        try:
            loss = float(problem.loss_at(theta0))
        except Exception:  # noqa: BLE001 - the loss itself cannot be computed: the record says so
            loss = float("nan")
    return TrainResult(theta0, loss, 0, StopReason.STOPPED, time.perf_counter() - started, why)


def _validation_key(task: GradientDescentTask) -> Hashable | None:
    return None if task.problem_key is None else ("validation", task.problem_key)


class _Report:
    """What has happened since the last report: losses, path and validation losses."""

    def __init__(self, n_params: int, started: float):
        self._n_params = n_params
        self._started = started
        self._losses: list[float] = []
        self._path: list[np.ndarray] = []
        self._val_steps: list[int] = []
        self._val_losses: list[float] = []
        self._batch_losses: list[float] = []

    def add_end(self, record) -> None:
        """Note where the last step ended (the path's last point)."""
        self._path.append(record.params)

    def add(self, record) -> None:
        """Note one step."""
        self._losses.append(record.loss)
        if record.step > 1:  # where this step started (the run's start is known already)
            self._path.append(record.params_before)
        if record.val_loss is not None:
            self._val_steps.append(record.step)
            self._val_losses.append(record.val_loss)
        if getattr(record, "batch_loss", None) is not None:
            self._batch_losses.append(record.batch_loss)

    def take(self, step: int, loss: float, theta, grad) -> RunProgress:
        """A report of everything since the last one; starts afresh."""
        path = np.array(self._path) if self._path else np.empty((0, self._n_params))
        if len(path) > MAX_TRAJECTORY_POINTS:
            path = path[np.linspace(0, len(path) - 1, MAX_TRAJECTORY_POINTS).astype(int)]
        progress = RunProgress(
            int(step),
            float(loss),
            np.array(theta, dtype=np.float64),
            np.array(self._losses, dtype=np.float64),
            path,
            time.perf_counter() - self._started,
            np.array(self._val_steps, dtype=np.int64),
            np.array(self._val_losses, dtype=np.float64),
            None if grad is None else np.array(grad, dtype=np.float64),
            np.array(self._batch_losses, dtype=np.float64) if self._batch_losses else None,
        )
        self._losses, self._path, self._val_steps, self._val_losses = [], [], [], []
        self._batch_losses = []
        return progress

"""Levenberg–Marquardt on a fitting problem: the landmark solve, and a stepper the app can watch.

``solve_least_squares(problem, start)`` runs LM to the end and returns a ``NonlinearFit`` (parameters
with standard errors, correlation, residual SD, R², bands).  ``LMTrainer`` has the interface of
``training.Trainer`` (``step``, ``run``, ``run_to_end``, ``result``, ``best_params``, ``stop``), so a live
run, the race and the CLI step LM exactly as they step gradient descent: one record per Jacobian, with
the problem's own loss and gradient at the knobs the step started from.

Why our own LM and not SciPy's ``least_squares``: SciPy is a 35 MB wheel the app does not otherwise
need (and importing it costs a start-up the CLI would feel); its ``method="lm"`` is MINPACK, whose
algorithm this is (Moré's trust region with scaled columns), and the engine gives exact Jacobians, which
matter more for accuracy than the solver's language.  Our version adds an SVD-based step (one
decomposition per Jacobian, any number of damping values tried from it) and a guard against a step that
would make the fit stop depending on a parameter; on the NIST problems it matches or beats MINPACK.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import numpy as np

from .jacobian import ProblemResiduals
from .levenberg_marquardt import CONVERGED, MAX_STEPS, STALLED, LevenbergMarquardt, LMSettings, LMStep
from .nonlinear_report import NonlinearFit, nonlinear_report
from .stop_signal import StopSignal
from .training import StepRecord, StopReason, StopRules, TrainResult

LM_KIND = "lm"
LM_NAME = "Levenberg–Marquardt"
_REASONS = {
    CONVERGED: StopReason.CONVERGED,
    STALLED: StopReason.STALLED,
    MAX_STEPS: StopReason.MAX_STEPS,
}


def solve_least_squares(
    problem,
    start,
    settings: LMSettings = LMSettings(),
    stop_event: StopSignal | None = None,
) -> NonlinearFit:
    """Levenberg–Marquardt from ``start`` to the end, and the fit's statistics there.

    Raises ``jacobian.NoJacobian`` for models or losses LM cannot fit and ``ValueError`` for start values
    where the model is not finite (``formula_model.nonfinite_reason`` says why, for a formula).
    """
    residuals = ProblemResiduals(problem)
    solver = _solver(residuals, problem, start, settings, stop_event)
    outcome = solver.solve()
    return report_at(problem, residuals, outcome.params, outcome)


def landmark_loss(problem, start) -> float | None:
    """The loss Levenberg–Marquardt reaches from ``start``: the optimum a race on a formula aims for
    (None when LM cannot fit this model or loss, or cannot start there)."""
    from .formula_model import FormulaModel

    if not isinstance(problem.model, FormulaModel) or problem.x.size == 0:
        return None
    try:
        return solve_least_squares(problem, start).loss
    except ValueError:  # NoJacobian (not squared error) or a start where the formula is not finite
        return None


def report_at(problem, residuals: ProblemResiduals, params, outcome) -> NonlinearFit:
    """The statistics of ``problem`` at ``params`` (``outcome``: the LM result that led there)."""
    prediction, scaled, jacobian = residuals.data_residuals(params)
    loss, _ = residuals.loss_and_gradient(*residuals(params))
    model = problem.model
    names = model.parameter_labels()
    return nonlinear_report(
        names, params, prediction, scaled, jacobian, problem.y, problem.weights, loss, outcome, model,
        penalised=bool(problem.loss.l2), x=problem.x,
    )  # fmt: skip


def _solver(residuals: ProblemResiduals, problem, start, settings, stop_event) -> LevenbergMarquardt:
    try:
        return LevenbergMarquardt(residuals, start, settings, stop_event=stop_event, resolution=residuals.resolution)
    except ValueError:
        raise ValueError(_not_finite(problem, start)) from None


def _not_finite(problem, start) -> str:
    from .formula_model import FormulaModel, nonfinite_reason

    if isinstance(problem.model, FormulaModel):
        reason = nonfinite_reason(problem.model, start, problem.x)
        if reason:
            return reason
    return "the model or its gradient is not a finite number at these start values: choose others"


class LMTrainer:
    """Levenberg–Marquardt behind ``Trainer``'s interface: each ``step()`` is one Jacobian and the trial
    steps it takes; records carry the problem's loss and gradient at the step's starting knobs."""

    def __init__(
        self,
        problem,
        params,
        rules: StopRules = StopRules(),
        stop_event: StopSignal | None = None,
        settings: LMSettings | None = None,
    ):
        self.problem = problem
        self.rules = rules
        self.stop_event = stop_event or threading.Event()
        self.residuals = ProblemResiduals(problem)
        settings = settings or LMSettings(max_steps=max(int(rules.max_steps), 1))
        self.solver = _solver(self.residuals, problem, np.array(params, dtype=np.float64), settings, self.stop_event)
        self.params = self.solver.params.copy()
        self.steps = 0
        self.start_loss: float | None = None
        self.last_loss: float | None = None
        self.best_loss, _ = self.residuals.loss_and_gradient(self.solver.r, self.solver.J)
        self.best_params = self.params.copy()
        self.result: TrainResult | None = None
        self.last_step: LMStep | None = (
            None  # the LMStep behind the last record (damping, radius, trials) for a live view
        )

    @property
    def evaluations(self) -> int:
        """Loss evaluations so far (each Jacobian and every trial step; what the race's scoreboard counts)."""
        return int(self.solver.evaluations)

    @property
    def finished(self) -> bool:
        """True once LM has nothing left to do (converged, stalled or at its limit)."""
        return self.solver.done is not None

    def stop(self) -> None:
        """Ask the run to end after the step in progress (safe from any thread)."""
        self.stop_event.set()

    def step(self) -> StepRecord:
        """One LM step: loss and gradient where it starts, the knobs where it ends."""
        loss, grad = self.residuals.loss_and_gradient(self.solver.r, self.solver.J)
        if self.start_loss is None:
            self.start_loss = loss
        before = self.solver.params.copy()
        self.last_step = self.solver.step()
        self.params = self.solver.params.copy()
        self.steps += 1
        self.last_loss = loss
        now, _ = self.residuals.loss_and_gradient(self.solver.r, self.solver.J)
        if now <= self.best_loss:  # LM only ever moves downhill: the knobs it is at are the best
            self.best_loss, self.best_params = now, self.params.copy()
        return StepRecord(self.steps, loss, grad, before, self.params.copy(), bool(np.isfinite(loss)))

    def run(self) -> Iterator[StepRecord]:
        """Step until LM ends or the stop flag is set, yielding every step; sets ``result``."""
        started = time.perf_counter()
        while self.solver.done is None and self.steps < self.rules.max_steps:
            if self.stop_event.is_set():
                break
            yield self.step()
        elapsed = time.perf_counter() - started
        if self.stop_event.is_set() and self.solver.done is None:
            reason, message = StopReason.STOPPED, "stopped by the user"
        elif self.solver.done is None:
            reason, message = StopReason.MAX_STEPS, f"reached the step limit of {self.rules.max_steps}"
        else:
            reason, message = _REASONS.get(self.solver.done[0], StopReason.STOPPED), self.solver.done[1]
        loss, _ = self.residuals.loss_and_gradient(self.solver.r, self.solver.J)
        self.result = TrainResult(self.params.copy(), loss, self.steps, reason, elapsed, message)

    def run_to_end(self, on_step: Callable[[StepRecord], None] | None = None) -> TrainResult:
        """Run without a consumer loop; ``on_step`` (if given) sees every record."""
        for record in self.run():
            if on_step is not None:
                on_step(record)
        assert self.result is not None
        return self.result

    def report(self) -> NonlinearFit:
        """The statistics where the run is now (usually called after ``run_to_end``)."""
        return report_at(self.problem, self.residuals, self.solver.params, _Outcome(self.solver))


class _Outcome:
    """The fields of an ``LMResult`` for a run that has not ended."""

    def __init__(self, solver: LevenbergMarquardt):
        self.steps, self.evaluations = solver.steps, solver.evaluations
        self.stop_reason, self.message = solver.done or ("stopped", "the run has not ended")

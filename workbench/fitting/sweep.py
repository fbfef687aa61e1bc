"""Learning-rate sweeps: many short runs over a log grid of rates, to find where gradient descent breaks.

Below 2/λ_max plain gradient descent shrinks every error component a little each step, and a larger rate
gets further in the same number of steps; just above it the steepest component grows every step and the
loss explodes.  ``lr_sweep`` runs one short run per rate from the same starting knobs and records where
each one ended, and where the *cliff* lies: between the largest rate that stayed stable and the smallest
one that diverged.  It is pure NumPy, stoppable from another thread, and reports each rate as it finishes.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .problem import FitProblem
from .stop_signal import StopSignal
from .training import StopReason, StopRules

DEFAULT_STEPS = 200
DEFAULT_POINTS = 40
# Around the stability limit: three decades below it (slow but stable), two above (diverging).  An
# even number of points keeps the limit itself off the grid, where a run neither grows nor shrinks.
BELOW_LIMIT, ABOVE_LIMIT = 1e-3, 1e2
FALLBACK_RANGE = (1e-5, 10.0)  # no closed-form limit (the neural net): a generic span of rates


@dataclass(frozen=True)
class SweepPoint:
    """One short run at one learning rate."""

    rate: float
    loss: float  # the best finite loss the run reached (where it leaves the knobs)
    last_loss: float  # the loss at its last step (inf/NaN or huge when it blew up)
    start_loss: float  # the loss at the starting knobs
    diverged: bool  # the loss blew up, or ended higher than it started
    steps: int
    stop_reason: StopReason


@dataclass(frozen=True)
class SweepResult:
    """Every finished run, in the order of the rates, and where the cliff lies."""

    points: tuple[SweepPoint, ...]
    rates: np.ndarray  # the whole grid asked for (some may not have run if the sweep was stopped)
    stopped: bool  # stopped before every rate had run

    @property
    def complete(self) -> bool:
        """True when every rate of the grid has run."""
        return len(self.points) == len(self.rates) and not self.stopped

    @property
    def bracket(self) -> tuple[float | None, float | None]:
        """(largest stable rate below the first divergence, smallest diverged rate); None where absent."""
        return cliff_bracket(self.points)

    @property
    def cliff(self) -> float | None:
        """Where gradient descent starts to diverge: the geometric mean of the bracket (None if nothing
        diverged; the smallest diverged rate if even the smallest rate diverged)."""
        return cliff_of(self.points)


def log_grid(lo: float, hi: float, n: int) -> np.ndarray:
    """``n`` rates from ``lo`` to ``hi``, evenly spaced on a log scale (both ends included)."""
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"a log grid needs 0 < lo < hi, got lo={lo!r}, hi={hi!r}")
    if int(n) < 2:
        raise ValueError(f"a log grid needs at least 2 points, got {n!r}")
    return np.geomspace(lo, hi, int(n))  # lo and hi exactly (logspace rounds them on NumPy 1.x)


def default_rates(problem: FitProblem, n: int = DEFAULT_POINTS) -> np.ndarray:
    """A log grid from 1e-3× to 1e2× the stability limit 2/λ_max (a generic span without one)."""
    limit = stability_limit(problem)
    return stable_rates(math.nan if limit is None else limit, n)


def stable_rates(limit: float, n: int = DEFAULT_POINTS) -> np.ndarray:
    """A log grid from 1e-3× to 1e2× ``limit`` (a generic span when it is not a positive number)."""
    if not (math.isfinite(limit) and limit > 0):
        return log_grid(*FALLBACK_RANGE, n)
    return log_grid(BELOW_LIMIT * limit, ABOVE_LIMIT * limit, n)


def stability_limit(problem: FitProblem) -> float | None:
    """2/λ_max of the problem's Hessian, or None when there is none (the neural net, no data)."""
    cond = problem.conditioning if problem.x.size else None
    if cond is None or not (math.isfinite(cond.max_stable_lr) and cond.max_stable_lr > 0):
        return None
    return cond.max_stable_lr


def lr_sweep(
    problem: FitProblem,
    theta0,
    rates: Sequence[float] | np.ndarray,
    optimizer: str = "gd",
    steps: int = DEFAULT_STEPS,
    stop: StopSignal | None = None,
    on_result: Callable[[SweepPoint], None] | None = None,
) -> SweepResult:
    """One run of ``steps`` steps from ``theta0`` per rate; ``on_result`` sees each point as it finishes.

    Setting ``stop`` (from any thread) ends the sweep within one step; the run in progress is dropped
    and the finished ones are returned.
    """
    rates = np.array(rates, dtype=np.float64).reshape(-1)
    if rates.size and not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError("learning rates must be positive numbers")
    stop = stop if stop is not None else threading.Event()
    rules = StopRules(max_steps=int(steps), tol=0.0, grad_tol=0.0)
    theta0 = np.array(theta0, dtype=np.float64)
    points: list[SweepPoint] = []
    for rate in rates:
        if stop.is_set():
            break
        point = _short_run(problem, theta0, float(rate), optimizer, rules, stop)
        if point is None:  # interrupted half-way: not a result
            break
        points.append(point)
        if on_result is not None:
            on_result(point)
    return SweepResult(tuple(points), rates, stopped=len(points) < rates.size)


def _short_run(
    problem: FitProblem, theta0: np.ndarray, rate: float, optimizer: str, rules: StopRules, stop: StopSignal
) -> SweepPoint | None:
    trainer = problem.trainer(optimizer, rate, theta0, rules, stop)
    last = math.nan
    for record in trainer.run():
        last = record.loss
    result = trainer.result
    if result is None or result.stop_reason is StopReason.STOPPED:
        return None
    start = trainer.start_loss if trainer.start_loss is not None else result.loss
    if result.steps == 0:
        last = result.loss
    blew_up = result.stop_reason is StopReason.DIVERGED or not math.isfinite(last)
    # A loss that ends above where it started has not been tamed either, even if it has not exploded
    # yet (a rate just above the limit grows only slowly).
    diverged = blew_up or last > start * (1 + 1e-9) + 1e-300
    return SweepPoint(
        rate, float(result.loss), float(last), float(start), bool(diverged), result.steps, result.stop_reason
    )


def cliff_bracket(points: Sequence[SweepPoint]) -> tuple[float | None, float | None]:
    """(largest stable rate below the smallest diverged rate, smallest diverged rate)."""
    diverged = [p.rate for p in points if p.diverged]
    if not diverged:
        stable = [p.rate for p in points]
        return (max(stable) if stable else None), None
    first_bad = min(diverged)
    stable = [p.rate for p in points if not p.diverged and p.rate < first_bad]
    return (max(stable) if stable else None), first_bad


def cliff_of(points: Sequence[SweepPoint]) -> float | None:
    """The geometric mean of ``cliff_bracket`` (None when no run diverged)."""
    good, bad = cliff_bracket(points)
    if bad is None:
        return None
    if good is None:
        return bad
    return math.sqrt(good * bad)

"""The learning-rate sweep as a task: one short run per rate, each point reported as it is known."""

from __future__ import annotations

from collections.abc import Generator, Hashable
from dataclasses import dataclass

import numpy as np

from workbench.fitting.problem import FitProblem
from workbench.fitting.sweep import DEFAULT_STEPS, SweepPoint, SweepResult, lr_sweep

from .context import TaskContext
from .problem_cache import reuse
from .stop_flag import StopFlag


@dataclass(frozen=True)
class SweepProgress:
    """The points finished since the last report."""

    points: tuple[SweepPoint, ...]


@dataclass(frozen=True)
class SweepTask:
    """Short runs of ``steps`` steps from ``theta0``, one per rate of ``rates``."""

    problem: FitProblem
    theta0: np.ndarray
    rates: np.ndarray
    optimizer: str = "gd"
    steps: int = DEFAULT_STEPS
    problem_key: Hashable | None = None

    def run(self, context: TaskContext) -> Generator[SweepProgress, None, SweepResult]:
        """Run every rate (until stopped); report new points when due; the result has every finished one."""
        problem = reuse(self.problem_key, self.problem)
        stop = StopFlag(context)
        rates = np.array(self.rates, dtype=np.float64).reshape(-1)
        points: list[SweepPoint] = []
        unsent = 0
        for rate in rates:
            if context.stopped:
                break
            one = lr_sweep(problem, self.theta0, [rate], self.optimizer, self.steps, stop)
            if not one.points:  # interrupted half-way: not a result
                break
            points.extend(one.points)
            unsent += 1
            if context.due():
                yield SweepProgress(tuple(points[-unsent:]))
                unsent = 0
        return SweepResult(tuple(points), rates, stopped=len(points) < rates.size)

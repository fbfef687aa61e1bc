"""A formula's slow moments as tasks: start values guessed from the data, and Levenberg–Marquardt's fit."""

from __future__ import annotations

from collections.abc import Generator, Hashable
from dataclasses import dataclass

import numpy as np

from workbench.fitting.formula_model import FormulaModel
from workbench.fitting.least_squares import solve_least_squares
from workbench.fitting.nonlinear_report import NonlinearFit
from workbench.fitting.problem import FitProblem
from workbench.fitting.start_guess import guess_start

from .context import TaskContext, TaskStopped
from .problem_cache import reuse
from .stop_flag import StopFlag


@dataclass(frozen=True)
class GuessedStart:
    """Start values for a formula, and one sentence on how they were found."""

    formula: str
    params: np.ndarray
    explanation: str


@dataclass(frozen=True)
class GuessStartTask:
    """Guess start values for ``formula`` from the data (a search that may take a second)."""

    formula: str
    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray | None = None

    def run(self, context: TaskContext) -> Generator[None, None, GuessedStart]:
        """Search, then return the guess (TaskStopped when stopped before the search began: the search itself,
        bounded by its sample of the points, is not interrupted)."""
        yield from ()
        if context.stopped:
            raise TaskStopped("stopped before the search for start values began")
        guess = guess_start(FormulaModel(self.formula), self.x, self.y, self.sigma)
        return GuessedStart(self.formula, np.array(guess.params, dtype=np.float64), guess.explanation)


@dataclass(frozen=True)
class SolveTask:
    """Levenberg–Marquardt from ``theta`` to the end, with the fit's statistics (a formula's landmark)."""

    problem: FitProblem
    theta: np.ndarray
    problem_key: Hashable | None = None

    def run(self, context: TaskContext) -> Generator[None, None, NonlinearFit]:
        """Solve (stopping between steps when asked); ValueError when the start is not finite."""
        yield from ()
        problem = reuse(self.problem_key, self.problem)
        return solve_least_squares(problem, self.theta, stop_event=StopFlag(context))

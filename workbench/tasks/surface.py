"""A loss surface that has no closed form (the neural net, MAE and Huber losses) as a task: rows of the grid
computed a few at a time, stopping between them when asked."""

from __future__ import annotations

from collections.abc import Generator, Hashable
from dataclasses import dataclass

import numpy as np

from workbench.fitting.problem import FitProblem
from workbench.fitting.sampling import evenly_sampled

from .context import TaskContext
from .problem_cache import reuse
from .stop_flag import StopFlag

ROWS_PER_CHUNK = 10  # the task looks at its stop flag (and may report) this often


@dataclass(frozen=True)
class SurfaceProgress:
    """How much of the grid is done (0..1)."""

    fraction: float


@dataclass(frozen=True)
class SurfaceGrid:
    """The loss over a grid of knobs ``i`` (columns, ``a_values``) and ``j`` (rows, ``b_values``)."""

    theta: np.ndarray
    i: int
    j: int
    a_values: np.ndarray
    b_values: np.ndarray
    z: np.ndarray


@dataclass(frozen=True)
class SurfaceTask:
    """The loss over a grid of two knobs, the others held at ``theta``."""

    problem: FitProblem
    theta: np.ndarray
    i: int
    j: int
    a_values: np.ndarray
    b_values: np.ndarray
    problem_key: Hashable | None = None
    max_points: int | None = None  # more points than this: the grid is computed on this many, spread evenly

    def run(self, context: TaskContext) -> Generator[SurfaceProgress, None, SurfaceGrid | None]:
        """Compute the grid chunk by chunk; None when stopped before the end."""
        problem = reuse(self.problem_key, self.problem)
        if self.max_points is not None and problem.x.size > self.max_points:
            problem = evenly_sampled(problem, self.max_points)
        stop = StopFlag(context)
        parts = []
        rows = len(self.b_values)
        for start in range(0, rows, ROWS_PER_CHUNK):
            if context.stopped:
                return None
            part = problem.surface(
                self.theta, self.i, self.j, self.a_values, self.b_values[start : start + ROWS_PER_CHUNK], stop
            )
            if part is None:
                return None
            parts.append(part)
            if context.due():
                yield SurfaceProgress(min(1.0, (start + ROWS_PER_CHUNK) / rows))
        z = np.vstack(parts) if parts else np.empty((0, len(self.a_values)))
        return SurfaceGrid(np.array(self.theta), self.i, self.j, self.a_values, self.b_values, z)

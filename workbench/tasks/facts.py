"""What the views of a big dataset need, computed in a compute process: the facts of one state.

At 10⁶ points and more, every fact the window shows costs a pass over the points or more (the loss and its
gradient at the knobs, the curve at every point, the exact optimum with its refinement, the Hessian, the
statistical report), and together they take seconds.  The window asks for them as a task; the compute process
keeps the problem it built (design matrix, engine graph) for the next knob turn; the window shows "computing…"
until the facts of its current state arrive, tagged with that state.
"""

from __future__ import annotations

from collections.abc import Generator, Hashable
from dataclasses import dataclass, field

import numpy as np

from workbench.fitting.computable import numeric_trouble
from workbench.fitting.problem import FitProblem

from .context import TaskContext
from .problem_cache import reuse

# The problem's own facts (once per problem), by the names of the FitProblem properties that hold them.
PROBLEM_FACTS = ("exact", "conditioning", "hessian", "report")


@dataclass(frozen=True)
class StateFacts:
    """The facts of one state: its problem's (``problem`` maps property names to values, present once per
    problem) and its knobs' (loss, gradient, the curve at every data point, the held-out loss)."""

    problem_id: Hashable
    theta: np.ndarray
    trouble: str | None  # why these numbers cannot be computed with (then the rest may be missing)
    loss: float | None = None
    grad: np.ndarray | None = None
    fitted: np.ndarray | None = None  # ŷ at every data x (training and held-out points)
    validation_loss: float | None = None
    problem: dict = field(default_factory=dict)
    column_scales: np.ndarray | None = None  # RMS of each design-matrix column (how far a knob moves the curve)


@dataclass(frozen=True)
class FactsTask:
    """Compute the facts of ``theta`` on ``problem`` (its own facts too when ``with_problem_facts``)."""

    problem: FitProblem
    theta: np.ndarray
    problem_key: Hashable
    with_problem_facts: bool = True
    all_x: np.ndarray | None = None  # every data x when some points are held out (the curve is drawn there too)
    validation: FitProblem | None = None

    def run(self, context: TaskContext) -> Generator[None, None, StateFacts | None]:
        """Compute; None when stopped before the end (a newer state made these facts stale)."""
        yield from ()
        if context.stopped:  # stale before it began: not even the cache of the problem is worth building
            return None
        problem = reuse(self.problem_key, self.problem)
        theta = np.asarray(self.theta, dtype=np.float64)
        with np.errstate(all="ignore"):
            trouble = numeric_trouble(problem, theta) if problem.x.size else None
            if trouble is not None or context.stopped:
                return StateFacts(self.problem_key, theta, trouble) if trouble else None
            loss, grad = problem.evaluate(theta)
            fitted = problem.predict(theta) if self.all_x is None else problem.predict(theta, self.all_x)
            validation = None
            if self.validation is not None:
                held_out = reuse(("validation", self.problem_key), self.validation)
                validation = float(held_out.loss_at(theta))
            facts: dict = {}
            scales = None
            if self.with_problem_facts:
                for name in PROBLEM_FACTS:  # each one a pass over the points or more: stop between them
                    if context.stopped:
                        return None
                    facts[name] = getattr(problem, name, None)
                if problem.is_polynomial:
                    design = problem.design_matrix
                    scales = np.sqrt(np.mean(design * design, axis=0)) if len(design) else None
        return StateFacts(
            self.problem_key,
            theta,
            None,
            float(loss),
            np.array(grad),
            np.array(fitted),
            validation,
            facts,
            scales,
        )

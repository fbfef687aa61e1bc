"""A big problem's points, thinned evenly: what a picture of the loss needs (a surface, a graph to walk, a
gradient check) is the same on 20,000 points spread over the data as on ten million."""

from __future__ import annotations

import numpy as np

from .problem import FitProblem


def even_indices(x, n: int) -> np.ndarray:
    """Indices of ``n`` of the points, spread evenly in x (all of them, in file order, when there are fewer)."""
    x = np.asarray(x)
    if x.size <= n:
        return np.arange(x.size)
    order = np.argsort(x, kind="stable")
    return order[np.linspace(0, x.size - 1, n).astype(np.int64)]


def evenly_sampled(problem: FitProblem, n: int) -> FitProblem:
    """The same model and loss on ``n`` of the problem's points spread evenly in x (the problem itself when it
    has no more than ``n``)."""
    if problem.x.size <= n:
        return problem
    index = even_indices(problem.x, n)
    sigma = None if problem.sigma is None else problem.sigma[index]
    return FitProblem(problem.x[index], problem.y[index], problem.model, problem.loss, sigma)

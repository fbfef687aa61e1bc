"""Can a fit be computed in double precision at all?  If not, say why in the user's terms.

Data around 1e300 (or 1e-300) is valid data, but powers of such x, squares of such y, or the fitted
coefficients in powers of x overflow the largest double (about 1.8e308).  Rather than let every view
meet an overflow of its own (NaN curves, warnings, ``OverflowError`` from an exact rational conversion),
the app asks here first, before a change of data, model or knobs takes effect, and refuses one that
cannot be computed with a message that names the computation, the data's range and a fix.

The check runs what every view of a fit needs (the loss and its gradient at the knobs, the Hessian's
spectrum, the exact optimum and its coefficients in powers of x, the curve at the data) with
floating-point overflow and invalid operations raised as errors: a computation that guards its own
legitimate infinities (an infinite condition number, say) does so in an ``errstate`` of its own.
A data range wider than an eighth of the doubles' range is refused too: plots pad their axes around it.
It leaves its results cached on the ``FitProblem``, so the views do not compute them again.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .models import PolynomialModel
from .problem import FitProblem

__all__ = ["DOUBLE_MAX", "numeric_trouble", "range_trouble"]

DOUBLE_MAX = float(np.finfo(np.float64).max)
SPAN_ROOM = 8.0  # a data range this many times wider must still be a finite double (plot axes, padding)
_FAILURES = (FloatingPointError, OverflowError, ZeroDivisionError, np.linalg.LinAlgError)


def numeric_trouble(problem: FitProblem, theta) -> str | None:
    """Why ``problem`` cannot be computed with at the knobs ``theta`` (a sentence for the user), or None."""
    theta = np.asarray(theta, dtype=np.float64)
    polynomial = problem.is_polynomial and problem.x.size > 0
    steps: list[tuple[str, Callable[[], object]]] = [
        ("the width of the data's range", lambda: _finite(_spans(problem))),
        ("the loss and its gradient at these knobs", lambda: _finite(problem.evaluate(theta))),
    ]
    if polynomial:
        steps += [
            ("the curvature of the loss (its Hessian)", lambda: problem.conditioning),
            ("the exact least-squares fit", lambda: _finite(_exact_monomial(problem))),
            ("the curve at the data points", lambda: _finite(problem.predict(theta))),
            ("the knobs as coefficients of powers of x", lambda: _finite(problem.monomial_coefficients(theta))),
        ]
    elif problem.x.size:
        steps.append(("the curve at the data points", lambda: _finite(problem.predict(theta))))
    for what, compute in steps:
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                compute()
        except _FAILURES:
            return _explain(problem, what)
    return None


def range_trouble(x, y) -> str | None:
    """The check that costs one pass over the points: are the data's ranges, with room to spare for plot
    axes, finite doubles?  (The rest of ``numeric_trouble`` needs the fit itself.)"""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if not x.size:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        spans = SPAN_ROOM * np.array([np.ptp(x), np.ptp(y)])
    if np.all(np.isfinite(spans)):
        return None
    fix = "rescale x and y to numbers nearer 1 (change their units, or subtract an offset)"
    return (
        f"the width of the data's range cannot be computed in double precision (x from {float(x.min()):.3g} "
        f"to {float(x.max()):.3g}, y from {float(y.min()):.3g} to {float(y.max()):.3g}): the numbers pass about "
        f"{DOUBLE_MAX:.2g} or come out undefined. To fit these data, {fix}"
    )


def _spans(problem: FitProblem) -> np.ndarray:
    """The x and y ranges' widths, with room to spare: a plot pads its axes beyond the data."""
    if not problem.x.size:
        return np.zeros(2)
    return SPAN_ROOM * np.array([np.ptp(problem.x), np.ptp(problem.y)])


def _exact_monomial(problem: FitProblem) -> np.ndarray:
    """The exact fit's powers-of-x coefficients (a polynomial with data always has an exact fit)."""
    exact = problem.exact
    assert exact is not None
    return exact.monomial


def _finite(value) -> None:
    """Raise FloatingPointError unless every number in ``value`` (arrays, floats, tuples of them) is finite."""
    parts = value if isinstance(value, tuple) else (value,)
    for part in parts:
        if not np.all(np.isfinite(np.asarray(part, dtype=np.float64))):
            raise FloatingPointError("not finite")


def _explain(problem: FitProblem, what: str) -> str:
    x, y = problem.x, problem.y
    where = ""
    if x.size:
        where = (
            f" (x from {float(x.min()):.3g} to {float(x.max()):.3g}, y from {float(y.min()):.3g} to "
            f"{float(y.max()):.3g})"
        )
    fix = "rescale x and y to numbers nearer 1 (change their units, or subtract an offset)"
    model = problem.model
    if isinstance(model, PolynomialModel) and model.basis.kind == "monomial" and model.degree > 1:
        fix += ", or choose the Scaled or Legendre basis or a lower degree"
    elif isinstance(model, PolynomialModel) and model.degree > 1:
        fix += ", or choose a lower degree"
    return (
        f"{what} cannot be computed in double precision{where}: the numbers pass about "
        f"{DOUBLE_MAX:.2g} or come out undefined. To fit these data, {fix}"
    )

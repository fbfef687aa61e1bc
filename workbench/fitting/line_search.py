"""Step lengths along a search direction: the exact one on a quadratic, a Wolfe line search otherwise.

Conjugate gradient and L-BFGS choose a direction d and then a length α for the step θ + α·d.  On a
quadratic loss with a known Hessian H (squared error on a polynomial) the best α is exact:
α = −gᵀd / dᵀHd.  Otherwise ``wolfe_search`` looks along d with the loss and gradient from the engine until
the step satisfies the strong Wolfe conditions (enough decrease, and a slope that has flattened enough):
Nocedal & Wright, *Numerical Optimization*, algorithms 3.5 and 3.6, with quadratic interpolation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]

MAX_EVALUATIONS = 25  # a search that needs more than this has met a loss it cannot make sense of
GROWTH = 4.0  # how much further each extrapolation looks


@dataclass(frozen=True)
class LineStep:
    """Where a line search ended: the step length, and the loss and gradient there (known: no new pass)."""

    alpha: float
    loss: float
    grad: np.ndarray | None
    evaluations: int


def exact_step(grad: np.ndarray, direction: np.ndarray, hessian: np.ndarray) -> float | None:
    """α minimising a quadratic with Hessian ``hessian`` along ``direction`` (None if it has no minimum)."""
    curvature = float(direction @ (hessian @ direction))
    slope = float(grad @ direction)
    if not (curvature > 0 and math.isfinite(curvature) and math.isfinite(slope)):
        return None
    return -slope / curvature


def wolfe_search(
    value_and_grad: ValueAndGrad,
    params: np.ndarray,
    direction: np.ndarray,
    loss: float,
    grad: np.ndarray,
    alpha: float,
    c1: float = 1e-4,
    c2: float = 0.9,
) -> LineStep:
    """A step length along a descent ``direction`` meeting the strong Wolfe conditions, starting from ``alpha``.

    If none is found within ``MAX_EVALUATIONS`` passes, the best point seen is returned (α = 0 when no
    point was lower than the start: the caller then knows the direction brought nothing).
    """
    slope0 = float(grad @ direction)
    if not slope0 < 0:
        return LineStep(0.0, loss, grad, 0)
    evaluations = 0
    best = LineStep(0.0, loss, grad, 0)

    def probe(a: float) -> tuple[float, float, np.ndarray]:
        nonlocal evaluations, best
        evaluations += 1
        value, g = value_and_grad(params + a * direction)
        value = float(value)
        if math.isfinite(value) and np.all(np.isfinite(g)) and value < best.loss:
            best = LineStep(a, value, np.array(g, dtype=np.float64), 0)
        return value, float(g @ direction) if np.all(np.isfinite(g)) else math.nan, g

    previous_alpha, previous_value, previous_slope = 0.0, loss, slope0
    while evaluations < MAX_EVALUATIONS:
        value, slope, g = probe(alpha)
        too_high = not math.isfinite(value) or value > loss + c1 * alpha * slope0
        if too_high or (evaluations > 1 and value >= previous_value):
            found = _zoom(probe, loss, slope0, previous_alpha, previous_value, previous_slope, alpha, value, c1, c2)
            return _finish(found, best, evaluations)
        if math.isfinite(slope) and abs(slope) <= -c2 * slope0:
            return LineStep(alpha, value, np.array(g, dtype=np.float64), evaluations)
        if math.isfinite(slope) and slope >= 0:
            found = _zoom(probe, loss, slope0, alpha, value, slope, previous_alpha, previous_value, c1, c2)
            return _finish(found, best, evaluations)
        previous_alpha, previous_value, previous_slope = alpha, value, slope
        alpha *= GROWTH
    return _finish(None, best, evaluations)


def _finish(found, best: LineStep, evaluations: int) -> LineStep:
    if found is not None:
        alpha, value, g = found
        return LineStep(alpha, value, np.array(g, dtype=np.float64), evaluations)
    return LineStep(best.alpha, best.loss, best.grad, evaluations)


def _zoom(probe, loss, slope0, lo, lo_value, lo_slope, hi, hi_value, c1, c2):
    """Shrink [lo, hi] (lo: the lower loss so far, satisfying sufficient decrease) to a Wolfe point."""
    for _ in range(MAX_EVALUATIONS):
        alpha = _interpolated(lo, lo_value, lo_slope, hi, hi_value)
        value, slope, g = probe(alpha)
        if not math.isfinite(value) or value > loss + c1 * alpha * slope0 or value >= lo_value:
            hi, hi_value = alpha, value
        else:
            if math.isfinite(slope) and abs(slope) <= -c2 * slope0:
                return alpha, value, g
            if math.isfinite(slope) and slope * (hi - lo) >= 0:
                hi, hi_value = lo, lo_value
            lo, lo_value, lo_slope = alpha, value, slope
        if abs(hi - lo) <= 1e-12 * max(abs(lo), abs(hi)):
            break
    return None


def _interpolated(a: float, fa: float, da: float, b: float, fb: float) -> float:
    """The minimiser of the quadratic through (a, fa) with slope da and (b, fb), kept well inside [a, b]."""
    width = b - a
    if math.isfinite(fb) and math.isfinite(da):
        denominator = 2.0 * (fb - fa - da * width)
        if denominator > 0:
            candidate = a - da * width * width / denominator
            lo, hi = min(a, b), max(a, b)
            margin = 0.1 * (hi - lo)
            if lo + margin <= candidate <= hi - margin:
                return candidate
    return a + 0.5 * width

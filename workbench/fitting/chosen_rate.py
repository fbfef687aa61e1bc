"""The learning rate a run takes when none is given, with a sentence saying how it was chosen.

The rate comes from the Hessian's spectrum (``learning_rates.curvature_lr``): a polynomial's, exact and the
same everywhere, or a formula's Gauss–Newton Hessian at the start values (local: a formula's curvature
changes as the knobs move; the race starts formulas at the same rate).  Adam's step is in knob units, so
its rate is a small fraction of the knobs' size instead.

On mini-batches of B points the rate is the full-batch one scaled by the step-size guide's ratio of the
stable rate on batches of B to the stable rate on all points (``step_size.step_size_guide``): smaller
batches curve more steeply, so they need smaller steps.  With B = N the ratio is exactly 1, so the rate
(and the run) is exactly the full-batch one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .learning_rates import ADAM_FRACTION, FALLBACK_LR, adam_lr, curvature_lr
from .step_size import local_conditioning, step_size_guide


@dataclass(frozen=True)
class ChosenRate:
    """A learning rate and one sentence saying where it came from."""

    value: float
    how: str


def chosen_rate(kind: str, problem, theta0, batch_size: int | None = None, seed: int = 0) -> ChosenRate:
    """The default rate of optimiser ``kind`` on ``problem`` from ``theta0``, on batches of ``batch_size``
    points drawn from ``seed`` (None: all points)."""
    rate = _adam_rate(problem, theta0) if kind == "adam" else _curvature_rate(kind, problem, theta0)
    if batch_size is None or kind == "adam" or problem.x.size == 0:
        return rate
    guide = step_size_guide(problem, theta0, batch_size, seed)
    if guide is None or not (math.isfinite(guide.full_limit) and math.isfinite(guide.batch_limit)):
        return rate
    ratio = guide.batch_limit / guide.full_limit  # exactly 1.0 when the batches are all the points
    if ratio == 1.0:
        return ChosenRate(rate.value, f"{rate.how}; batches of all {guide.n_points} points change nothing")
    return ChosenRate(
        rate.value * ratio,
        f"{rate.how}, times {ratio:.3g} for batches of {guide.batch_size}: the steepest of the sampled batches "
        f"is stable below {guide.batch_limit:.3g}, all {guide.n_points} points below {guide.full_limit:.3g}",
    )


def _curvature_rate(kind: str, problem, theta0) -> ChosenRate:
    if problem.is_polynomial:
        conditioning = problem.conditioning if problem.x.size else None
        where = "the loss's curvature"
    else:
        conditioning = local_conditioning(problem, theta0)
        where = "the curvature at the start values (a formula's changes as the knobs move)"
    value = curvature_lr(kind, conditioning)
    lambda_max = conditioning.lambda_max if conditioning is not None else math.nan
    if not (math.isfinite(lambda_max) and lambda_max > 0):
        return ChosenRate(value, f"{value:g}: there is no curvature to go by at the start")
    limit = 2.0 / lambda_max
    rule = {
        "gd": f"2/(λ_max+λ_min), at most 0.9 × the stability limit 2/λ_max = {limit:.3g}",
        "nesterov": f"0.9 × 2(1+β)/((1+2β)·λ_max) with β = 0.9 (the stability limit of plain GD is {limit:.3g})",
        "cg": "the line search's first trial step, 1/λ_max",
        "lbfgs": "the line search's first trial step, 1/λ_max",
    }.get(kind, f"0.9 × the stability limit 2/λ_max = {limit:.3g}")
    return ChosenRate(value, f"{rule}, from {where}")


def _adam_rate(problem, theta0) -> ChosenRate:
    if problem.is_polynomial:
        value = adam_lr(problem)
        return ChosenRate(value, f"{ADAM_FRACTION:.0%} of the knobs' natural size (Adam moves each knob by about lr)")
    sizes = np.abs(np.asarray(theta0, dtype=np.float64))
    sizes = sizes[np.isfinite(sizes) & (sizes > 0)]
    if not sizes.size:
        return ChosenRate(FALLBACK_LR, f"{FALLBACK_LR:g}: every start value is 0, so there is no size to go by")
    return ChosenRate(
        float(ADAM_FRACTION * np.min(sizes)),
        f"{ADAM_FRACTION:.0%} of the smallest start value's size (Adam moves each knob by about lr per step)",
    )

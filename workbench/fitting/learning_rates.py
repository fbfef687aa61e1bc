"""Default learning rates: fast but stable for each optimiser, from the problem's own scales.

For a squared-error polynomial the loss is a quadratic with Hessian eigenvalues λ_min … λ_max
(``conditioning``).  Plain gradient descent shrinks the error along eigenvector i by |1 − lr·λ_i| a step:
the best single rate is 2/(λ_max + λ_min) (every direction shrinks by (κ−1)/(κ+1)); where that is nearly
the stability limit 2/λ_max itself (κ ≥ 9) 0.9 × the limit is used instead, which costs nothing along the
slow directions and keeps a margin for rounding.  On an orthonormal basis (κ = 1) the rate is 1/λ and one
step lands on the optimum.

Adam's step is in knob units (each knob moves by about lr per step at first), so its rate is a small
fraction of the knobs' natural size: the size a knob needs to draw a curve as big as the data.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only: conditioning imports this module
    from .conditioning import Conditioning

FALLBACK_LR = 0.01  # no curvature to go by (the neural net): a rate that suits its O(1) weights
ADAM_FRACTION = 0.01  # Adam's step, as a fraction of the knobs' natural size
STABILITY_MARGIN = 0.9  # a fraction of the stability limit: rounding in λ_max must not tip a run over


def default_lr(kind: str, problem) -> float:
    """A learning rate for optimiser ``kind`` on ``problem`` (a ``FitProblem``); for conjugate gradient
    and L-BFGS it is the first trial step of their line search."""
    if kind == "adam":
        return adam_lr(problem)
    conditioning = problem.conditioning if problem.x.size else None
    return curvature_lr(kind, conditioning)


def curvature_lr(kind: str, conditioning: Conditioning | None) -> float:
    """The rate for a gradient method from the Hessian's spectrum (``FALLBACK_LR`` without one)."""
    if conditioning is None:
        return FALLBACK_LR
    lambda_max, lambda_min = conditioning.lambda_max, max(conditioning.lambda_min, 0.0)
    if not (math.isfinite(lambda_max) and lambda_max > 0):
        return FALLBACK_LR
    limit = 2.0 / lambda_max
    if kind == "gd":
        lr = min(2.0 / (lambda_max + lambda_min), STABILITY_MARGIN * limit)
    elif kind == "nesterov":
        # k ← k − lr·(g + β·v) is stable only below 2(1+β)/((1+2β)·λ_max) ≈ 1.36/λ_max.
        beta = 0.9
        lr = STABILITY_MARGIN * limit * (1 + beta) / (1 + 2 * beta)
    elif kind in ("cg", "lbfgs"):
        lr = 1.0 / lambda_max  # the first trial step; the line search goes further if it pays
    else:  # heavy-ball momentum with β = 0.9 is stable up to 2(1+β)/λ_max: the GD limit is safe
        lr = STABILITY_MARGIN * limit
    return lr if math.isfinite(lr) and lr > 0 else FALLBACK_LR


def adam_lr(problem) -> float:
    """``ADAM_FRACTION`` × the smallest natural knob size (the neural net: ``FALLBACK_LR``)."""
    sizes = typical_knob_sizes(problem)
    if sizes is None:
        return FALLBACK_LR
    positive = sizes[np.isfinite(sizes) & (sizes > 0)]
    if not positive.size:
        return FALLBACK_LR
    return float(ADAM_FRACTION * np.min(positive))


def typical_knob_sizes(problem) -> np.ndarray | None:
    """Per knob, rms(y)/rms(φ_i) over the data (weighted by 1/σ² when weighted): the value of k_i that
    alone draws a curve as big as the data.  None for the neural net or without data."""
    if not problem.is_polynomial or problem.x.size == 0:
        return None
    design = problem.design_matrix
    y = problem.y
    weights = problem.weights
    v = np.ones_like(y) if weights is None else weights / np.mean(weights)
    with np.errstate(all="ignore"):  # powers of huge x overflow: that knob's size is then 0, and skipped
        y_rms = float(np.sqrt(np.mean(v * y * y)))
        column_rms = np.sqrt(np.einsum("i,ij,ij->j", v, design, design) / y.size)
        if not (y_rms > 0 and math.isfinite(y_rms)):
            y_rms = 1.0  # all y zero: any scale will do, the optimum is the zero curve
        return np.where(column_rms > 0, y_rms / column_rms, np.inf)

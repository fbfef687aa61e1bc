"""How large a learning rate gradient descent can take, on all points or on mini-batches of B.

Gradient descent on a squared error is stable below 2/λ_max, λ_max the largest eigenvalue of the loss's
Hessian: (2/N)·JᵀJ for MSE (2·JᵀJ for SSE), J the Jacobian of the (σ-scaled) residuals, plus 2·l2 on
penalised parameters.  For a polynomial J is the design matrix and the Hessian is exact and the same
everywhere; for a formula it is the Gauss–Newton Hessian at the knobs given, a local guide that changes
as the knobs move.  (MAE and Huber are guided by the MSE of the same residuals, as ``conditioning`` is.)

A mini-batch step moves along the gradient of the batch's loss, whose Hessian is (2/B)·J_bᵀJ_b: its
steepest curvature differs from batch to batch, and over small batches some are much steeper than the
whole (a batch of one point curves as 2·‖J_i‖²).  The stable rate for B is therefore estimated from the
steepest of many sampled batches, and it shrinks as B does.  Below it the knobs no longer fly apart, but
the batch gradient is noisy: at a fixed rate they jitter around the optimum instead of settling, by an
amount that shrinks with the rate and grows as B shrinks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conditioning import Conditioning
from .jacobian import NoJacobian, ProblemResiduals
from .minibatch import MiniBatchSampler, check_batch_size

DRAWS = 64  # batches sampled to find the steepest


@dataclass(frozen=True)
class StepSizeGuide:
    """The stable learning rate on all points and on batches of ``batch_size``, and what it means."""

    n_points: int
    batch_size: int
    full_limit: float  # 2/λ_max on all points
    batch_limit: float  # 2/λ_max of the steepest sampled batch (= full_limit when B = N)
    local: bool  # True for a formula: the Gauss–Newton Hessian at these knobs
    text: str

    @property
    def suggested(self) -> float:
        """A rate that is fast but stable for plain (mini-batch) gradient descent: 0.9 × the limit."""
        return 0.9 * self.batch_limit


def step_size_guide(problem, theta, batch_size: int | None = None, seed: int = 0) -> StepSizeGuide | None:
    """The learning-rate guidance for gradient descent on ``problem`` at ``theta`` with batches of
    ``batch_size`` points (None: all); None for models without a Jacobian (the neural net) or no data."""
    n = problem.x.size
    if n == 0:
        return None
    jacobian, scale, ridge = _scaled_jacobian(problem, theta)
    if jacobian is None:
        return None
    batch = n if batch_size is None else check_batch_size(batch_size, n)
    full = _limit(jacobian, scale / n, ridge)
    if batch >= n:
        steepest = full
    else:
        sampler = MiniBatchSampler(n, batch, seed)
        steepest = min(_limit(jacobian[sampler.next()], scale / batch, ridge) for _ in range(DRAWS))
    local = not problem.is_polynomial
    return StepSizeGuide(n, batch, full, steepest, local, _words(n, batch, full, steepest, local))


def local_conditioning(problem, theta) -> Conditioning | None:
    """The (Gauss–Newton) Hessian's spectrum at ``theta``, for models whose exact one ``problem``
    does not have (a formula); None when there is no Jacobian."""
    if problem.x.size == 0:
        return None
    jacobian, scale, ridge = _scaled_jacobian(problem, theta)
    if jacobian is None:
        return None
    s = np.linalg.svd(jacobian, compute_uv=False) if jacobian.size else np.zeros(0)
    s = np.concatenate([s, np.zeros(max(jacobian.shape[1] - s.size, 0))])
    eigenvalues = np.sort(2.0 * scale / problem.x.size * s * s + 2.0 * np.max(ridge, initial=0.0))
    return Conditioning(eigenvalues)


def _scaled_jacobian(problem, theta):
    """(J of the σ-scaled data residuals, the loss's scale (1 for means, N for SSE), l2 × penalty mask)."""
    try:
        residuals = ProblemResiduals(_as_squared_error(problem))
    except NoJacobian:
        return None, 0.0, 0.0
    _, _, jacobian = residuals.data_residuals(np.asarray(theta, dtype=np.float64))
    if not np.all(np.isfinite(jacobian)):
        return None, 0.0, 0.0
    # The batch Hessian is 2·(scale/B)·J_bᵀJ_b: scale 1 for means, N for SSE (estimated as N × a batch's mean).
    scale = float(max(problem.x.size, 1)) if problem.loss.kind == "sse" else 1.0
    ridge = problem.loss.l2 * np.asarray(problem.model.penalty_mask(), dtype=np.float64)
    return jacobian, scale, ridge


def _as_squared_error(problem):
    """The problem itself, or for MAE/Huber the same problem with MSE (the guide's stand-in)."""
    if problem.loss.is_squared_error:
        return problem
    from dataclasses import replace

    from .problem import FitProblem

    return FitProblem(problem.x, problem.y, problem.model, replace(problem.loss, kind="mse"), problem.sigma)


def _limit(jacobian: np.ndarray, scale: float, ridge) -> float:
    """2/λ_max of the Hessian 2·scale·JᵀJ + 2·ridge (from J's largest singular value, never JᵀJ)."""
    largest = float(np.linalg.norm(jacobian, 2)) if jacobian.size else 0.0
    curvature = 2.0 * scale * largest * largest + 2.0 * float(np.max(ridge, initial=0.0))
    return 2.0 / curvature if curvature > 0 else float("inf")


def _words(n: int, batch: int, full: float, steepest: float, local: bool) -> str:
    where = " here (a formula's curvature changes as the knobs move: this holds near these knobs)" if local else ""
    text = f"On all {n} points gradient descent is stable for learning rates below {full:.3g}{where}."
    if batch >= n:
        return text
    return (
        f"{text} With batches of {batch}, each step follows a different slice of the loss, and the "
        f"steepest of {DRAWS} sampled batches curves so that the rate must stay below about {steepest:.3g}; "
        f"the batch gradients are noisy, so at a fixed rate the knobs jitter around the optimum instead of "
        f"settling: a smaller rate or larger batches calm them."
    )

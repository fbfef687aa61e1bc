"""The Newton step: θ − H⁻¹·∇L, one step that lands on the minimum of a quadratic loss.

Squared error on a polynomial is exactly quadratic in the knobs, so from any knobs one Newton step reaches
the least-squares optimum: the landmark that shows what curvature buys (gradient descent needs ~κ steps,
conjugate gradient D+1, Newton one).  The step is computed where it is well conditioned: the residual of
the current curve is fitted by least squares in the stable Legendre basis (H⁻¹∇L is exactly that fit's
coefficients), and the result is carried to the knobs' basis by an exact change of basis.  With an L2
penalty the step is solved in the knobs' own basis, where the penalty lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .exact import _solve_refined


@dataclass(frozen=True, eq=False)
class NewtonStep:
    """One Newton step from ``start``: where it lands and the loss before and after (stable losses)."""

    start: np.ndarray
    params: np.ndarray
    start_loss: float
    loss: float

    @property
    def step(self) -> np.ndarray:
        """params − start: the displacement −H⁻¹·∇L."""
        return self.params - self.start


def newton_step(problem, theta) -> NewtonStep:
    """The Newton step from ``theta`` on ``problem``'s loss; ValueError (saying why) where the loss is not
    a quadratic of the knobs (the neural net, MAE, Huber) or there are no data."""
    if not problem.is_polynomial:
        raise ValueError("the neural net's loss is not a quadratic of its weights: a Newton step has no landmark")
    if not problem.loss.is_squared_error:
        raise ValueError(
            f"a {problem.loss.kind.upper()} loss is not a quadratic of the knobs: one Newton step lands on the "
            "optimum only for squared error (MSE or SSE)"
        )
    if problem.x.size == 0:
        raise ValueError("no data points: there is no loss to take a Newton step on")
    theta = np.asarray(theta, dtype=np.float64)
    params = _penalised_step(problem, theta) if problem.loss.l2 else _least_squares_step(problem, theta)
    return NewtonStep(theta.copy(), params, problem.true_loss(theta), problem.true_loss(params))


def _least_squares_step(problem, theta: np.ndarray) -> np.ndarray:
    """θ + (least-squares fit of the residual y − ŷ(θ)), solved in the stable basis."""
    stable = problem.stable_basis
    degree = problem.model.degree
    current = problem.model.basis.convert(theta, stable)
    residual = problem.y - stable.evaluate(current, problem.x)
    root_weights = None if problem.weights is None else np.sqrt(problem.weights)
    hi, lo, _, _ = _solve_refined(problem.x, residual, stable, degree, root_weights=root_weights)
    exact = [Fraction(float(c)) + Fraction(float(h)) + Fraction(float(lw)) for c, h, lw in zip(current, hi, lo)]
    return stable.convert_exact(exact, problem.model.basis)


def _penalised_step(problem, theta: np.ndarray) -> np.ndarray:
    """θ − H⁻¹·∇L with the ridge Hessian, in the knobs' basis (the penalty keeps H well conditioned)."""
    _, grad = problem.value_and_grad(theta)
    step, *_ = np.linalg.lstsq(problem.hessian, grad, rcond=None)
    return theta - step

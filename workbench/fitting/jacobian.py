"""∂ŷ/∂θ for the models Levenberg–Marquardt can fit, and the residual vector of a whole fitting problem.

A formula's Jacobian comes from the engine in one reverse pass (``FormulaJacobian``); a polynomial's is
its design matrix (the curve is linear in its coefficients).  The neural net is left out: its many
weights make a Jacobian of N × P numbers a poor trade against gradient descent, which it is built for.

``ProblemResiduals`` turns a ``FitProblem`` into the residual vector LM minimises the squares of:
r = (ŷ − y)/σ, followed, with an L2 penalty, by one row √(N·l2)·θ_j per penalised parameter (√l2 for
SSE), so that the problem's loss is exactly ``scale``·‖r‖² (scale 1/N for MSE, 1 for SSE).  This is the
solver's own vector (its Jacobian is then ∂ŷ/∂θ/σ, the penalty rows +θ_j); every residual shown to people
is y − ŷ.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .formula_model import FormulaJacobian, FormulaModel
from .models import PolynomialModel

PredictionJacobian = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
ROUNDING = 64 * np.finfo(np.float64).eps  # the relative size of the rounding a residual carries (generously)


class NoJacobian(ValueError):
    """The model or loss cannot be fitted by Levenberg–Marquardt (the message says what to use instead)."""


def prediction_jacobian(model, x) -> PredictionJacobian:
    """θ → (ŷ, ∂ŷ/∂θ) at the points x, compiled once for these x; raises ``NoJacobian`` for the net."""
    return _compiled(model, x)[0]


def _compiled(model, x) -> tuple[PredictionJacobian, Callable[[np.ndarray], np.ndarray]]:
    """(θ → (ŷ, J), θ → ŷ) for these x."""
    x = np.asarray(x, dtype=np.float64)
    if isinstance(model, FormulaModel):
        compiled = FormulaJacobian(model, x)
        return compiled.evaluate, compiled.predict
    if isinstance(model, PolynomialModel):
        design = model.basis.design_matrix(x, model.degree)
        return (
            lambda theta: (design @ np.asarray(theta, dtype=np.float64), design),
            lambda theta: design @ np.asarray(theta, dtype=np.float64),
        )
    raise NoJacobian(
        "Levenberg–Marquardt fits formulas and polynomials; for the neural net use gradient descent or Adam"
    )


class ProblemResiduals:
    """The residuals of a ``FitProblem`` as Levenberg–Marquardt sees them, and their Jacobian.

    ``loss(θ) = scale · ‖r(θ)‖²`` for the problem's squared-error loss (MSE or SSE, with its L2 penalty);
    ``resolution`` is about how precisely r can be computed (rounding in y and ŷ).
    """

    def __init__(self, problem):
        loss = problem.loss
        if not loss.is_squared_error:
            raise NoJacobian(
                f"Levenberg–Marquardt minimises squared errors; with the {loss.kind.upper()} loss use gradient "
                f"descent, momentum or Adam (or switch the loss to MSE or SSE)"
            )
        if problem.x.size == 0:
            raise ValueError("no data points: add at least one point to fit")
        self.problem = problem
        self.n_points = problem.x.size
        self.predict, self.predict_only = _compiled(problem.model, problem.x)
        self.inverse_sigma = None if problem.sigma is None else 1.0 / problem.sigma
        self.scale = 1.0 / max(self.n_points, 1) if loss.kind == "mse" else 1.0
        mask = np.asarray(problem.model.penalty_mask(), dtype=np.float64)
        weight = np.sqrt(loss.l2 / self.scale) if loss.l2 else 0.0
        self.ridge = weight * mask  # one extra residual ridge_j·θ_j per penalised parameter
        self.penalised = np.flatnonzero(self.ridge)
        y = problem.y if self.inverse_sigma is None else problem.y * self.inverse_sigma
        self.resolution = ROUNDING * float(np.linalg.norm(y))

    def data_residuals(self, theta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ŷ, r, J) for the data alone: r = (ŷ − y)/σ and J = ∂r/∂θ."""
        prediction, jacobian = self.predict(np.asarray(theta, dtype=np.float64))
        residuals = prediction - self.problem.y
        if self.inverse_sigma is not None:
            residuals = residuals * self.inverse_sigma
            jacobian = jacobian * self.inverse_sigma[:, None]
        return prediction, residuals, jacobian

    def __call__(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """(r, J) including the penalty's rows: the vector whose squares LM minimises."""
        theta = np.asarray(theta, dtype=np.float64)
        _, residuals, jacobian = self.data_residuals(theta)
        if self.penalised.size:
            rows = np.zeros((self.penalised.size, theta.size))
            rows[np.arange(self.penalised.size), self.penalised] = self.ridge[self.penalised]
            residuals = np.concatenate([residuals, self.ridge[self.penalised] * theta[self.penalised]])
            jacobian = np.vstack([jacobian, rows])
        return residuals, jacobian

    def residuals(self, theta) -> np.ndarray:
        """r alone (with the penalty's rows), by a forward pass: what a trial step needs."""
        theta = np.asarray(theta, dtype=np.float64)
        residuals = self.predict_only(theta) - self.problem.y
        if self.inverse_sigma is not None:
            residuals = residuals * self.inverse_sigma
        if self.penalised.size:
            residuals = np.concatenate([residuals, self.ridge[self.penalised] * theta[self.penalised]])
        return residuals

    def loss_and_gradient(self, residuals: np.ndarray, jacobian: np.ndarray) -> tuple[float, np.ndarray]:
        """The problem's loss and its gradient from (r, J): scale·‖r‖² and 2·scale·Jᵀr."""
        return self.scale * float(residuals @ residuals), 2.0 * self.scale * (jacobian.T @ residuals)

"""A fitting problem: one dataset, one model, one loss, and everything derived from them.

The CLI and the desktop app both work through this object, so "the loss", "the gradient", "the exact
optimum" and "the stability limit" mean exactly the same thing everywhere.  Derived facts are computed
on first use and cached; a problem never changes (build a new one when data or settings change).

With uncertainties σ every one of them is weighted the same way: the loss sees residuals (y − ŷ)/σ (MSE
becomes χ²/N), the exact optimum is the weighted least-squares one, the Hessian, the surfaces and the
statistical report are those of the weighted loss.

Two losses of given knobs exist.  The engine's (``value_and_grad``, ``loss_at``) is what gradient descent
follows, computed in the knobs' own basis; ``true_loss`` is the same loss of the same curve computed in
the stable basis, which is what every number shown or written reports (raw powers of x far from 0 lose
most of their digits to cancellation in the engine's sum).
"""

from __future__ import annotations

import threading
from functools import cached_property

import numpy as np

from .basis import Basis
from .conditioning import Conditioning, conditioning, squared_error_hessian
from .exact import ExactFit, solve_exact
from .formula_model import FormulaModel
from .learning_rates import typical_knob_sizes
from .least_squares import LM_KIND, LMTrainer
from .legendre import legendre_values
from .losses import Loss
from .minibatch import MiniBatchTrainer
from .models import LossGraph, MLPModel, PolynomialModel, inverse_sigma
from .optimizers import make_optimizer
from .stats import FitReport, fit_report
from .stop_signal import StopSignal
from .surface import numeric_surface, polynomial_surface, quadratic_surface_at
from .training import StopRules, Trainer, Yardstick

RESOLUTION_ULPS = 4
"""Rounding allowance, in units of the last place per knob, of a fitted value ŷ_i = Σ_j φ_j(x_i)·k_j."""

Model = PolynomialModel | MLPModel | FormulaModel


class FitProblem:
    """Data (x, y, optional σ) + model + loss: the loss and its gradient, the exact optimum, conditioning,
    surfaces, the statistical report."""

    def __init__(self, x, y, model: Model, loss: Loss = Loss(), sigma=None):
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        if self.x.shape != self.y.shape or self.x.ndim != 1:
            raise ValueError("x and y must be 1-D arrays of the same length")
        self._inverse_sigma = inverse_sigma(sigma, self.x.size)
        self.sigma = None if sigma is None else np.array(sigma, dtype=np.float64)  # a copy, read-only
        if self.sigma is not None:
            self.sigma.flags.writeable = False
        self.model = model
        self.loss = loss
        self._lock = threading.Lock()  # a LossGraph holds state: one pass at a time
        self._stable_memo: tuple[bytes, tuple[np.ndarray, np.ndarray]] | None = None
        self._evaluated: tuple[bytes, float, np.ndarray] | None = None  # see ``evaluate``
        self._fitted: tuple[bytes, np.ndarray] | None = None  # see ``predict``

    def __reduce__(self):
        """A problem travels (to a worker process) as its definition; the receiver builds its own graphs.

        The yardstick's few numbers travel with it when the sender has them (the window has solved the
        optimum already): a run's process then starts at once instead of solving again (~1 s at 10⁶ points).
        """
        known = self.__dict__.get("yardstick")
        numbers = None if known is None else (known.optimum, known.resolution, known.typical_knobs)
        return (_restore_problem, (type(self), self.x, self.y, self.model, self.loss, self.sigma, numbers))

    @classmethod
    def polynomial(cls, x, y, degree: int = 5, basis: str = "monomial", loss: Loss = Loss(), sigma=None) -> FitProblem:
        """A polynomial problem whose basis spans the data's x range (orthonormal: on these x and σ)."""
        return cls(x, y, PolynomialModel(degree, Basis.for_data(basis, x, sigma)), loss, sigma)

    @property
    def is_weighted(self) -> bool:
        """True when the points carry uncertainties σ (weighted least squares)."""
        return self.sigma is not None

    @property
    def weights(self) -> np.ndarray | None:
        """1/σ² per point, or None when unweighted."""
        return None if self._inverse_sigma is None else self._inverse_sigma * self._inverse_sigma

    def scaled_residuals(self, prediction) -> np.ndarray:
        """(y − ŷ)·(1/σ), or y − ŷ when unweighted: exactly what the engine's loss graph sees."""
        residual = self.y - np.asarray(prediction, dtype=np.float64)
        return residual if self._inverse_sigma is None else residual * self._inverse_sigma

    @property
    def is_polynomial(self) -> bool:
        """True for polynomial models (closed-form optimum, quadratic loss surface)."""
        return isinstance(self.model, PolynomialModel)

    @property
    def polynomial_model(self) -> PolynomialModel:
        """The model, for callers that have checked ``is_polynomial`` (TypeError for any other model)."""
        if not isinstance(self.model, PolynomialModel):
            raise TypeError(f"a {type(self.model).__name__} is not a polynomial model")
        return self.model

    @property
    def n_params(self) -> int:
        """How many knobs."""
        return self.model.n_params

    # -- the loss and its gradient -----------------------------------------------------------------
    @cached_property
    def objective(self) -> LossGraph:
        """The fused (fast) loss graph."""
        design = self.design_matrix if self.is_polynomial else None
        return self.model.loss_graph(self.x, self.y, self.loss, "fused", design, self.sigma)

    def expanded_graph(self) -> LossGraph:
        """A fresh expanded graph (one node per term), for display and for checking the fused one."""
        return self.model.loss_graph(self.x, self.y, self.loss, "expanded", sigma=self.sigma)

    def value_and_grad(self, theta) -> tuple[float, np.ndarray]:
        """L(θ) and ∂L/∂θ by one forward and one backward pass through the engine."""
        with self._lock:
            return self.objective.value_and_grad(theta)

    def evaluate(self, theta) -> tuple[float, np.ndarray]:
        """``value_and_grad``, remembered for the last knobs asked about (the gradient read-only).

        The window checks a change before making it and then every view reads the loss and gradient
        of the same knobs: one pass serves them all (at 10⁶ points a pass takes ~0.1 s).  A training
        loop calls ``value_and_grad``, which has no memo to look up.
        """
        theta = np.asarray(theta, dtype=np.float64)
        key = theta.tobytes()
        memo = self._evaluated
        if memo is None or memo[0] != key:
            value, grad = self.value_and_grad(theta)
            grad = np.array(grad, dtype=np.float64)
            grad.flags.writeable = False
            memo = self._evaluated = (key, value, grad)
        return memo[1], memo[2]

    def remember(self, theta, value: float, grad) -> None:
        """Take (L, ∂L/∂θ) at ``theta`` computed elsewhere (a run's engine graph of this same problem) as
        ``evaluate``'s memo, so the window needs no pass of its own over every point."""
        grad = np.array(grad, dtype=np.float64)
        grad.flags.writeable = False
        self._evaluated = (np.asarray(theta, dtype=np.float64).tobytes(), float(value), grad)

    def remembered(self, theta) -> tuple[float, np.ndarray] | None:
        """(L, ∂L/∂θ) at ``theta`` if already known (``evaluate`` or ``remember``), without computing."""
        memo = self._evaluated
        if memo is None or memo[0] != np.asarray(theta, dtype=np.float64).tobytes():
            return None
        return memo[1], memo[2]

    def adopt(self, facts: dict) -> None:
        """Take derived facts computed elsewhere (a compute process, on this same problem) as this problem's
        own: ``facts`` maps the names of cached properties (``exact``, ``conditioning``, ``hessian``,
        ``report``) to their values, which are then returned without being computed here."""
        for name, value in facts.items():
            if isinstance(getattr(type(self), name, None), cached_property):
                self.__dict__[name] = value

    def knows(self, name: str) -> bool:
        """True when the cached property ``name`` has been computed (or adopted) already."""
        return name in self.__dict__

    def point_forces(self, theta) -> np.ndarray:
        """−∂L/∂ŷ_i from the engine: how hard, and which way, each point pulls the curve."""
        with self._lock:
            return -self.objective.prediction_gradient(theta)

    def loss_at(self, theta) -> float:
        """L(θ) by a forward pass only."""
        with self._lock:
            return self.objective.value(theta)

    def predict(self, theta, x=None) -> np.ndarray:
        """The model's values at x (default: the data x), computed in a numerically stable basis.

        At the data x the result is read-only and remembered for the last knobs (the fit plot, the
        residual plot, the table and the window's pre-check all ask for it after a change).
        """
        if x is None:
            theta = np.asarray(theta, dtype=np.float64)
            key = theta.tobytes()
            memo = self._fitted
            if memo is None or memo[0] != key:
                values = np.asarray(self._predict(theta, self.x), dtype=np.float64)
                values.flags.writeable = False
                memo = self._fitted = (key, values)
            return memo[1]
        return self._predict(theta, np.asarray(x, dtype=np.float64))

    def _predict(self, theta, x: np.ndarray) -> np.ndarray:
        if self.is_polynomial:
            hi, lo = self._stable_coefficients(theta)
            return legendre_values(self.stable_basis.to_t(x), hi, lo)
        return self.model.predict(theta, x)

    @cached_property
    def stable_basis(self) -> Basis:
        """Legendre polynomials on the data's x range: where curves are evaluated without cancellation."""
        return Basis.for_data("legendre", self.x)

    def _stable_coefficients(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """θ re-expressed in the stable basis as hi + lo doubles (exact conversion; the last one is
        remembered, since a redraw asks for the curve, the fitted values and the formula of the same knobs)."""
        theta = np.asarray(theta, dtype=np.float64)
        key = theta.tobytes()
        memo = self._stable_memo
        if memo is None or memo[0] != key:
            memo = (key, self.polynomial_model.basis.convert_split(theta, self.stable_basis))
            self._stable_memo = memo
        return memo[1]

    def true_loss(self, theta) -> float:
        """The loss of the curve these knobs draw, computed in the stable basis (the engine's ``loss_at``
        for the neural net)."""
        if not self.is_polynomial:
            return self.loss_at(theta)
        theta = np.asarray(theta, dtype=np.float64)
        penalised = theta * self.model.penalty_mask() if self.loss.l2 else None
        return self.loss.value(self.scaled_residuals(self.predict(theta)), penalised)

    def monomial_coefficients(self, theta) -> np.ndarray:
        """k0..kD as powers of the user's original x (polynomials only)."""
        return self.polynomial_model.basis.to_monomial(theta)

    # -- landmarks ------------------------------------------------------------------------------
    @cached_property
    def exact(self) -> ExactFit | None:
        """The least-squares optimum in the model's basis (None for the neural net or no data)."""
        if not self.is_polynomial or self.x.size == 0:
            return None
        model = self.polynomial_model
        return solve_exact(self.x, self.y, model.degree, model.basis, self.loss, self.sigma)

    @cached_property
    def report(self) -> FitReport | None:
        """The least-squares fit's statistics, weighted by 1/σ² when σ is given (None for the neural net).

        One cached report serves the report panel, the bands and exports.  Raises ValueError (with a
        message for the user) when there is no data.
        """
        if not self.is_polynomial:
            return None
        if self.x.size == 0:
            return fit_report(self.x, self.y, self.polynomial_model.degree, weights=self.weights)  # (says why: no data)
        # The exact optimum is the plain least-squares solution unless a ridge penalty changed it: then the
        # report (of the plain fit) solves its own.  Either way the solve is done once per problem.
        plain = not (self.loss.l2 and self.loss.is_squared_error)
        degree = self.polynomial_model.degree
        return fit_report(self.x, self.y, degree, weights=self.weights, fit=self.exact if plain else None)

    @cached_property
    def design_matrix(self) -> np.ndarray:
        """Columns φ_i(x) of the polynomial model at the data x (polynomials only)."""
        if not self.is_polynomial:
            raise ValueError("a neural net has no design matrix")
        model = self.polynomial_model
        return model.basis.design_matrix(self.x, model.degree)

    @cached_property
    def conditioning(self) -> Conditioning | None:
        """Hessian spectrum and 2/λ_max of the (weighted) squared-error loss (polynomials only)."""
        if not self.is_polynomial:
            return None
        return conditioning(self.design_matrix, self.loss, self.model.penalty_mask(), self.sigma)

    # -- running and mapping -------------------------------------------------------------------
    def trainer(
        self,
        optimizer: str,
        lr: float,
        params,
        rules: StopRules = StopRules(),
        stop_event=None,
        monitor=None,
        monitor_every: int = 1,
        batch_size: int | None = None,
        seed: int = 0,
        yardstick: Yardstick | None = None,
    ) -> Trainer | LMTrainer:
        """A trainer on this problem's engine graph, starting from ``params``, judged by ``yardstick``.

        ``optimizer="lm"`` gives Levenberg–Marquardt behind the same interface (``lr`` is not used).
        Conjugate gradient and L-BFGS get the constant Hessian of a squared-error polynomial, so their step
        lengths are exact; ``monitor`` (a validation loss) as in ``Trainer``.  ``batch_size`` B (None: all
        points) makes each step's gradient that of B points drawn without replacement within each epoch from
        ``seed`` (``minibatch.MiniBatchTrainer``).  ``yardstick`` is what a gradient run is judged by: by default
        this problem's own for a full-batch run and none (the gradient's size) for a mini-batch run; the command
        line gives a formula's runs Levenberg–Marquardt's loss as their optimum.
        """
        if optimizer == LM_KIND:
            if batch_size is not None and batch_size < self.x.size:
                raise ValueError(
                    "Levenberg–Marquardt uses every point at every step: leave the batch size at all points"
                )
            return LMTrainer(self, params, rules, stop_event)
        rule = make_optimizer(optimizer, lr)
        if batch_size is not None:
            return MiniBatchTrainer(
                self, rule, params, batch_size, seed, rules, stop_event, monitor, monitor_every, yardstick
            )
        rule.attach(self.value_and_grad, self.hessian if rule.uses_hessian else None)
        judge = self.yardstick if yardstick is None else yardstick
        return Trainer(self.value_and_grad, rule, params, rules, stop_event, monitor, monitor_every, judge)

    @cached_property
    def yardstick(self) -> Yardstick:
        """What runs on this problem are judged by: the optimum (squared-error polynomials) and the loss's
        rounding resolution there, or else the knobs' natural sizes (for the relative gradient); and the
        stable loss."""
        if not self.is_polynomial or self.x.size == 0:
            return Yardstick()
        if self.loss.is_squared_error and self.exact is not None and np.isfinite(self.exact.loss):
            return Yardstick(self.exact.loss, self.loss_resolution(self.exact.fitted), None, self.true_loss)
        return Yardstick(None, 0.0, typical_knob_sizes(self), self.true_loss)

    def loss_resolution(self, fitted: np.ndarray) -> float:
        """How much the squared-error loss at ``fitted`` moves when each fitted value is off by its rounding
        (``RESOLUTION_ULPS`` per knob, in units of the last place of |y| + |ŷ|): a loss gap below this is
        noise, not distance from the optimum."""
        eps = np.finfo(np.float64).eps
        delta = RESOLUTION_ULPS * self.n_params * eps * (np.abs(self.y) + np.abs(fitted))
        residual = np.abs(fitted - self.y)
        if self._inverse_sigma is not None:
            delta, residual = delta * self._inverse_sigma, residual * self._inverse_sigma
        total = float(np.sum(2.0 * residual * delta + delta * delta))
        return total / self.x.size if self.loss.kind == "mse" else total

    @cached_property
    def hessian(self) -> np.ndarray | None:
        """The exact Hessian of a squared-error polynomial loss (the same for all knobs); None otherwise."""
        if not (self.is_polynomial and self.loss.is_squared_error):
            return None
        return squared_error_hessian(self.design_matrix, self.loss, self.model.penalty_mask(), self.sigma)

    def surface_at(self, evaluation, theta, i: int, j: int, a_values, b_values) -> np.ndarray | None:
        """``surface`` of a squared-error polynomial from (loss, gradient) at theta already known (the
        window's engine evaluation), and the constant Hessian: no pass over the points.  None for other
        models and losses (use ``surface``)."""
        if not (self.is_polynomial and self.loss.is_squared_error and self.x.size):
            return None
        value, grad = evaluation
        hessian = self.hessian
        assert hessian is not None  # a squared-error polynomial always has one
        return quadratic_surface_at(value, np.asarray(grad, dtype=np.float64), hessian, theta, i, j, a_values, b_values)

    def surface(self, theta, i: int, j: int, a_values, b_values, stop: StopSignal | None = None) -> np.ndarray | None:
        """Loss over a grid of coefficients i (columns) and j (rows), the others fixed at theta."""
        if self.is_polynomial:
            return polynomial_surface(
                self.design_matrix,
                self.y,
                theta,
                i,
                j,
                a_values,
                b_values,
                self.loss,
                self.model.penalty_mask(),
                self.sigma,
            )
        mask = self.model.penalty_mask()

        def loss_at(probe):
            return self.loss.value(self.scaled_residuals(self.model.predict(probe, self.x)), probe * mask)

        return numeric_surface(loss_at, theta, i, j, a_values, b_values, stop)


def _restore_problem(cls, x, y, model, loss, sigma, numbers) -> FitProblem:
    """Unpickle a ``FitProblem``, with its yardstick's numbers when they came along."""
    problem = cls(x, y, model, loss, sigma)
    if numbers is not None:
        optimum, resolution, typical = numbers
        problem.yardstick = Yardstick(
            optimum, resolution, typical, problem.true_loss if problem.is_polynomial else None
        )
    return problem

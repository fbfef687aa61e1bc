"""The library API: fit a polynomial from a script or a notebook, and open the window on your data.

A thin layer over the core that the command line and the app share (``FitProblem``: its exact solve, its
statistical report, and the ``Trainer`` that runs the optimisers), so every number here is the one the
app and ``workbench fit`` show, and improvements to the core reach it unchanged.

    >>> import numpy as np, workbench
    >>> x = np.linspace(0, 1, 20); y = 1 + 2 * x - 3 * x**2
    >>> result = workbench.fit(x, y, degree=2)
    >>> np.allclose(result.coefficients, [1, 2, -3])
    True

Conventions: coefficients are k0..kD of powers of your own x; curves are always evaluated in a
numerically stable basis, never by summing those powers; residuals are y − ŷ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from workbench.fitting import export, report_export
from workbench.fitting.basis import BASIS_KINDS
from workbench.fitting.computable import numeric_trouble
from workbench.fitting.data import Dataset
from workbench.fitting.learning_rates import default_lr
from workbench.fitting.losses import LOSS_KINDS, Loss
from workbench.fitting.optimizers import OPTIMIZER_KINDS
from workbench.fitting.problem import FitProblem
from workbench.fitting.script_export import fit_script
from workbench.fitting.stats import FitReport
from workbench.fitting.stats import bands as report_bands
from workbench.fitting.training import StopRules

__all__ = ["OPTIMIZERS", "Bands", "FitResult", "fit", "show"]

OPTIMIZERS = ("exact", *OPTIMIZER_KINDS)
"""``exact`` least squares, or one of the gradient-based optimisers the app runs."""


class Bands(NamedTuple):
    """The curve at ``x`` with its confidence band (the mean curve) and prediction band (a new point)."""

    x: np.ndarray
    fitted: np.ndarray
    confidence_low: np.ndarray
    confidence_high: np.ndarray
    prediction_low: np.ndarray
    prediction_high: np.ndarray


@dataclass(frozen=True, eq=False)
class FitResult:
    """A fitted polynomial: its coefficients, their uncertainty, how well it fits, and how it was found.

    ``coefficients`` are k0..kD of y = k0 + k1·x + … + kD·x^D in your x.  ``standard_errors``,
    ``covariance`` and the bands are those of the least-squares fit (None when they cannot be estimated,
    e.g. a curve through every point; ``report.why`` says why); for a gradient-based optimiser they
    describe its coefficients as far as the run reached the least-squares optimum (``gap``).
    ``r_squared`` and ``residual_sd`` are this curve's own (weighted by 1/σ² when ``sigma`` was given;
    NaN when y does not vary, or when there are no residual degrees of freedom).
    """

    coefficients: np.ndarray
    standard_errors: np.ndarray | None
    covariance: np.ndarray | None
    r_squared: float
    residual_sd: float
    fitted: np.ndarray  # ŷ at the data x, in the order given
    residuals: np.ndarray  # y − ŷ
    degree: int
    optimizer: str
    loss: float  # the chosen loss at these coefficients (of residuals/σ when weighted)
    exact_loss: float  # the same loss at the least-squares optimum
    steps: int  # optimiser steps taken (0 for "exact")
    stop_reason: str  # "converged", "max_steps", "diverged", …
    message: str
    warnings: tuple[str, ...]  # caveats of the least-squares report (interpolation, x far from 0, …)
    problem: FitProblem = field(repr=False)  # the core object: data, model, loss, everything derived
    params: np.ndarray = field(repr=False)  # the knobs, in the problem's basis

    @property
    def gap(self) -> float:
        """How far ``loss`` is above the least-squares optimum's (0 for the exact fit)."""
        return self.loss - self.exact_loss

    @property
    def report(self) -> FitReport:
        """The least-squares fit's full statistical report (t values, adjusted R², RMSE, dof, …)."""
        return report_export.problem_report(self.problem)

    def predict(self, x) -> np.ndarray:
        """The curve at ``x`` (a number or an array), computed in a numerically stable basis."""
        return self.problem.predict(self.params, np.asarray(x, dtype=np.float64))

    def bands(self, x, level: float = 0.95) -> Bands:
        """Confidence and prediction bands at ``x`` (``level``: 0.95 for 95%), around this curve.

        The widths come from the least-squares fit (Student t on its residual degrees of freedom); without
        standard errors the band edges are NaN.
        """
        x = np.asarray(x, dtype=np.float64)
        centre, conf_lo, conf_hi, pred_lo, pred_hi = report_bands(self.report, x, level)
        fitted = self.predict(x)
        shift = fitted - centre  # 0 for the exact fit; a run's curve carries the least-squares widths
        return Bands(x, fitted, conf_lo + shift, conf_hi + shift, pred_lo + shift, pred_hi + shift)

    def formula(self, form: str = "text") -> str:
        """The polynomial in your x as "text" (y = 1.5 + 2.25·x − …), "latex" or "numpy", every digit kept."""
        return export.formula(self.coefficients, form)

    def script(self, title: str = "") -> str:
        """A self-contained Python script that reproduces this curve with NumPy and plots it with matplotlib."""
        return fit_script(self.problem, self.params, title)

    def __repr__(self) -> str:
        coefficients = ", ".join(f"{c:.6g}" for c in self.coefficients)
        return (
            f"FitResult(degree={self.degree}, n_points={self.fitted.size}, optimizer={self.optimizer!r}, "
            f"r_squared={self.r_squared:.6g}, residual_sd={self.residual_sd:.6g}, coefficients=[{coefficients}])"
        )


def fit(
    x,
    y,
    degree: int = 5,
    sigma=None,
    basis: str = "scaled",
    optimizer: str = "exact",
    *,
    loss: str = "mse",
    lr: float | None = None,
    steps: int = 10_000,
    tol: float = 1e-10,
) -> FitResult:
    """Fit a polynomial of ``degree`` (0..15) to the points (x, y).

    ``sigma``: one uncertainty per point (weighted least squares, weights 1/σ²).  ``optimizer``: "exact"
    (least squares, the default) or "gd", "momentum", "nesterov", "adam", run from all-zero knobs for up
    to ``steps`` steps until the relative loss change is below ``tol``, at learning rate ``lr`` (default:
    0.9 × the stability limit; 0.01 for Adam).  ``basis`` ("monomial", "scaled", "legendre") is what the
    optimiser's knobs multiply, and ``loss`` ("mse", "sse", "mae", "huber") what it minimises; neither
    changes the exact fit.  Raises ``ValueError`` with a message that says what is wrong and how to fix it.
    """
    _check_choice("optimizer", optimizer, OPTIMIZERS)
    _check_choice("basis", basis, BASIS_KINDS)
    _check_choice("loss", loss, LOSS_KINDS)
    problem = _polynomial_problem(x, y, degree, sigma, basis, loss)
    exact = problem.exact
    assert exact is not None  # a polynomial, and _polynomial_problem refuses no data
    if optimizer == "exact":
        params, value, taken, reason, message = exact.coefficients, exact.loss, 0, "converged", "exact solve"
    else:
        rate = default_lr(optimizer, problem) if lr is None else _positive("lr", lr)
        rules = StopRules(max_steps=_steps(steps), tol=_non_negative("tol", tol))
        with np.errstate(all="ignore"):  # a diverging run is reported by its stop reason, not by warnings
            run = problem.trainer(optimizer, rate, problem.model.initial_params(), rules).run_to_end()
        params, value, taken = run.params, run.loss, run.steps
        reason, message = run.stop_reason.value, run.message
    report = report_export.problem_report(problem)
    fitted = np.array(problem.predict(params))
    residuals = problem.y - fitted
    return FitResult(
        coefficients=problem.monomial_coefficients(params),
        standard_errors=report.standard_errors,
        covariance=report.covariance,
        r_squared=_r_squared(problem, fitted),
        residual_sd=_residual_sd(problem, fitted, degree),
        fitted=fitted,
        residuals=residuals,
        degree=degree,
        optimizer=optimizer,
        loss=float(value),
        exact_loss=float(exact.loss),
        steps=int(taken),
        stop_reason=str(reason),
        message=message,
        warnings=tuple(report.warnings),
        problem=problem,
        params=np.array(params, dtype=np.float64),
    )


def _polynomial_problem(x, y, degree, sigma, basis: str, loss: str) -> FitProblem:
    """The core problem for these points, refused with the reason when no fit can be computed.

    Other models (a formula such as "a*exp(-b*x)+c") get a builder of their own beside this one and a
    ``model`` argument of ``fit`` that picks between them; everything after the problem is shared.
    """
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or not 0 <= degree <= 15:
        raise ValueError(f"degree must be a whole number from 0 to 15, got {degree!r}")
    data = Dataset(x, y, sigma=sigma)  # copies, and refuses non-numbers, NaN, ∞ and mismatched lengths
    if data.n == 0:
        raise ValueError("no data points: give at least one (x, y) pair")
    problem = FitProblem.polynomial(data.x, data.y, int(degree), basis, Loss(loss), sigma=data.sigma)
    trouble = numeric_trouble(problem, problem.model.initial_params())
    if trouble is not None:
        raise ValueError(trouble)
    return problem


def _r_squared(problem: FitProblem, fitted: np.ndarray) -> float:
    weights = np.ones_like(problem.y) if problem.weights is None else problem.weights
    rss = float(np.sum(weights * (problem.y - fitted) ** 2))
    mean = float(np.sum(weights * problem.y) / np.sum(weights))
    tss = float(np.sum(weights * (problem.y - mean) ** 2))
    return 1.0 - rss / tss if tss > 0 else math.nan


def _residual_sd(problem: FitProblem, fitted: np.ndarray, degree: int) -> float:
    dof = problem.y.size - (degree + 1)
    if dof <= 0:
        return math.nan
    return math.sqrt(float(np.sum(problem.scaled_residuals(fitted) ** 2)) / dof)


def _check_choice(what: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}: choose one of {', '.join(map(repr, choices))}")


def _positive(what: str, value: float) -> float:
    if not (isinstance(value, (int, float, np.floating)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a positive number, got {value!r}")
    return float(value)


def _non_negative(what: str, value: float) -> float:
    if not (isinstance(value, (int, float, np.floating)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{what} must be zero or a positive number, got {value!r}")
    return float(value)


def _steps(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"steps must be a whole number, zero or more, got {value!r}")
    return int(value)


def show(x=None, y=None, *, sigma=None, name: str = "", block: bool | None = None):
    """Open the Curve Fitter window on the points (x, y), weighted by ``sigma`` if given (none: the sample).

    With a Qt event loop already running, as in Jupyter after ``%gui qt`` (or in an app of your own), the
    window opens and ``show`` returns it at once.  Otherwise, as in a plain script, ``show`` runs the event
    loop until the window is closed (``block=False`` returns at once; then start the loop yourself).
    Returns the window.  Qt is imported here, not before.
    """
    from workbench.qt.show import show_window

    dataset = None
    if x is not None or y is not None:
        if x is None or y is None:
            raise ValueError("give both x and y (or neither, for the sample dataset)")
        dataset = Dataset(x, y, name=name, sigma=sigma)  # refuses non-numbers, NaN, ∞, mismatched lengths
    return show_window(dataset, block=block)

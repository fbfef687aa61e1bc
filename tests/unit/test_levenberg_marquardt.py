"""Levenberg–Marquardt on fitting problems: its landmark against the exact solve, its statistics against
the polynomial report, its stop reasons, and its place in the race and behind the Trainer interface."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from workbench.fitting.basis import Basis
from workbench.fitting.formula_model import FormulaModel
from workbench.fitting.jacobian import NoJacobian, ProblemResiduals
from workbench.fitting.least_squares import LMTrainer, solve_least_squares
from workbench.fitting.levenberg_marquardt import LevenbergMarquardt, LMSettings
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel, PolynomialModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.race import Race
from workbench.fitting.stats import bands, fit_report
from workbench.fitting.training import StopReason, StopRules

X = np.linspace(-1.0, 3.0, 30)
Y = 0.5 + 1.2 * X - 0.4 * X**2 + np.random.default_rng(1).normal(0, 0.1, X.size)
SIGMA = np.linspace(0.05, 0.2, X.size)
QUADRATIC = "a + b*x + c*x^2"
GROWTH = "a*exp(b*x) + c"
Y_GROWTH = 0.5 * np.exp(0.6 * X) + 0.3 + np.random.default_rng(2).normal(0, 0.05, X.size)


@pytest.mark.parametrize("sigma", [None, SIGMA], ids=["plain", "weighted"])
def test_a_quadratic_formula_gives_the_polynomial_reports_numbers(sigma):
    """For a model linear in its parameters the delta method is exact: LM's standard errors, R² and bands
    must equal the polynomial report's, computed there by an independent route (QR in a Legendre basis)."""
    fit = solve_least_squares(FitProblem(X, Y, FormulaModel(QUADRATIC), sigma=sigma), np.zeros(3))
    weights = None if sigma is None else 1.0 / sigma**2
    report = fit_report(X, Y, 2, weights=weights)
    assert fit.stop_reason == "converged"
    np.testing.assert_allclose(fit.params, report.coefficients, rtol=1e-10)
    np.testing.assert_allclose(fit.standard_errors, report.standard_errors, rtol=1e-9)
    np.testing.assert_allclose(fit.covariance, report.covariance, rtol=1e-8, atol=1e-15)
    assert fit.residual_sd == pytest.approx(report.residual_sd, rel=1e-10)
    assert fit.r_squared == pytest.approx(report.r_squared, rel=1e-10)
    assert fit.dof == report.dof == X.size - 3
    np.testing.assert_allclose(fit.residuals, Y - fit.fitted)  # y − ŷ, as everywhere in the workbench
    x_new = np.linspace(-2, 4, 9)
    for ours, theirs in zip(fit.bands(x_new, 0.9), bands(report, x_new, 0.9)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8)


def test_correlations_are_a_correlation_matrix():
    fit = solve_least_squares(FitProblem(X, Y, FormulaModel(QUADRATIC)), np.zeros(3))
    np.testing.assert_allclose(np.diag(fit.correlation), 1.0)
    np.testing.assert_allclose(fit.correlation, fit.correlation.T)
    assert np.all(np.abs(fit.correlation) <= 1.0 + 1e-12)


def test_lm_on_a_polynomial_model_reaches_the_exact_optimum():
    problem = FitProblem.polynomial(X, Y, degree=4, basis="monomial")
    trainer = problem.trainer("lm", 0.0, np.zeros(5))
    result = trainer.run_to_end()
    assert result.stop_reason is StopReason.CONVERGED and result.steps <= 5
    np.testing.assert_allclose(result.params, problem.exact.coefficients, rtol=1e-8, atol=1e-10)
    assert result.loss == pytest.approx(problem.exact.loss, rel=1e-10)


@pytest.mark.parametrize("loss", [Loss(), Loss("sse"), Loss(l2=0.3), Loss("sse", l2=2.0)], ids=str)
def test_lm_minimises_the_problems_own_loss_penalty_included(loss):
    problem = FitProblem(X, Y_GROWTH, FormulaModel(GROWTH), loss)
    fit = solve_least_squares(problem, np.array([1.0, 0.1, 0.0]))
    assert fit.loss == pytest.approx(problem.loss_at(fit.params), rel=1e-12)
    _, grad = problem.value_and_grad(fit.params)
    assert np.max(np.abs(grad)) < 1e-8 * max(1.0, fit.loss)
    assert bool(fit.warnings) == bool(loss.l2)


def test_mse_and_sse_have_the_same_optimum():
    starts = np.array([1.0, 0.1, 0.0])
    mse = solve_least_squares(FitProblem(X, Y_GROWTH, FormulaModel(GROWTH), Loss()), starts)
    sse = solve_least_squares(FitProblem(X, Y_GROWTH, FormulaModel(GROWTH), Loss("sse")), starts)
    np.testing.assert_allclose(mse.params, sse.params, rtol=1e-9)
    assert sse.loss == pytest.approx(mse.loss * X.size, rel=1e-12)


def test_what_lm_cannot_fit_is_said_plainly():
    with pytest.raises(NoJacobian, match="MAE loss use gradient descent"):
        ProblemResiduals(FitProblem(X, Y, FormulaModel(QUADRATIC), Loss("mae")))
    with pytest.raises(NoJacobian, match="neural net"):
        FitProblem(X, Y, MLPModel((4,))).trainer("lm", 0.0, np.zeros(MLPModel((4,)).n_params))


def test_stop_reasons():
    problem = FitProblem(X, Y_GROWTH, FormulaModel(GROWTH))
    start = np.array([1.0, 0.1, 0.0])
    assert problem.trainer("lm", 0, start, StopRules(max_steps=1)).run_to_end().stop_reason is StopReason.MAX_STEPS
    stop = threading.Event()
    stop.set()
    stopped = problem.trainer("lm", 0, start, stop_event=stop).run_to_end()
    assert stopped.stop_reason is StopReason.STOPPED and stopped.steps == 0
    np.testing.assert_array_equal(stopped.params, start)


def test_a_plateau_is_reported_as_stalled_not_converged():
    """r = (a − x, a·e^(−b) − 1): from b = 30 the second residual's direction is flat in b (cos with r
    is large but the column has gone to nothing): no step helps, and the gradient is not small."""

    def evaluate(theta):
        a, b = theta
        with np.errstate(over="ignore", invalid="ignore"):  # trial steps may send b far out
            r = np.array([a - 1.0, a * np.exp(-b) - 1.0])
            return r, np.array([[1.0, 0.0], [np.exp(-b), -a * np.exp(-b)]])

    result = LevenbergMarquardt(evaluate, [1.0, 300.0], LMSettings(max_steps=50)).solve()
    assert result.stop_reason == "stalled" and "gradient is not small" in result.message


def test_lm_trainer_records_carry_the_problems_loss_and_gradient():
    problem = FitProblem(X, Y_GROWTH, FormulaModel(GROWTH))
    trainer = LMTrainer(problem, np.array([1.0, 0.1, 0.0]))
    records = list(trainer.run())
    assert records and trainer.result.stop_reason is StopReason.CONVERGED
    for record in records:
        loss, grad = problem.value_and_grad(record.params_before)
        assert record.loss == pytest.approx(loss, rel=1e-12)
        np.testing.assert_allclose(record.grad, grad, rtol=1e-9, atol=1e-14)
    losses = [r.loss for r in records]
    # LM only goes downhill (to the rounding of the loss, where the last steps are judged by their size)
    assert all(b <= a * (1 + 1e-12) for a, b in zip(losses, losses[1:]))
    assert trainer.last_step.damping >= 0 and trainer.report().stop_reason == "converged"


def test_the_race_runs_lm_beside_gradient_descent_on_a_formula():
    problem = FitProblem(X, Y_GROWTH, FormulaModel(GROWTH))
    race = Race(problem, np.array([1.0, 0.1, 0.0]), kinds=("gd", "adam", "lm"), steps=200)
    assert race.optimum is not None and race.target is not None  # LM's landmark, for a formula
    list(race.run())
    lm = next(c for c in race.contenders if c.kind == "lm")
    assert lm.name == "Levenberg–Marquardt" and lm.steps_to_target is not None and lm.steps_to_target < 30


def test_monomial_lm_matches_legendre_lm():
    """Column scaling makes LM indifferent to the basis (the optimum is the same curve)."""
    curves = []
    for kind in ("monomial", "legendre"):
        problem = FitProblem(X, Y, PolynomialModel(3, Basis.for_data(kind, X)))
        fit = solve_least_squares(problem, np.zeros(4))
        curves.append(fit.fitted)
    np.testing.assert_allclose(curves[0], curves[1], rtol=1e-10)


def test_no_data_and_too_few_points():
    model = FormulaModel(GROWTH)
    with pytest.raises(ValueError, match="no data points"):
        solve_least_squares(FitProblem(np.zeros(0), np.zeros(0), model), np.ones(3))
    few = solve_least_squares(FitProblem(X[:2], Y_GROWTH[:2], model), np.ones(3))
    assert few.dof == -1 and few.standard_errors is None and "no degrees of freedom" in few.why
    fitted, lo, hi, _, _ = few.bands(X[:5])
    assert np.all(np.isfinite(fitted)) and np.all(np.isnan(lo)) and np.all(np.isnan(hi))

"""The exact solve beyond NIST: it is the optimum of the engine's own loss, in every basis, with and
without the L2 penalty, and it behaves on tiny, interpolating and degenerate data."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.fitting.basis import BASIS_KINDS, Basis
from workbench.fitting.exact import solve_exact
from workbench.fitting.losses import Loss
from workbench.fitting.problem import FitProblem


def data(n: int = 30, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 20.0, n))
    return x, np.cos(x / 3.0) + rng.normal(0, 0.1, n)


@pytest.mark.parametrize(
    "loss", [Loss("mse"), Loss("sse"), Loss("mse", l2=0.3), Loss("sse", l2=0.3)], ids=["mse", "sse", "mse+l2", "sse+l2"]
)
@pytest.mark.parametrize("kind", ["scaled", "legendre"])
def test_exact_solution_zeroes_the_engine_gradient(kind, loss):
    x, y = data()
    problem = FitProblem.polynomial(x, y, 4, kind, loss)
    exact = problem.exact
    value, grad = problem.value_and_grad(exact.coefficients)
    assert np.max(np.abs(grad)) < 1e-10 * max(1.0, value)
    assert value == pytest.approx(exact.loss, rel=1e-12)
    # Nudging any coefficient can only raise the loss.
    for i in range(problem.n_params):
        for step in (-1e-3, 1e-3):
            probe = exact.coefficients.copy()
            probe[i] += step
            assert problem.loss_at(probe) > value


def test_ridge_penalty_lives_in_the_chosen_basis():
    x, y = data()
    scaled = FitProblem.polynomial(x, y, 4, "scaled", Loss("mse", l2=0.3)).exact
    legendre = FitProblem.polynomial(x, y, 4, "legendre", Loss("mse", l2=0.3)).exact
    assert not np.allclose(scaled.fitted, legendre.fitted)  # different penalties, different curves
    plain = FitProblem.polynomial(x, y, 4, "scaled", Loss("mse")).exact
    assert np.sum(scaled.coefficients[1:] ** 2) < np.sum(plain.coefficients[1:] ** 2)


@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_all_views_of_the_solution_describe_one_curve(kind):
    x, y = data(40, seed=1)
    basis = Basis.for_data(kind, x)
    fit = solve_exact(x, y, 5, basis)
    np.testing.assert_allclose(basis.evaluate(fit.coefficients, x), fit.fitted, rtol=0, atol=1e-10)
    np.testing.assert_allclose(basis.to_monomial(fit.coefficients), fit.monomial, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.evaluate(x), fit.fitted, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fit.residuals, y - fit.fitted, rtol=0, atol=0)  # y − ŷ, as everywhere
    assert fit.rss == pytest.approx(float(np.sum(fit.residuals**2)), rel=1e-15)
    assert fit.rank == 6 and fit.dof == 34 and not fit.is_interpolating
    assert fit.residual_sd == pytest.approx(np.sqrt(fit.rss / 34), rel=1e-15)
    assert 0 < fit.r_squared < 1


@pytest.mark.parametrize("loss", [Loss("mae"), Loss("huber", huber_delta=0.2)], ids=["mae", "huber"])
def test_mae_and_huber_get_the_least_squares_curve_scored_with_their_own_loss(loss):
    x, y = data()
    fit = solve_exact(x, y, 3, loss=loss)
    least_squares = solve_exact(x, y, 3)
    np.testing.assert_array_equal(fit.fitted, least_squares.fitted)
    assert fit.loss == pytest.approx(loss.value(fit.residuals), rel=1e-15)


def test_interpolating_fit_passes_through_every_point():
    x = np.array([0.0, 1.0, 2.5, 4.0])
    y = np.array([1.0, -2.0, 0.5, 3.0])
    fit = solve_exact(x, y, 3)
    assert fit.is_interpolating and fit.dof == 0
    np.testing.assert_allclose(fit.fitted, y, rtol=0, atol=1e-13)
    assert np.isnan(fit.residual_sd)


def test_more_coefficients_than_points_still_passes_through_them():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0, 9.0])
    fit = solve_exact(x, y, 5)
    assert fit.rank == 3
    np.testing.assert_allclose(fit.fitted, y, rtol=0, atol=1e-12)
    assert np.all(np.isfinite(fit.monomial))


def test_single_point_and_constant_x():
    fit = solve_exact(np.array([2.0]), np.array([3.0]), 0)
    np.testing.assert_allclose(fit.monomial, [3.0])
    same_x = solve_exact(np.full(4, 1.0), np.array([1.0, 2.0, 3.0, 4.0]), 1)
    np.testing.assert_allclose(same_x.fitted, 2.5)  # the best a line can do through one x: the mean
    assert np.all(np.isfinite(same_x.monomial))


def test_constant_y_has_no_r_squared():
    fit = solve_exact(np.linspace(0, 1, 5), np.full(5, 2.0), 1)
    np.testing.assert_allclose(fit.monomial, [2.0, 0.0], atol=1e-14)
    assert np.isnan(fit.r_squared)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="no data"):
        solve_exact(np.array([]), np.array([]), 1)
    with pytest.raises(ValueError, match="same length"):
        solve_exact(np.arange(3.0), np.arange(4.0), 1)


def test_large_data_takes_the_double_precision_path_and_stays_accurate():
    """Above 200,000 points the refinement runs in double; the fit is still the least-squares one."""
    rng = np.random.default_rng(2)
    x = np.sort(rng.uniform(-3.0, 7.0, 300_000))
    y = 0.5 * x**3 - x + 2.0 + rng.normal(0, 0.5, x.size)
    fit = solve_exact(x, y, 3)
    design = Basis.for_data("legendre", x).design_matrix(x, 3)
    gradient = design.T @ fit.residuals  # optimality: residuals orthogonal to every column
    assert np.max(np.abs(gradient)) < 1e-9 * np.linalg.norm(design) * np.linalg.norm(y)
    np.testing.assert_allclose(fit.monomial, [2.0, -1.0, 0.0, 0.5], atol=0.02)

"""The Hessian's spectrum and the stability limit 2/λ_max, and the loss surface against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.fitting.basis import Basis
from workbench.fitting.conditioning import conditioning, squared_error_hessian
from workbench.fitting.losses import Loss
from workbench.fitting.models import PolynomialModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.surface import numeric_surface, polynomial_surface, quadratic_surface
from workbench.fitting.training import StopReason, StopRules


def data(n: int = 30, lo: float = 0.0, hi: float = 20.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(lo, hi, n))
    return x, np.cos(x / 3.0) + 0.05 * x + rng.normal(0, 0.2, n)


# -- conditioning ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["monomial", "scaled", "legendre"])
@pytest.mark.parametrize(
    "loss", [Loss("mse"), Loss("sse"), Loss("mse", l2=0.3), Loss("sse", l2=0.3)], ids=["mse", "sse", "mse+l2", "sse+l2"]
)
def test_eigenvalues_are_those_of_the_hessian(kind, loss):
    x, y = data(lo=-1.0, hi=2.0) if kind == "monomial" else data()
    problem = FitProblem(x, y, PolynomialModel(4, Basis.for_data(kind, x)), loss)
    X = problem.design_matrix
    scale = 2.0 / x.size if loss.kind == "mse" else 2.0
    hessian = scale * X.T @ X
    if loss.l2:
        hessian += 2.0 * loss.l2 * np.diag([0.0, 1, 1, 1, 1])  # the intercept is not penalised
    expected = np.linalg.eigvalsh(hessian)
    found = problem.conditioning.eigenvalues
    np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12 * expected[-1])
    np.testing.assert_allclose(
        squared_error_hessian(X, loss, problem.model.penalty_mask()), hessian, rtol=1e-14, atol=0
    )
    c = problem.conditioning
    assert c.lambda_max == pytest.approx(expected[-1], rel=1e-12)
    assert c.max_stable_lr == pytest.approx(2.0 / expected[-1], rel=1e-12)
    assert c.condition_number == pytest.approx(expected[-1] / expected[0], rel=1e-6)


def test_hessian_is_the_gradients_derivative():
    """The Hessian the spectrum comes from is really the curvature backprop sees (finite differences)."""
    x, y = data()
    problem = FitProblem.polynomial(x, y, 3, "scaled", Loss("mse", l2=0.2))
    theta = np.array([0.3, -0.1, 0.5, 0.2])
    hessian = squared_error_hessian(problem.design_matrix, problem.loss, problem.model.penalty_mask())
    columns = []
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-4
        columns.append((problem.value_and_grad(theta + step)[1] - problem.value_and_grad(theta - step)[1]) / 2e-4)
    np.testing.assert_allclose(np.array(columns).T, hessian, rtol=1e-7, atol=1e-9)


def test_monomials_on_a_wide_range_are_far_worse_conditioned_than_legendre():
    x, y = data(n=40, lo=0.0, hi=20.0)
    monomial = FitProblem.polynomial(x, y, 5, "monomial").conditioning.condition_number
    legendre = FitProblem.polynomial(x, y, 5, "legendre").conditioning.condition_number
    assert np.isfinite(monomial) and np.isfinite(legendre)
    assert monomial > 1e6 * legendre, f"monomial κ = {monomial:.3g}, Legendre κ = {legendre:.3g}"
    assert legendre < 100


def test_degenerate_design_has_infinite_condition_number():
    X = np.ones((5, 2))  # two identical columns: a flat direction
    c = conditioning(X)
    assert c.lambda_min == pytest.approx(0.0, abs=1e-12)
    assert c.condition_number > 1e16  # beyond 1/ε: numerically flat (rounding leaves λ_min ≈ 1e-33)
    exactly_flat = conditioning(np.array([[1.0, 0.0], [2.0, 0.0]]))
    assert exactly_flat.lambda_min == 0.0 and exactly_flat.condition_number == float("inf")
    assert conditioning(np.zeros((3, 2))).max_stable_lr == float("inf")


@pytest.mark.parametrize("loss_kind", ["mse", "sse"])
@pytest.mark.parametrize("kind", ["scaled", "legendre"])
def test_gradient_descent_converges_below_the_limit_and_diverges_above(kind, loss_kind):
    x, y = data(n=25)
    problem = FitProblem.polynomial(x, y, 3, kind, Loss(loss_kind))
    limit = problem.conditioning.max_stable_lr
    rules = StopRules(max_steps=50_000, tol=1e-15)  # a tiny loss gap: the knobs too are close (κ ≈ 1e3)

    below = problem.trainer("gd", 0.9 * limit, np.zeros(4), rules).run_to_end()
    assert below.stop_reason is StopReason.CONVERGED, below.message
    np.testing.assert_allclose(below.params, problem.exact.coefficients, rtol=0, atol=1e-6)

    above = problem.trainer("gd", 1.1 * limit, np.zeros(4), rules).run_to_end()
    assert above.stop_reason is StopReason.DIVERGED, above.message
    assert np.all(np.isfinite(above.params))


# -- the loss surface --------------------------------------------------------------------------------------
def brute_force_surface(problem: FitProblem, theta, i, j, a_values, b_values) -> np.ndarray:
    """The loss at every grid point, one full evaluation each ([row, col] = [b, a])."""
    mask = problem.model.penalty_mask()
    out = np.empty((len(b_values), len(a_values)))
    for row, b in enumerate(b_values):
        for col, a in enumerate(a_values):
            probe = np.array(theta, dtype=np.float64)
            probe[i], probe[j] = a, b
            residual = problem.design_matrix @ probe - problem.y
            out[row, col] = problem.loss.value(residual, probe * mask if problem.loss.l2 else None)
    return out


SURFACE_LOSSES = {
    "mse": Loss("mse"),
    "sse": Loss("sse"),
    "mse+l2": Loss("mse", l2=0.5),
    "sse+l2": Loss("sse", l2=0.5),
    "mae": Loss("mae"),
    "huber": Loss("huber", huber_delta=0.3),
    "mae+l2": Loss("mae", l2=0.5),
    "huber+l2": Loss("huber", huber_delta=0.3, l2=0.5),
}


@pytest.mark.parametrize("pair", [(0, 1), (1, 3), (3, 0), (2, 4)])
@pytest.mark.parametrize("loss_name", sorted(SURFACE_LOSSES))
def test_surface_equals_brute_force(loss_name, pair):
    x, y = data(n=35)
    loss = SURFACE_LOSSES[loss_name]
    problem = FitProblem.polynomial(x, y, 4, "scaled", loss)
    theta = np.array([0.4, -0.3, 0.2, 0.6, -0.5])
    i, j = pair
    a_values = theta[i] + np.linspace(-2.0, 1.5, 7)
    b_values = theta[j] + np.linspace(-1.0, 2.5, 5)
    expected = brute_force_surface(problem, theta, i, j, a_values, b_values)
    found = problem.surface(theta, i, j, a_values, b_values)
    assert found.shape == (5, 7)
    np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12 * np.max(expected))
    if loss.is_squared_error:
        direct = quadratic_surface(
            problem.design_matrix, y, theta, i, j, a_values, b_values, loss, problem.model.penalty_mask()
        )
        np.testing.assert_array_equal(direct, found)
    else:
        with pytest.raises(ValueError, match="squared-error"):
            quadratic_surface(problem.design_matrix, y, theta, i, j, a_values, b_values, loss)


def test_polynomial_surface_matches_the_generic_numeric_surface():
    x, y = data(n=20)
    problem = FitProblem.polynomial(x, y, 2, "legendre", Loss("huber", huber_delta=0.5, l2=0.1))
    theta = np.array([0.1, 0.2, 0.3])
    a_values, b_values = np.linspace(-1, 1, 6), np.linspace(-2, 0, 4)
    expected = numeric_surface(problem.loss_at, theta, 0, 2, a_values, b_values)
    found = polynomial_surface(
        problem.design_matrix, y, theta, 0, 2, a_values, b_values, problem.loss, problem.model.penalty_mask()
    )
    np.testing.assert_allclose(found, expected, rtol=1e-12)


def test_surface_passes_through_the_current_point_and_is_lowest_at_the_optimum():
    x, y = data(n=40)
    problem = FitProblem.polynomial(x, y, 3, "legendre")
    best = problem.exact.coefficients
    a_values = best[1] + np.linspace(-1, 1, 21)  # the optimum sits at the centre of the grid
    b_values = best[2] + np.linspace(-1, 1, 21)
    grid = problem.surface(best, 1, 2, a_values, b_values)
    assert np.unravel_index(np.argmin(grid), grid.shape) == (10, 10)
    assert grid[10, 10] == pytest.approx(problem.exact.loss, rel=1e-10)


def test_numeric_surface_can_be_stopped():
    import threading

    stop = threading.Event()
    stop.set()
    assert numeric_surface(lambda t: 0.0, np.zeros(2), 0, 1, np.zeros(3), np.zeros(3), stop) is None


def test_surface_needs_two_different_coefficients():
    x, y = data(n=10)
    problem = FitProblem.polynomial(x, y, 2, "scaled")
    with pytest.raises(ValueError, match="two different"):
        problem.surface(np.zeros(3), 1, 1, np.zeros(2), np.zeros(2))


def test_large_quadratic_surface():
    """200×200 grid on 10⁴ points: finite, never negative, and right at a few spot checks."""
    x, y = data(n=10_000, seed=3)
    problem = FitProblem.polynomial(x, y, 5, "scaled", Loss("mse"))
    theta = problem.exact.coefficients
    a_values = theta[0] + np.linspace(-3, 3, 200)
    b_values = theta[1] + np.linspace(-3, 3, 200)
    grid = problem.surface(theta, 0, 1, a_values, b_values)
    assert grid.shape == (200, 200)
    assert np.all(np.isfinite(grid)) and np.all(grid >= 0)
    for row, col in [(0, 0), (57, 143), (199, 199), (120, 3)]:
        probe = theta.copy()
        probe[0], probe[1] = a_values[col], b_values[row]
        assert grid[row, col] == pytest.approx(problem.loss_at(probe), rel=1e-9)

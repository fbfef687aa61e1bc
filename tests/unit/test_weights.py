"""σ weights through the core: every loss on residuals/σ, in both engine graphs, for polynomials and the
net; the exact optimum, the Hessian, the surfaces and the report agree with that weighted loss.

Independent witnesses only: central differences for every gradient, NumPy lstsq / solve on rows scaled
by 1/σ for the optimum, eigvalsh of (2/N)·XᵀWX for the Hessian, plain NumPy loss values for surfaces.
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine import numerical_gradient
from workbench.engine.gradcheck import check_gradient
from workbench.fitting.basis import BASIS_KINDS, Basis
from workbench.fitting.exact import solve_exact
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel, PolynomialModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.stats import bands, fit_report
from workbench.fitting.training import StopReason, StopRules

LOSSES = {
    "mse": Loss("mse"),
    "sse": Loss("sse"),
    "mae": Loss("mae"),
    "huber": Loss("huber", huber_delta=0.5),
    "mse+l2": Loss("mse", l2=0.05),
    "sse+l2": Loss("sse", l2=0.05),
}
N_POINTS = 41  # odd, so a MAE gradient never sits exactly on a kink


def weighted_data(kind: str = "scaled", seed: int = 0):
    """x, y and σ spanning a factor 40 (so weighting visibly changes the fit)."""
    rng = np.random.default_rng(seed)
    lo, hi = (-1.5, 2.0) if kind == "monomial" else (0.0, 20.0)
    x = np.sort(rng.uniform(lo, hi, N_POINTS))
    sigma = np.exp(rng.uniform(np.log(0.05), np.log(2.0), N_POINTS))
    t = (x - lo) / (hi - lo)
    return x, np.sin(5 * t) + sigma * rng.normal(0, 1, N_POINTS), sigma


def polynomial_problem(kind="scaled", degree=4, loss=Loss(), seed=0, sigma="data"):
    x, y, s = weighted_data(kind, seed)
    return FitProblem(
        x, y, PolynomialModel(degree, Basis.for_data(kind, x)), loss, s if isinstance(sigma, str) else sigma
    )


# -- the engine: gradients of the weighted loss --------------------------------------------------------------
@pytest.mark.parametrize("graph_kind", ["fused", "expanded"])
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_weighted_polynomial_gradient_matches_central_differences(kind, loss_name, graph_kind):
    x, y, sigma = weighted_data(kind, seed=1)
    rng = np.random.default_rng(3)
    for degree in (0, 1, 3, 5):
        model = PolynomialModel(degree, Basis.for_data(kind, x))
        graph = model.loss_graph(x, y, LOSSES[loss_name], graph_kind, sigma=sigma)
        theta = rng.normal(0, 1, model.n_params)
        error = check_gradient(graph.value_and_grad, theta)
        assert error < 1e-6, f"degree {degree}: relative error {error:.3g}"


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("hidden", [(6,), (4, 3)])
def test_weighted_mlp_gradient_matches_central_differences(hidden, loss_name):
    x, y, sigma = weighted_data("scaled", seed=2)
    model = MLPModel(hidden, Basis.for_data("scaled", x))
    graph = model.loss_graph(x, y, LOSSES[loss_name], sigma=sigma)
    for seed in (0, 1):
        theta = model.initial_params(seed) + np.random.default_rng(seed).normal(0, 0.1, model.n_params)
        error = check_gradient(graph.value_and_grad, theta)
        assert error < 1e-6, f"seed {seed}: relative error {error:.3g}"


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_weighted_graphs_agree_with_each_other_and_with_numpy(kind, loss_name):
    x, y, sigma = weighted_data(kind)
    loss = LOSSES[loss_name]
    model = PolynomialModel(5, Basis.for_data(kind, x))
    fused = model.loss_graph(x, y, loss, "fused", sigma=sigma)
    expanded = model.loss_graph(x, y, loss, "expanded", sigma=sigma)
    for theta in np.random.default_rng(5).normal(0, 1, (3, model.n_params)):
        value_f, grad_f = fused.value_and_grad(theta)
        value_e, grad_e = expanded.value_and_grad(theta)
        assert value_e == pytest.approx(value_f, rel=1e-12)
        np.testing.assert_allclose(grad_e, grad_f, rtol=1e-9, atol=1e-13 * np.max(np.abs(grad_f)))
        direct = loss.value((model.predict(theta, x) - y) / sigma, theta[1:] if loss.l2 else None)
        assert value_f == pytest.approx(direct, rel=1e-12)


def test_weighted_mse_is_chi_squared_over_n():
    x, y, sigma = weighted_data()
    problem = polynomial_problem(degree=2)
    theta = np.array([0.3, -0.2, 0.1])
    chi2 = np.sum(((problem.predict(theta) - y) / sigma) ** 2)
    assert problem.loss_at(theta) == pytest.approx(chi2 / x.size, rel=1e-12)


@pytest.mark.parametrize("graph_kind", ["fused", "expanded"])
def test_the_weighting_is_an_engine_node_and_the_prediction_stays_y_hat(graph_kind):
    x, y, sigma = weighted_data()
    graph = PolynomialModel(3, Basis.for_data("scaled", x)).loss_graph(x, y, Loss(), graph_kind, sigma=sigma)
    scaling = [n for n in graph.graph.nodes if n.op == "mul" and any(p.label == "1/σ" for p in n.parents)]
    assert len(scaling) == 1 and scaling[0].label == "r/σ"
    constant = next(p for p in scaling[0].parents if p.label == "1/σ")
    np.testing.assert_array_equal(constant.value, 1.0 / sigma)
    assert not constant.requires_grad
    assert graph.prediction.label == "ŷ" and graph.prediction.value.shape == x.shape


@pytest.mark.parametrize("loss_name", ["mse", "sse", "mae", "huber"])
def test_weighted_point_forces_are_minus_dl_dyhat(loss_name):
    """−∂L/∂ŷ_i: each point's pull, by central differences on a NumPy loss of ŷ itself."""
    loss = LOSSES[loss_name]
    problem = polynomial_problem(degree=3, loss=loss)
    theta = np.array([0.2, -0.4, 0.1, 0.3])
    y_hat = problem.predict(theta)
    expected = -numerical_gradient(lambda v: loss.value((v - problem.y) / problem.sigma), y_hat)
    forces = problem.point_forces(theta)
    np.testing.assert_allclose(forces, expected, rtol=1e-6, atol=1e-9 * np.max(np.abs(expected)))


def test_a_precise_point_pulls_harder_than_a_vague_one():
    x = np.array([0.0, 1.0, 2.0])
    y = np.array([1.0, 1.0, 1.0])
    problem = FitProblem(x, y, PolynomialModel(0), Loss("mse"), sigma=[0.1, 1.0, 1.0])
    forces = problem.point_forces(np.array([0.0]))
    assert forces[0] == pytest.approx(100 * forces[1])


# -- the exact optimum ---------------------------------------------------------------------------------------
def test_weighted_exact_solution_matches_lstsq_on_scaled_rows():
    x, y, sigma = weighted_data("monomial")
    degree = 4
    rows = np.vander(x, degree + 1, increasing=True) / sigma[:, None]
    expected, *_ = np.linalg.lstsq(rows, y / sigma, rcond=None)
    fit = solve_exact(x, y, degree, sigma=sigma)
    np.testing.assert_allclose(fit.monomial, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fit.fitted, np.polynomial.polynomial.polyval(x, expected), rtol=1e-10, atol=1e-12)
    chi2 = float(np.sum(((fit.fitted - y) / sigma) ** 2))
    assert fit.rss == pytest.approx(chi2, rel=1e-12)
    assert fit.loss == pytest.approx(chi2 / x.size, rel=1e-12)
    unweighted = solve_exact(x, y, degree)
    assert np.max(np.abs(unweighted.monomial - fit.monomial)) > 1e-3  # the weights really matter here


@pytest.mark.parametrize("kind", ["scaled", "legendre"])
@pytest.mark.parametrize("loss_name", ["mse", "sse"])
def test_weighted_ridge_matches_an_independent_solve(kind, loss_name):
    x, y, sigma = weighted_data(kind)
    loss, degree = Loss(loss_name, l2=0.05), 4
    basis = Basis.for_data(kind, x)
    a = basis.design_matrix(x, degree) / sigma[:, None]
    b = y / sigma
    scale = 1.0 / x.size if loss_name == "mse" else 1.0
    mask = np.diag(np.r_[0.0, np.ones(degree)])
    expected = np.linalg.solve(scale * a.T @ a + loss.l2 * mask, scale * a.T @ b)
    fit = solve_exact(x, y, degree, basis, loss, sigma)
    np.testing.assert_allclose(fit.coefficients, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "loss",
    [Loss("mse"), Loss("sse"), Loss("mse", l2=0.05), Loss("sse", l2=0.3)],
    ids=["mse", "sse", "mse+l2", "sse+l2"],
)
@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_weighted_optimum_zeroes_the_weighted_engine_gradient(kind, loss):
    problem = polynomial_problem(kind, degree=4, loss=loss)
    value, grad = problem.value_and_grad(problem.exact.coefficients)
    _, scale = problem.value_and_grad(np.ones(problem.n_params))
    assert np.max(np.abs(grad)) < 1e-9 * max(1.0, value, np.max(np.abs(scale)))
    assert problem.exact.loss == pytest.approx(value, rel=1e-10)


def test_constant_sigma_keeps_the_optimum_and_scales_the_loss():
    x, y, _ = weighted_data()
    plain = FitProblem.polynomial(x, y, 3, "scaled")
    doubled = FitProblem.polynomial(x, y, 3, "scaled", sigma=np.full(x.size, 2.0))
    np.testing.assert_allclose(doubled.exact.coefficients, plain.exact.coefficients, rtol=1e-12, atol=1e-14)
    assert doubled.exact.loss == pytest.approx(plain.exact.loss / 4, rel=1e-12)


# -- σ ≡ 1 is exactly the unweighted problem -----------------------------------------------------------------
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_unit_sigma_gives_exactly_the_unweighted_results(loss_name):
    loss = LOSSES[loss_name]
    x, y, _ = weighted_data()
    plain = FitProblem.polynomial(x, y, 4, "scaled", loss)
    ones = FitProblem.polynomial(x, y, 4, "scaled", loss, sigma=np.ones(x.size))
    theta = np.random.default_rng(0).normal(0, 1, 5)
    for a, b in zip(plain.value_and_grad(theta), ones.value_and_grad(theta)):
        np.testing.assert_array_equal(a, b)
    graph_a, graph_b = plain.expanded_graph(), ones.expanded_graph()
    for a, b in zip(graph_a.value_and_grad(theta), graph_b.value_and_grad(theta)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(plain.point_forces(theta), ones.point_forces(theta))
    np.testing.assert_array_equal(plain.exact.coefficients, ones.exact.coefficients)
    np.testing.assert_array_equal(plain.exact.fitted, ones.exact.fitted)
    assert (plain.exact.loss, plain.exact.rss, plain.exact.r_squared) == (
        ones.exact.loss,
        ones.exact.rss,
        ones.exact.r_squared,
    )
    np.testing.assert_array_equal(plain.conditioning.eigenvalues, ones.conditioning.eigenvalues)
    grid = np.linspace(-1, 1, 7), np.linspace(-2, 2, 5)
    np.testing.assert_array_equal(plain.surface(theta, 1, 3, *grid), ones.surface(theta, 1, 3, *grid))
    ra, rb = plain.report, ones.report
    for name in ("coefficients", "standard_errors", "fitted", "residuals", "stable_coefficients"):
        np.testing.assert_array_equal(getattr(ra, name), getattr(rb, name), err_msg=name)
    assert (ra.r_squared, ra.adjusted_r_squared, ra.rmse, ra.residual_sd, ra.rss) == (
        rb.r_squared,
        rb.adjusted_r_squared,
        rb.rmse,
        rb.residual_sd,
        rb.rss,
    )
    assert not ra.weighted and rb.weighted


# -- conditioning: the Hessian of the weighted loss ---------------------------------------------------------
@pytest.mark.parametrize("loss", [Loss("mse"), Loss("sse"), Loss("mse", l2=0.05)], ids=["mse", "sse", "mse+l2"])
def test_weighted_hessian_spectrum_matches_independent_computations(loss):
    problem = polynomial_problem(degree=3, loss=loss)
    x, sigma, n = problem.x, problem.sigma, problem.x.size
    design = np.vander(problem.model.basis.to_t(x), 4, increasing=True)
    scale = 2.0 / n if loss.kind == "mse" else 2.0
    hessian = scale * design.T @ np.diag(1.0 / sigma**2) @ design + 2 * loss.l2 * np.diag([0.0, 1, 1, 1])
    np.testing.assert_allclose(problem.conditioning.eigenvalues, np.linalg.eigvalsh(hessian), rtol=1e-10)
    # And by central differences of the engine's own gradient (the loss is quadratic: exact up to rounding).
    theta = np.array([0.1, 0.2, -0.3, 0.4])
    columns = [numerical_gradient(lambda v, i=i: problem.value_and_grad(v)[1][i], theta) for i in range(4)]
    numeric = np.array(columns)
    np.testing.assert_allclose(
        np.linalg.eigvalsh(0.5 * (numeric + numeric.T)), problem.conditioning.eigenvalues, rtol=1e-5
    )


@pytest.mark.parametrize("factor, reason", [(0.9, "not diverged"), (1.1, StopReason.DIVERGED)])
def test_weighted_stability_limit_is_where_gradient_descent_diverges(factor, reason):
    problem = polynomial_problem(degree=3)
    unweighted = FitProblem.polynomial(problem.x, problem.y, 3, "scaled")
    assert problem.conditioning.max_stable_lr != pytest.approx(unweighted.conditioning.max_stable_lr, rel=0.1)
    lr = factor * problem.conditioning.max_stable_lr
    result = problem.trainer("gd", lr, np.zeros(4), StopRules(max_steps=3000, tol=0)).run_to_end()
    if reason == StopReason.DIVERGED:
        assert result.stop_reason == StopReason.DIVERGED
    else:
        assert result.stop_reason != StopReason.DIVERGED and np.isfinite(result.loss)


# -- surfaces ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_weighted_polynomial_surface_is_the_weighted_loss(loss_name):
    problem = polynomial_problem(degree=3, loss=LOSSES[loss_name])
    theta = np.array([0.1, -0.5, 0.25, 0.3])
    a_values, b_values = np.linspace(-1, 1, 5), np.linspace(-2, 3, 4)
    grid = problem.surface(theta, 1, 3, a_values, b_values)
    for row, b in enumerate(b_values):
        for col, a in enumerate(a_values):
            probe = theta.copy()
            probe[1], probe[3] = a, b
            assert grid[row, col] == pytest.approx(problem.loss_at(probe), rel=1e-9, abs=1e-12)


def test_weighted_mlp_surface_is_the_weighted_loss():
    x, y, sigma = weighted_data(seed=4)
    model = MLPModel((3,), Basis.for_data("scaled", x))
    problem = FitProblem(x, y, model, Loss("huber", l2=0.01), sigma)
    theta = model.initial_params(0)
    a_values, b_values = np.linspace(-1, 1, 3), np.linspace(0, 2, 3)
    grid = problem.surface(theta, 0, 4, a_values, b_values)
    for row, b in enumerate(b_values):
        for col, a in enumerate(a_values):
            probe = theta.copy()
            probe[0], probe[4] = a, b
            assert grid[row, col] == pytest.approx(problem.loss_at(probe), rel=1e-12)


# -- the statistical report ----------------------------------------------------------------------------------
def test_problem_report_is_the_weighted_report_and_matches_a_textbook_computation():
    x, y, sigma = weighted_data("monomial")
    problem = FitProblem.polynomial(x, y, 2, "monomial", sigma=sigma)
    report = problem.report
    assert report is problem.report and report.weighted  # cached: panel, bands and exports share one
    rows, b = np.vander(x, 3, increasing=True) / sigma[:, None], y / sigma
    beta, *_ = np.linalg.lstsq(rows, b, rcond=None)
    chi2 = float(np.sum((rows @ beta - b) ** 2))
    dof = x.size - 3
    covariance = chi2 / dof * np.linalg.inv(rows.T @ rows)
    w = 1.0 / sigma**2
    tss = float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))
    np.testing.assert_allclose(report.coefficients, beta, rtol=1e-10)
    np.testing.assert_allclose(report.standard_errors, np.sqrt(np.diag(covariance)), rtol=1e-9)
    assert report.rss == pytest.approx(chi2, rel=1e-10)
    assert report.r_squared == pytest.approx(1 - chi2 / tss, rel=1e-10)
    np.testing.assert_allclose(report.coefficients, problem.exact.monomial, rtol=1e-12)
    assert problem.exact.r_squared == pytest.approx(report.r_squared, rel=1e-12)


def test_bands_of_the_weighted_exact_fit_equal_those_of_the_weighted_report():
    x, y, sigma = weighted_data()
    problem = FitProblem.polynomial(x, y, 3, "scaled", sigma=sigma)
    x_new = np.linspace(-2, 22, 9)
    for a, b in zip(bands(problem.report, x_new), bands(problem.exact, x_new, x=x)):
        np.testing.assert_allclose(a, b, rtol=1e-9)
    plain = bands(fit_report(x, y, 3), x_new)
    assert not np.allclose(plain[1], bands(problem.report, x_new)[1], rtol=1e-3)


def test_report_is_none_for_the_net_and_explains_an_empty_dataset():
    x, y, sigma = weighted_data()
    assert FitProblem(x, y, MLPModel((3,)), sigma=sigma).report is None
    with pytest.raises(ValueError, match="no data points"):
        FitProblem.polynomial([], [], 2, sigma=[]).report


# -- bad σ is refused with the index and value ----------------------------------------------------------------
@pytest.mark.parametrize(
    "sigma, message",
    [
        ([1.0, 2.0], r"one value per point \(3\)"),
        ([1.0, 0.0, 1.0], r"sigma\[1\] = 0\.0 is not greater than 0"),
        ([1.0, 1.0, -0.5], r"sigma\[2\] = -0\.5 is not greater than 0"),
        ([np.nan, 1.0, 1.0], r"sigma\[0\] = nan is not a finite number"),
        ([1.0, 1e-200, 1.0], r"sigma\[1\] = 1e-200 is out of range: its weight 1/σ² overflows"),
    ],
)
def test_problem_refuses_bad_sigma(sigma, message):
    with pytest.raises(ValueError, match=message):
        FitProblem.polynomial([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], 1, sigma=sigma)
    with pytest.raises(ValueError, match=message):
        solve_exact(np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]), 1, sigma=sigma)


def test_problem_exposes_its_weights():
    x, y, sigma = weighted_data()
    problem = FitProblem.polynomial(x, y, 2, sigma=sigma)
    assert problem.is_weighted and not FitProblem.polynomial(x, y, 2).is_weighted
    np.testing.assert_allclose(problem.weights, 1 / sigma**2, rtol=1e-15)
    assert FitProblem.polynomial(x, y, 2).weights is None

"""The basis orthonormal on the user's data: orthonormality, κ = 1, exact conversions, sessions, degenerate x.

References are computed here in exact rational arithmetic from the definition φ(x) = P(t(x))ᵀ·R⁻¹ (the
Legendre polynomials by their three-term recursion, R from the basis's own doubles), never by the code
under test.
"""

from __future__ import annotations

import json
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from realistic_data import co2_with_sigma, gdp_quarterly, longley

from workbench.engine.graph import topological_order
from workbench.fitting.basis import MAX_DEGREE, Basis
from workbench.fitting.learning_rates import default_lr
from workbench.fitting.losses import Loss
from workbench.fitting.models import PolynomialModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import StopRules


def exact_legendre(t: Fraction, degree: int) -> list[Fraction]:
    """P_0(t) … P_D(t) in rationals: (i+1)·P_{i+1} = (2i+1)·t·P_i − i·P_{i−1}."""
    values = [Fraction(1), t]
    for i in range(1, degree):
        values.append(((2 * i + 1) * t * values[i] - i * values[i - 1]) / (i + 1))
    return values[: degree + 1]


def exact_phi(basis: Basis, x: float, degree: int) -> list[Fraction]:
    """φ_0(x) … φ_D(x) exactly: solve φ·R = P (R upper triangular) by forward substitution."""
    centre = Fraction(basis.lo) / 2 + Fraction(basis.hi) / 2
    half = Fraction(basis.hi) / 2 - Fraction(basis.lo) / 2
    p = exact_legendre((Fraction(float(x)) - centre) / half, degree)
    r = [[Fraction(float(v)) for v in row] for row in basis.factor_matrix(degree)]
    phi: list[Fraction] = []
    for j in range(degree + 1):
        phi.append((p[j] - sum((phi[i] * r[i][j] for i in range(j)), Fraction(0))) / r[j][j])
    return phi


def gram(design: np.ndarray, weights=None) -> np.ndarray:
    v = np.ones(design.shape[0]) if weights is None else weights / np.mean(weights)
    return (design * v[:, None]).T @ design / design.shape[0]


# -- orthonormal on the data ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [longley, co2_with_sigma, gdp_quarterly], ids=lambda f: f.__name__)
def test_the_design_is_orthonormal_on_the_data_weighted_or_not(make):
    data = make()
    for sigma in (None, data.sigma):
        basis = Basis.for_data("orthonormal", data.x, sigma)
        top = min(MAX_DEGREE, np.unique(data.x).size - 1)
        design = basis.design_matrix(data.x, top)
        weights = None if sigma is None else 1.0 / sigma**2
        np.testing.assert_allclose(gram(design, weights), np.eye(top + 1), rtol=0, atol=1e-10)


@pytest.mark.parametrize("loss_kind", ["mse", "sse"])
def test_the_loss_hessian_is_a_multiple_of_the_identity_and_kappa_is_one(loss_kind):
    data = co2_with_sigma()
    problem = FitProblem.polynomial(data.x, data.y, 10, "orthonormal", Loss(loss_kind), sigma=data.sigma)
    w = 1.0 / data.sigma**2
    scale = 2.0 * np.mean(w) * (1 if loss_kind == "mse" else data.x.size)
    np.testing.assert_allclose(problem.hessian, scale * np.eye(11), rtol=0, atol=1e-9 * scale)
    assert problem.conditioning.condition_number == pytest.approx(1.0, abs=1e-9)


def test_the_basis_functions_are_exactly_legendre_times_the_inverse_factor():
    data = longley()
    basis = Basis.for_data("orthonormal", data.x)
    design = basis.design_matrix(data.x, 8)
    for i in (0, 5, 15):
        reference = np.array([float(v) for v in exact_phi(basis, data.x[i], 8)])
        np.testing.assert_allclose(design[i], reference, rtol=1e-13, atol=1e-13)


def test_powers_of_x_are_exact_rational_conversions():
    """Σ k_j·φ_j(x) in rationals equals the exact monomial form at x, to the last bit."""
    data = longley()
    basis = Basis.for_data("orthonormal", data.x)
    knobs = np.random.default_rng(4).normal(0, 1000, 7)
    monomial = basis.to_exact_monomial(knobs)
    for x in (data.x[0], data.x[7], 1955.25, 2000.0):
        via_powers = sum(c * Fraction(float(x)) ** i for i, c in enumerate(monomial))
        via_phi = sum(Fraction(float(k)) * p for k, p in zip(knobs, exact_phi(basis, x, 6)))
        assert via_powers == via_phi
    assert np.array_equal(basis.from_exact_monomial(monomial), knobs)  # back to the very same doubles


def test_conversions_to_other_bases_keep_the_curve():
    data = co2_with_sigma()
    basis = Basis.for_data("orthonormal", data.x, data.sigma)
    knobs = np.random.default_rng(5).normal(0, 3, 11)
    for kind in ("scaled", "legendre"):
        other = Basis.for_data(kind, data.x)
        converted = basis.convert(knobs, other)
        values = basis.evaluate(knobs, data.x)
        np.testing.assert_allclose(
            other.evaluate(converted, data.x), values, rtol=0, atol=1e-12 * np.max(np.abs(values))
        )
        np.testing.assert_allclose(other.convert(converted, basis), knobs, rtol=1e-12, atol=1e-12)


def test_one_factor_serves_every_degree():
    """φ_0 … φ_D do not depend on D: the columns of a lower degree are the leading columns of a higher one,
    and the leading block of R is the factor of the first columns alone."""
    data = gdp_quarterly()
    basis = Basis.for_data("orthonormal", data.x)
    full = basis.design_matrix(data.x, 12)
    for degree in (0, 3, 7):
        assert np.array_equal(basis.design_matrix(data.x, degree), full[:, : degree + 1])
        t = (data.x - basis.centre) / basis.half_width
        alone = np.linalg.qr(np.polynomial.legendre.legvander(t, degree))[1] / np.sqrt(data.x.size)
        alone *= np.sign(np.diag(alone))[:, None]
        np.testing.assert_allclose(basis.factor_matrix(degree), alone, rtol=1e-10, atol=1e-14)


def test_gradient_descent_at_its_default_rate_lands_on_the_optimum_in_one_step():
    data = longley()
    problem = FitProblem.polynomial(data.x, data.y, 5, "orthonormal")
    lr = 1.0 / problem.conditioning.lambda_max
    record = problem.trainer("gd", lr, np.zeros(6)).step()
    assert problem.true_loss(record.params) == pytest.approx(problem.exact.loss, rel=1e-12)


# -- degenerate data ---------------------------------------------------------------------------------------
def test_fewer_distinct_x_than_functions_keeps_a_well_conditioned_basis():
    x = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 2.0])
    y = np.array([1.0, 4.0, 9.0, 1.2, 3.9, 9.1, 4.0])
    basis = Basis.for_data("orthonormal", x)
    r = basis.factor_matrix()
    assert np.all(np.diag(r) > 0) and np.linalg.cond(r) < 100
    design = basis.design_matrix(x, 5)
    np.testing.assert_allclose(gram(design[:, :3]), np.eye(3), atol=1e-12)  # what the data can tell apart
    problem = FitProblem(x, y, PolynomialModel(5, basis))
    lr = default_lr("gd", problem)
    result = problem.trainer("gd", lr, np.zeros(6), StopRules(max_steps=2000)).run_to_end()
    assert result.stop_reason.value == "converged" and result.loss == pytest.approx(problem.exact.loss, rel=1e-9)


@pytest.mark.parametrize("x", [[], [5.0], [5.0, 5.0, 5.0]], ids=["no-data", "one-point", "equal-x"])
def test_bases_for_too_little_data_are_still_bases(x):
    basis = Basis.for_data("orthonormal", x)
    assert basis.max_degree == MAX_DEGREE and np.all(np.diag(basis.factor_matrix()) > 0)
    assert np.all(np.isfinite(basis.design_matrix(np.linspace(basis.lo, basis.hi, 7), MAX_DEGREE)))


# -- what a session stores ---------------------------------------------------------------------------------
def test_kind_interval_and_factor_rebuild_the_same_basis_through_json():
    data = co2_with_sigma()
    basis = Basis.for_data("orthonormal", data.x, data.sigma)
    stored = json.loads(json.dumps({"kind": basis.kind, "lo": basis.lo, "hi": basis.hi, "factor": list(basis.factor)}))
    rebuilt = Basis(stored["kind"], stored["lo"], stored["hi"], tuple(stored["factor"]))
    assert rebuilt == basis and hash(rebuilt) == hash(basis)
    knobs = np.random.default_rng(9).normal(size=9)
    assert rebuilt.to_exact_monomial(knobs) == basis.to_exact_monomial(knobs)
    assert np.array_equal(rebuilt.design_matrix(data.x, 8), basis.design_matrix(data.x, 8))


@pytest.mark.parametrize(
    "kind, factor, message",
    [
        ("orthonormal", (1.0, 0.5), "m\\(m\\+1\\)/2"),
        ("orthonormal", (1.0, 0.5, float("nan")), "finite"),
        ("orthonormal", (1.0, 0.5, -0.3), "positive diagonal"),
        ("orthonormal", (0.0,), "positive diagonal"),
        ("orthonormal", tuple([1.0] * (17 * 18 // 2)), "m = 1"),
        ("legendre", (1.0,), "only the orthonormal basis"),
    ],
)
def test_a_bad_factor_is_refused_with_a_reason(kind, factor, message):
    with pytest.raises(ValueError, match=message):
        Basis(kind, 0.0, 1.0, factor)


def test_a_degree_beyond_a_small_factor_is_refused():
    basis = Basis("orthonormal", 0.0, 1.0, (1.0, 0.0, 0.5))  # functions up to degree 1
    assert basis.max_degree == 1
    with pytest.raises(ValueError, match="up to degree 1"):
        basis.design_matrix([0.5], 2)


# -- the expanded graph: φ_j as sums of Legendre nodes --------------------------------------------------------
def test_expanded_graph_builds_each_phi_from_legendre_nodes_and_agrees_with_the_fused_one():
    data = longley()
    basis = Basis.for_data("orthonormal", data.x)
    model = PolynomialModel(4, basis)
    expanded = model.loss_graph(data.x, data.y, Loss("mse"), "expanded")
    fused = model.loss_graph(data.x, data.y, Loss("mse"), "fused")
    counts = Counter(node.op for node in topological_order(expanded.output))
    assert counts["legendre"] == 5 and counts["pow"] == 0
    assert sorted(n.label for n in topological_order(expanded.output) if n.label.startswith("φ")) == [
        f"φ{j}" for j in range(5)
    ]
    theta = np.array([65000.0, 3000.0, -200.0, 50.0, 10.0])
    (a, ga), (b, gb) = expanded.value_and_grad(theta), fused.value_and_grad(theta)
    assert a == pytest.approx(b, rel=1e-12)
    np.testing.assert_allclose(ga, gb, rtol=1e-10, atol=1e-9 * np.max(np.abs(gb)))


def test_fewer_points_than_coefficients_interpolates_with_rank_n():
    """5 points, degree 5 (weighted): both the basis and the exact solver count 5 independent columns."""
    x = np.array([46.3, 57.9, 71.6, 62.6, 24.7])
    y = np.array([-37.7, -80.4, 92.2, -50.5, -5.8e-7])
    sigma = np.array([2.8, 8.0, 5.5, 9.1, 7.0])
    problem = FitProblem.polynomial(x, y, 5, "orthonormal", sigma=sigma)
    assert problem.exact.rank == 5
    np.testing.assert_allclose(problem.exact.fitted, y, rtol=0, atol=1e-9)
    assert np.all(np.isfinite(problem.exact.monomial))
    design = problem.design_matrix
    np.testing.assert_allclose(gram(design[:, :5], 1 / sigma**2), np.eye(5), atol=1e-10)

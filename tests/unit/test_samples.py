"""Every shipped sample fits, and teaches what its comment line promises (no Qt).

test_data.py already checks that each sample loads, has its comment and header lines, and matches
samples/make_samples.py; here the samples are fitted: by the exact solve, checked against independent
NumPy least squares, and by gradient descent in the scaled basis.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from workbench.fitting.basis import Basis
from workbench.fitting.data import Dataset, load_dataset
from workbench.fitting.exact import solve_exact
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import StopRules
from workbench.paths import sample_paths

# The degree each lesson is about (its generating polynomial, or the degree its comment suggests).
NATURAL_DEGREE = {
    "noisy_sine": 5,
    "noisy_cubic": 3,
    "co2_like_measurements": 2,
    "outlier": 1,
    "exact_six_points": 5,
    "wide_x_quadratic": 2,
}
EPS = np.finfo(float).eps


def sample(stem: str) -> Dataset:
    return load_dataset(next(p for p in sample_paths() if p.stem == stem))


def sample_degrees():
    return [(path, degree) for path in sample_paths() for degree in sorted({5, NATURAL_DEGREE.get(path.stem, 5)})]


def numpy_least_squares(x: np.ndarray, y: np.ndarray, degree: int) -> np.ndarray:
    """Fitted values by NumPy alone: Polynomial.fit maps x onto [−1, 1] itself, so wide x stays harmless."""
    return np.polynomial.Polynomial.fit(x, y, degree)(x)


def test_every_sample_has_a_natural_degree():
    # A new sample needs an entry above, so that it is fitted at the degree its lesson is about.
    assert {p.stem for p in sample_paths()} == set(NATURAL_DEGREE)


# --- every sample: the exact solve and gradient descent ---------------------------------------------------


@pytest.mark.parametrize("path, degree", sample_degrees(), ids=lambda v: getattr(v, "stem", str(v)))
def test_exact_fit_of_every_sample_matches_numpy_least_squares(path, degree):
    data = load_dataset(path)
    exact = solve_exact(data.x, data.y, degree)
    scale = float(np.max(np.abs(data.y)))
    assert exact.fitted.shape == data.y.shape and np.all(np.isfinite(exact.fitted))
    assert np.all(np.isfinite(exact.monomial)) and exact.monomial.size == degree + 1
    assert exact.rank == degree + 1
    reference = numpy_least_squares(data.x, data.y, degree)
    np.testing.assert_allclose(exact.fitted, reference, rtol=0, atol=1e-10 * scale)
    np.testing.assert_array_equal(exact.residuals, data.y - exact.fitted)
    tiny = 1e-24 * scale**2
    assert exact.rss == pytest.approx(float(np.sum((exact.fitted - data.y) ** 2)), rel=1e-12, abs=tiny)
    assert exact.loss == pytest.approx(exact.rss / data.n, rel=1e-12, abs=tiny)  # MSE


@pytest.mark.parametrize("path, degree", sample_degrees(), ids=lambda v: getattr(v, "stem", str(v)))
def test_gradient_descent_in_the_scaled_basis_lowers_every_samples_loss_at_every_step(path, degree):
    data = load_dataset(path)
    problem = FitProblem.polynomial(data.x, data.y, degree, "scaled")
    lr = 0.9 * problem.conditioning.max_stable_lr
    trainer = problem.trainer("gd", lr, problem.model.initial_params(), StopRules(max_steps=300, tol=0))
    losses = np.array([record.loss for record in trainer.run()])
    result = trainer.result
    assert result.stop_reason.value == "max_steps" and result.steps == losses.size == 300
    assert np.all(np.isfinite(losses)) and np.all(np.isfinite(result.params))
    # Below the stability limit every step lowers a quadratic loss (up to rounding once converged).
    assert np.all(np.diff(losses) <= 1e-12 * losses[:-1])
    assert result.loss < 0.5 * losses[0]
    assert result.loss >= problem.exact.loss * (1 - 1e-12)


# --- the lessons -------------------------------------------------------------------------------------


def test_exact_six_points_are_hit_exactly_by_degree_5():
    data = sample("exact_six_points")
    exact = solve_exact(data.x, data.y, 5)
    scale = float(np.max(np.abs(data.y)))
    assert exact.is_interpolating and exact.dof == 0
    assert np.max(np.abs(exact.residuals)) <= 1e-12 * scale
    assert exact.rss <= (1e-12 * scale) ** 2 * data.n
    # The reported monomial coefficients, evaluated exactly, pass through the points too.
    through = [
        float(sum(Fraction(float(k)) * Fraction(float(x)) ** i for i, k in enumerate(exact.monomial))) for x in data.x
    ]
    np.testing.assert_allclose(through, data.y, rtol=0, atol=1e-12 * scale)


def test_exact_six_points_cannot_be_hit_by_degree_4():
    data = sample("exact_six_points")
    assert solve_exact(data.x, data.y, 4).rss > 0.1


def test_co2_like_years_run_from_1950_to_2020():
    data = sample("co2_like_measurements")
    assert data.x.min() == 1950 and data.x.max() == 2020
    np.testing.assert_array_equal(data.x, np.arange(1950, 2021))


@pytest.mark.parametrize("degree", [2, 5])
def test_co2_like_exact_fit_agrees_between_monomial_and_legendre_bases(degree):
    data = sample("co2_like_measurements")
    monomial = solve_exact(data.x, data.y, degree, Basis.for_data("monomial", data.x))
    legendre = solve_exact(data.x, data.y, degree, Basis.for_data("legendre", data.x))
    reference = numpy_least_squares(data.x, data.y, degree)
    np.testing.assert_allclose(legendre.fitted, reference, rtol=1e-12)
    np.testing.assert_allclose(monomial.fitted, reference, rtol=1e-12)
    np.testing.assert_array_equal(monomial.monomial, legendre.monomial)
    assert monomial.loss == pytest.approx(legendre.loss, rel=1e-12)

    # The curve each basis's knobs describe, evaluated the way the app does, is the same curve.  Raw
    # powers of years cancel massively, so allow the rounding of the monomial coefficients themselves.
    k = monomial.coefficients
    bound = 8 * EPS * np.max(np.polynomial.polynomial.polyval(data.x, np.abs(k)))
    mono_curve = FitProblem.polynomial(data.x, data.y, degree, "monomial").predict(k)
    legendre_curve = FitProblem.polynomial(data.x, data.y, degree, "legendre").predict(legendre.coefficients)
    np.testing.assert_allclose(mono_curve, reference, rtol=0, atol=bound)
    np.testing.assert_allclose(legendre_curve, reference, rtol=0, atol=bound)


def test_co2_like_quadratic_recovers_the_generating_curve():
    data = sample("co2_like_measurements")
    fitted = solve_exact(data.x, data.y, 2).fitted
    years = data.x - 1950
    truth = 311.0 + 0.6 * years + 0.0125 * years**2
    assert np.max(np.abs(fitted - truth)) < 0.3  # noise sd 0.4, averaged over 71 points


@pytest.mark.parametrize("basis", ["scaled", "legendre"])
def test_co2_like_exact_coefficients_in_a_scaled_basis_describe_the_fitted_curve(basis):
    data = sample("co2_like_measurements")
    exact = solve_exact(data.x, data.y, 10, Basis.for_data(basis, data.x))
    np.testing.assert_allclose(exact.basis.evaluate(exact.coefficients, data.x), exact.fitted, rtol=1e-9)


def test_noisy_cubic_at_degree_3_recovers_its_coefficients():
    data = sample("noisy_cubic")
    np.testing.assert_allclose(solve_exact(data.x, data.y, 3).monomial, [1.0, -1.2, -1.0, 0.5], atol=0.25)


def test_wide_x_quadratic_recovers_its_coefficients_and_is_ill_conditioned_in_raw_powers():
    data = sample("wide_x_quadratic")
    np.testing.assert_allclose(solve_exact(data.x, data.y, 2).monomial, [3.0, -0.6, 0.04], rtol=0.05)
    raw = FitProblem.polynomial(data.x, data.y, 2, "monomial").conditioning.condition_number
    scaled = FitProblem.polynomial(data.x, data.y, 2, "scaled").conditioning.condition_number
    assert raw > 1000 * scaled


def test_outlier_dominates_the_exact_fit_and_removing_it_recovers_the_line():
    data = sample("outlier")
    exact = solve_exact(data.x, data.y, 1)
    misses = np.abs(exact.residuals)
    worst = int(np.argmax(misses))
    assert data.x[worst] == 6.0
    assert misses[worst] > 5 * np.sort(misses)[-2]  # far beyond every other point
    assert misses[worst] ** 2 > 0.9 * exact.rss  # and most of the squared error
    clean = data.without_point(worst)
    line = solve_exact(clean.x, clean.y, 1)
    assert line.monomial[0] == pytest.approx(2.0, abs=0.3)
    assert line.monomial[1] == pytest.approx(1.5, abs=0.05)
    assert line.residual_sd < 0.5 < 2.0 < exact.residual_sd  # noise sd 0.4 once the outlier is gone

"""The core's speed-ups of issue 6 give exactly what the slow ways gave (no Qt here).

Each shortcut is checked against the computation it replaces: a change of basis by a cached exact
matrix against the conversion through the monomials, a session's text written piece by piece against plain
``json.dumps``, the fit report that reuses the exact solve against one that solves again, the
closed-form surface from (loss, gradient, Hessian) against the one from the data, and the remembered
loss/gradient and fitted values against fresh ones.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from session_strategies import make_document

from workbench.fitting.basis import BASIS_KINDS, MAX_DEGREE, Basis
from workbench.fitting.data import Dataset
from workbench.fitting.losses import Loss
from workbench.fitting.problem import FitProblem
from workbench.fitting.stats import fit_report
from workbench.fitting.surface import quadratic_surface
from workbench.state.session import session_from_json, session_to_json
from workbench.state.session_writer import session_chunks


def noisy(n: int, seed: int = 0, lo: float = -3.0, hi: float = 3.0):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(lo, hi, n))
    return x, np.sin(x) + 0.1 * rng.standard_normal(n)


# -- the change of basis ----------------------------------------------------------------------------------
def convert_through_monomials(source: Basis, coefficients, target: Basis, low=None) -> np.ndarray:
    """What ``Basis.convert`` did before: exact monomials, then the target basis, rounded once."""
    return target.from_exact_monomial(source.to_exact_monomial(coefficients, low))


@settings(max_examples=150, deadline=None)
@given(
    source=st.sampled_from(BASIS_KINDS),
    target=st.sampled_from(BASIS_KINDS),
    lo=st.floats(-1e4, 1e4),
    width=st.floats(1e-3, 1e4),
    shift=st.sampled_from([0.0, 0.5, 3.0]),
    degree=st.integers(0, MAX_DEGREE),
    seed=st.integers(0, 2**32 - 1),
    low=st.booleans(),
)
def test_cached_change_of_basis_is_bit_for_bit_the_exact_one(source, target, lo, width, shift, degree, seed, low):
    rng = np.random.default_rng(seed)
    a = Basis(source, lo, lo + width)
    b = Basis(target, lo - shift, lo + width + shift)
    theta = rng.standard_normal(degree + 1) * 10.0 ** rng.uniform(-6, 6, degree + 1)
    low_part = rng.standard_normal(degree + 1) * 1e-18 if low else None
    np.testing.assert_array_equal(a.convert(theta, b, low_part), convert_through_monomials(a, theta, b, low_part))


def test_the_conversion_matrix_is_exact_rationals():
    from workbench.fitting.basis import _conversion_matrix

    matrix = _conversion_matrix(Basis("scaled", 1958.0, 2020.0), Basis("legendre", 1958.0, 2020.0), 4)
    assert all(isinstance(v, Fraction) for row in matrix for v in row)


# -- a session's text, written piece by piece ----------------------------------------------------------------
def document_of(dataset: Dataset):
    return make_document(dataset, degree=3, basis=Basis("scaled", -3.0, 3.0), theta=np.zeros(4))


@pytest.mark.parametrize("n", [0, 1, 7, 16, 17, 40_000])
@pytest.mark.parametrize("with_sigma", [False, True])
def test_session_text_is_that_of_plain_json(n, with_sigma):
    """The long arrays' base64 spliced into the text piece by piece gives what one ``json.dumps`` would."""
    x, y = noisy(n, seed=n)
    sigma = np.linspace(0.1, 2.0, n) if with_sigma else None
    dataset = Dataset(x, y, 'a "quoted" näme \\ with a slash \u0000', sigma)
    document = document_of(dataset)
    chunks = list(session_chunks(document, {"note": "ü"}))
    text = b"".join(chunks).decode("utf-8")
    assert text == json.dumps(json.loads(text), allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert len(chunks) == 1 + 2 * (2 + with_sigma) * (n > 16)  # a piece per long array, none held twice
    again = session_from_json(text).document.dataset
    assert again.name == dataset.name
    assert again.x.tobytes() == x.tobytes() and again.y.tobytes() == y.tobytes()
    assert (again.sigma is None) == (sigma is None) and (sigma is None or again.sigma.tobytes() == sigma.tobytes())
    assert session_to_json(document, {"note": "ü"}) == text


# -- the report reuses the exact solve ------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n, degree", [(40, 3), (4, 3), (200, 7)])
def test_report_from_the_problem_equals_a_report_solved_anew(weighted, n, degree):
    x, y = noisy(n, seed=n + degree)
    sigma = np.linspace(0.2, 1.5, n) if weighted else None
    problem = FitProblem.polynomial(x, y, degree, "scaled", Loss(), sigma)
    reused, fresh = problem.report, fit_report(x, y, degree, weights=problem.weights)
    for name in ("coefficients", "standard_errors", "fitted", "residuals", "covariance"):
        a, b = getattr(reused, name), getattr(fresh, name)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
    assert (reused.r_squared, reused.rank, reused.warnings, reused.why) == (
        fresh.r_squared,
        fresh.rank,
        fresh.warnings,
        fresh.why,
    )


def test_a_ridge_problem_reports_the_plain_fit():
    x, y = noisy(30)
    problem = FitProblem.polynomial(x, y, 4, "scaled", Loss("mse", l2=0.5))
    np.testing.assert_allclose(problem.report.coefficients, fit_report(x, y, 4).coefficients, rtol=1e-12)
    assert not np.allclose(problem.exact.monomial, problem.report.coefficients)  # the ridge optimum differs


def test_an_exact_fit_of_other_data_is_refused():
    x, y = noisy(30)
    other = FitProblem.polynomial(x[:20], y[:20], 4, "scaled").exact
    with pytest.raises(ValueError, match="other data"):
        fit_report(x, y, 4, fit=other)


# -- the surface from the engine's loss and gradient ------------------------------------------------------
@pytest.mark.parametrize("loss", [Loss("mse"), Loss("sse"), Loss("mse", l2=0.4)], ids=["mse", "sse", "mse+l2"])
@pytest.mark.parametrize("weighted", [False, True])
def test_surface_from_loss_gradient_and_hessian_is_the_surface_from_the_data(loss, weighted):
    x, y = noisy(60, seed=5, lo=0.0, hi=20.0)
    sigma = np.linspace(0.3, 1.2, x.size) if weighted else None
    problem = FitProblem.polynomial(x, y, 4, "scaled", loss, sigma)
    theta = np.array([0.3, -0.2, 0.5, 0.1, -0.4])
    a, b = np.linspace(-2, 2, 9), np.linspace(-1, 3, 7)
    fast = problem.surface_at(problem.evaluate(theta), theta, 1, 3, a, b)
    direct = quadratic_surface(problem.design_matrix, y, theta, 1, 3, a, b, loss, problem.model.penalty_mask(), sigma)
    np.testing.assert_allclose(fast, direct, rtol=1e-10, atol=1e-12 * direct.max())


def test_surface_at_is_only_for_squared_error_polynomials():
    x, y = noisy(20)
    problem = FitProblem.polynomial(x, y, 2, "scaled", Loss("mae"))
    theta = np.zeros(3)
    assert problem.surface_at((1.0, np.zeros(3)), theta, 0, 1, np.zeros(2), np.zeros(2)) is None


# -- remembered loss, gradient and fitted values ------------------------------------------------------------
def test_evaluate_and_predict_remember_the_last_knobs_read_only():
    x, y = noisy(500)
    problem = FitProblem.polynomial(x, y, 5, "scaled")
    theta = np.linspace(-0.5, 0.5, 6)
    value, grad = problem.evaluate(theta)
    assert (value, grad.tolist()) == (problem.value_and_grad(theta)[0], problem.value_and_grad(theta)[1].tolist())
    assert problem.evaluate(theta.copy())[1] is grad and not grad.flags.writeable
    fitted = problem.predict(theta)
    assert problem.predict(theta.copy()) is fitted and not fitted.flags.writeable
    np.testing.assert_array_equal(fitted, problem.predict(theta, x))
    other = theta + 0.1
    assert problem.evaluate(other)[0] != value
    assert not np.array_equal(problem.predict(other), fitted)

"""`workbench.fit` and friends, the library API: checked against independent NumPy computations (lstsq,
polyval), and `import workbench` must change nothing in the process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import workbench
from workbench.fitting.stats import t_quantile

BLAS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def wavy_cubic(n: int = 30, seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.permutation(np.linspace(-1.0, 1.0, n))
    return x, 0.5 * x**3 - x**2 - 1.2 * x + 1.0 + 0.05 * np.sin(9 * x) + 0.02 * rng.standard_normal(n)


def lstsq(x, y, degree, sigma=None):
    """Coefficients, covariance and fitted values of a (weighted) least-squares polynomial, by plain lstsq."""
    w = np.ones_like(y) if sigma is None else 1.0 / np.asarray(sigma) ** 2
    design = np.vander(x, degree + 1, increasing=True) * np.sqrt(w)[:, None]
    coefficients, *_ = np.linalg.lstsq(design, y * np.sqrt(w), rcond=None)
    fitted = np.vander(x, degree + 1, increasing=True) @ coefficients
    s2 = np.sum(w * (y - fitted) ** 2) / (x.size - degree - 1)
    return coefficients, s2 * np.linalg.inv(design.T @ design), fitted


# --- the environment ---------------------------------------------------------------------------------------
def test_import_workbench_and_fitting_leave_the_environment_and_the_process_alone():
    code = textwrap.dedent("""
        import json, os, sys, threading
        before = dict(os.environ)
        threads = threading.active_count()
        import workbench
        light = sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "PySide6", "pyqtgraph"})
        result = workbench.fit([0, 1, 2, 3, 4], [1, 3, 2, 5, 4], degree=1)
        version = workbench.__version__
        print(json.dumps({
            "environ_changed": sorted(set(os.environ.items()) ^ set(before.items())),
            "heavy_after_import": light,
            "qt_after_fit": sorted(m for m in sys.modules if m.split(".")[0] in {"PySide6", "pyqtgraph"}),
            "threads": threading.active_count() - threads,
            "version": version,
        }))
    """)
    env = {k: v for k, v in os.environ.items() if k not in BLAS}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["environ_changed"] == []
    assert report["heavy_after_import"] == []  # NumPy loads on the first use of fit, Qt on show
    assert report["qt_after_fit"] == [] and report["threads"] == 0
    assert report["version"] == workbench.__version__


def test_the_public_names_are_exported_and_typed():
    assert set(workbench.__all__) == {"FitResult", "__version__", "fit", "show"}
    from workbench import FitResult, fit, show  # noqa: F401 - the names resolve

    assert (Path(workbench.__file__).parent / "py.typed").is_file()
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = workbench.nothing_here


# --- the exact fit -----------------------------------------------------------------------------------------
def test_exact_fit_matches_lstsq_with_standard_errors_and_textbook_statistics():
    x, y = wavy_cubic()
    result = workbench.fit(x, y, degree=3)
    coefficients, covariance, fitted = lstsq(x, y, 3)
    assert np.allclose(result.coefficients, coefficients, rtol=1e-10, atol=1e-12)
    assert np.allclose(result.covariance, covariance, rtol=1e-8, atol=1e-14)
    assert np.allclose(result.standard_errors, np.sqrt(np.diag(covariance)), rtol=1e-8)
    assert np.allclose(result.fitted, fitted, rtol=1e-12, atol=1e-12)
    assert np.array_equal(result.residuals, y - result.fitted)  # y − ŷ, the project's convention
    rss, tss = np.sum((y - fitted) ** 2), np.sum((y - y.mean()) ** 2)
    assert result.r_squared == pytest.approx(1 - rss / tss, rel=1e-12)
    assert result.residual_sd == pytest.approx(np.sqrt(rss / (x.size - 4)), rel=1e-10)
    assert result.optimizer == "exact" and result.steps == 0 and result.gap == 0.0
    assert result.stop_reason == "converged"


def test_weighted_fit_matches_weighted_lstsq():
    x, y = wavy_cubic(seed=9)
    sigma = 0.05 + 0.2 * (x + 1)
    result = workbench.fit(x, y, degree=2, sigma=sigma)
    coefficients, covariance, fitted = lstsq(x, y, 2, sigma)
    assert np.allclose(result.coefficients, coefficients, rtol=1e-10, atol=1e-12)
    assert np.allclose(result.standard_errors, np.sqrt(np.diag(covariance)), rtol=1e-8)
    w = 1 / sigma**2
    mean = np.sum(w * y) / np.sum(w)
    assert result.r_squared == pytest.approx(1 - np.sum(w * (y - fitted) ** 2) / np.sum(w * (y - mean) ** 2))


def test_predict_and_formula_describe_the_same_curve():
    x, y = wavy_cubic()
    result = workbench.fit(x, y, degree=4)
    new = np.array([-0.9, -0.13, 0.0, 0.42, 1.3])
    assert np.allclose(result.predict(new), np.polynomial.polynomial.polyval(new, result.coefficients), rtol=1e-12)
    assert result.predict(0.5).shape == ()
    assert eval(result.formula("numpy"), {"np": np, "x": new}) == pytest.approx(result.predict(new), rel=1e-12)
    assert result.formula().startswith("y = ") and "x^4" in result.formula()
    assert "\\" not in result.formula("text") and "x^{4}" in result.formula("latex")


def test_bands_are_the_textbook_intervals():
    x, y = wavy_cubic(n=25)
    result = workbench.fit(x, y, degree=2)
    new = np.linspace(-1.2, 1.2, 7)
    bands = result.bands(new, level=0.9)
    _, covariance, _ = lstsq(x, y, 2)
    phi = np.vander(new, 3, increasing=True)
    se_mean = np.sqrt(np.einsum("ij,jk,ik->i", phi, covariance, phi))
    t = t_quantile(0.95, x.size - 3)
    assert np.allclose(bands.fitted, result.predict(new), rtol=1e-12)
    assert np.allclose(bands.confidence_high - bands.fitted, t * se_mean, rtol=1e-7)
    assert np.allclose(bands.prediction_high - bands.fitted, t * np.sqrt(result.residual_sd**2 + se_mean**2), rtol=1e-7)
    assert np.allclose(bands.fitted - bands.confidence_low, bands.confidence_high - bands.fitted)
    with pytest.raises(ValueError, match="level"):
        result.bands(new, level=1.5)


def test_far_from_zero_the_result_stays_accurate_where_the_powers_lose_the_curve():
    years = np.linspace(1958.0, 2020.0, 63)
    y = 315 + 0.8 * (years - 1958) + 0.012 * (years - 1958) ** 2 + 2 * np.sin(years)
    result = workbench.fit(years, y, degree=10)
    t = (years - 1989.0) / 31.0
    reference = np.polynomial.legendre.Legendre.fit(t, y, 10, domain=[-1, 1])(t)
    assert np.allclose(result.fitted, reference, rtol=1e-11)
    assert np.allclose(result.predict(years), result.fitted, rtol=1e-13)
    naive = np.polynomial.polynomial.polyval(years, result.coefficients)
    assert np.max(np.abs(naive - reference) / reference) > 1e-6  # why the coefficients are never summed
    assert any("far from 0" in w for w in result.warnings)


def test_an_interpolating_fit_has_no_standard_errors_and_says_why():
    result = workbench.fit([0.0, 1.0, 2.0], [1.0, 0.0, 3.0], degree=2)
    assert result.standard_errors is None and result.covariance is None
    assert np.isnan(result.residual_sd)
    assert "interpolates" in result.report.why
    assert np.all(np.isnan(result.bands([0.5]).confidence_low))


# --- the optimisers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov", "adam"])
def test_gradient_based_optimizers_approach_the_exact_fit(optimizer):
    x, y = wavy_cubic()
    exact = workbench.fit(x, y, degree=2)
    steps = 20_000 if optimizer == "adam" else 3_000
    result = workbench.fit(x, y, degree=2, optimizer=optimizer, basis="legendre", steps=steps, tol=0)
    assert result.optimizer == optimizer and result.steps == steps and result.stop_reason == "max_steps"
    assert -1e-12 * exact.loss <= result.gap < 1e-6 * exact.loss  # (rounding can put it a hair below)
    assert np.allclose(result.coefficients, exact.coefficients, atol=1e-3)
    assert result.loss == pytest.approx(np.mean(result.residuals**2), rel=1e-9)


def test_a_diverging_run_is_reported_not_raised():
    x, y = wavy_cubic()
    result = workbench.fit(x, y, degree=3, optimizer="gd", basis="monomial", lr=50.0, steps=200)
    assert result.stop_reason == "diverged" and result.message
    assert np.all(np.isfinite(result.coefficients))


# --- bad input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"x": [1, 2, 3], "y": [1, 2]}, "x has 3 values but y has 2"),
        ({"x": [1, np.nan, 3], "y": [1, 2, 3]}, r"x\[1\] is nan"),
        ({"x": [1, 2, 3], "y": ["a", 2, 3]}, "y must be numbers"),
        ({"x": [], "y": []}, "no data points"),
        ({"degree": 16}, "degree must be a whole number from 0 to 15"),
        ({"degree": 2.5}, "degree must be a whole number"),
        ({"optimizer": "bfgs"}, "unknown optimizer 'bfgs'"),
        ({"basis": "chebyshev"}, "unknown basis"),
        ({"loss": "l1"}, "unknown loss"),
        ({"optimizer": "gd", "lr": -1.0}, "lr must be a positive number"),
        ({"optimizer": "gd", "steps": -5}, "steps must be a whole number"),
        ({"sigma": [1.0, 0.0, 1.0, 1.0]}, r"sigma\[1\]"),
        ({"x": [1e300, 2e300, 3e300, 4e300], "basis": "monomial"}, "double precision|overflow|rescale"),
    ],
)
def test_bad_input_is_refused_with_a_message(kwargs, message):
    arguments = {"x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 2.0, 0.0, 5.0], "degree": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        workbench.fit(**arguments)


def test_the_result_keeps_its_own_copy_of_the_data():
    x, y = wavy_cubic()
    original = y.copy()
    result = workbench.fit(x, y, degree=2)
    y[:] = 0.0
    assert np.array_equal(result.problem.y, original)
    assert np.allclose(result.predict(x), result.fitted, rtol=1e-13)
    assert "degree=2" in repr(result) and "r_squared" in repr(result)

"""Weighted fits say what they assume: the prediction band is for a new point of a σ the user can see and
set (by default the data's σ interpolated at its x), χ² and reduced χ² are reported, the scatter is in
units of σ, and bands, report, exports and the command line agree.  Checked against an independent
computation (monomials on x in [−1, 1], explicit weights, the inverse of XᵀWX, a tabulated t quantile)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from realistic_data import co2_with_sigma

from workbench.fitting.exact import solve_exact
from workbench.fitting.problem import FitProblem
from workbench.fitting.report_export import report_csv, report_dict, report_text
from workbench.fitting.stats import bands, fit_report
from workbench.fitting.student_t import _t_quantile, t_quantile

T_975_30 = 2.0422724563012383  # Student t, 97.5 %, 30 degrees of freedom (30 digits by mpmath, rounded)


def weighted_sample(n: int = 33, seed: int = 0):
    """x in [−1, 1], σ growing tenfold from left to right, y a quadratic plus noise of that σ."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, n))
    sigma = 0.02 + 0.09 * (x + 1.0)
    y = 1.0 + 0.5 * x - 0.8 * x**2 + rng.normal(0, 1, n) * sigma
    return x, y, sigma


def independent_bands(x, y, sigma, x_new, sigma_new):
    """ŷ ± t·s·√h and ŷ ± t·s·√(σ_new² + h), with h = φᵀ(XᵀWX)⁻¹φ and s² = χ²/dof (degree 2, dof 30)."""
    X = np.vander(x, 3, increasing=True)
    w = 1.0 / sigma**2
    inverse = np.linalg.inv(X.T @ (w[:, None] * X))
    coefficients = inverse @ (X.T @ (w * y))
    chi2 = float(np.sum(w * (X @ coefficients - y) ** 2))
    s = np.sqrt(chi2 / (x.size - 3))
    phi = np.vander(x_new, 3, increasing=True)
    h = np.einsum("ij,jk,ik->i", phi, inverse, phi)
    fitted = phi @ coefficients
    conf, pred = T_975_30 * s * np.sqrt(h), T_975_30 * s * np.sqrt(sigma_new**2 + h)
    return fitted, fitted - conf, fitted + conf, fitted - pred, fitted + pred, chi2


def linear_interpolation(x_data, sigma_data, x_new):
    """σ between data points by the straight line through its neighbours, constant beyond the ends."""
    out = []
    for x in x_new:
        if x <= x_data[0]:
            out.append(sigma_data[0])
        elif x >= x_data[-1]:
            out.append(sigma_data[-1])
        else:
            i = int(np.searchsorted(x_data, x)) - 1
            f = (x - x_data[i]) / (x_data[i + 1] - x_data[i])
            out.append(sigma_data[i] + f * (sigma_data[i + 1] - sigma_data[i]))
    return np.array(out)


X_NEW = np.array([-1.3, -0.95, -0.2, 0.0, 0.41, 0.99, 1.5])


def test_the_default_band_is_for_a_new_point_of_the_interpolated_sigma():
    x, y, sigma = weighted_sample()
    report = fit_report(x, y, 2, weights=1.0 / sigma**2)
    expected_sigma = linear_interpolation(x, sigma, X_NEW)
    np.testing.assert_allclose(report.new_point_sigma(X_NEW), expected_sigma, rtol=1e-14)
    got = bands(report, X_NEW, 0.95)
    want = independent_bands(x, y, sigma, X_NEW, expected_sigma)
    for a, b in zip(got, want[:5]):
        np.testing.assert_allclose(a, b, rtol=1e-9)


@pytest.mark.parametrize("sigma_new", [0.05, np.array([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07])])
def test_a_sigma_the_user_sets_is_the_one_used(sigma_new):
    x, y, sigma = weighted_sample()
    report = fit_report(x, y, 2, weights=1.0 / sigma**2)
    got = bands(report, X_NEW, 0.95, sigma_new=sigma_new)
    want = independent_bands(x, y, sigma, X_NEW, np.broadcast_to(sigma_new, X_NEW.shape))
    for a, b in zip(got, want[:5]):
        np.testing.assert_allclose(a, b, rtol=1e-9)
    # The confidence band (the mean curve) does not depend on the new point's σ.
    np.testing.assert_allclose(got[1], bands(report, X_NEW, 0.95)[1], rtol=1e-15)


def test_the_prediction_band_covers_95_percent_of_new_points_of_their_own_sigma():
    """Simulated: new observations at random x with the true σ(x) fall inside the band 95 % of the time.
    (The old band, for σ = 1 in y units, covered all of them: the data scatter by ±0.02 … ±0.2.)"""
    rng = np.random.default_rng(42)
    x, y, sigma = weighted_sample(n=400, seed=1)
    report = fit_report(x, y, 2, weights=1.0 / sigma**2)
    x_new = rng.uniform(-1.0, 1.0, 20_000)
    truth = 1.0 + 0.5 * x_new - 0.8 * x_new**2
    y_new = truth + rng.normal(0, 1, x_new.size) * (0.02 + 0.09 * (x_new + 1.0))
    _, _, _, lo, hi = bands(report, x_new, 0.95)
    inside = float(np.mean((y_new >= lo) & (y_new <= hi)))
    assert 0.93 <= inside <= 0.97


def test_an_exact_fit_gives_the_same_bands_as_its_report():
    x, y, sigma = weighted_sample()
    fit = solve_exact(x, y, 2, sigma=sigma)
    report = fit_report(x, y, 2, weights=1.0 / sigma**2)
    for a, b in zip(bands(fit, X_NEW, x=x), bands(report, X_NEW)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_unweighted_fits_take_no_new_sigma_and_bad_sigmas_are_refused():
    x, y, _ = weighted_sample()
    plain = fit_report(x, y, 2)
    np.testing.assert_array_equal(plain.new_point_sigma(X_NEW), np.ones(X_NEW.size))
    with pytest.raises(ValueError, match="weighted fits"):
        bands(plain, X_NEW, sigma_new=0.1)
    weighted = fit_report(x, y, 2, weights=1.0 / weighted_sample()[2] ** 2)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="positive number"):
            bands(weighted, X_NEW, sigma_new=bad)


def test_report_and_exports_show_chi_squared_and_units_of_sigma():
    x, y, sigma = weighted_sample()
    report = fit_report(x, y, 2, weights=1.0 / sigma**2)
    chi2 = independent_bands(x, y, sigma, X_NEW, np.ones(X_NEW.size))[5]
    assert report.chi_squared == pytest.approx(chi2, rel=1e-10)
    assert report.reduced_chi_squared == pytest.approx(chi2 / 30, rel=1e-10)
    assert report.residual_sd == pytest.approx(np.sqrt(chi2 / 30), rel=1e-10) and report.residual_units == "σ"
    data = json.loads(json.dumps(report_dict(report)))
    assert data["chi_squared"] == pytest.approx(chi2, rel=1e-10) and data["residual_units"] == "sigma"
    assert data["reduced_chi_squared"] == pytest.approx(chi2 / 30, rel=1e-10)
    assert "interpolated from the data's σ" in data["prediction_band"]
    text = report_text(report)
    assert "residual SD (in units of σ)" in text and "RMSE (in units of σ)" in text and "reduced χ²" in text
    assert "reduced_chi_squared" in report_csv(report)
    plain = fit_report(x, y, 2)
    assert plain.chi_squared is None and "chi_squared" not in report_dict(plain) and plain.residual_units == "y"


def test_the_command_line_bands_agree_with_the_report(tmp_path):
    data = co2_with_sigma()
    path = tmp_path / "co2.csv"
    rows = "".join(f"{a!r},{b!r},{s!r}\n" for a, b, s in zip(data.x.tolist(), data.y.tolist(), data.sigma.tolist()))
    path.write_text("year,ppm,sigma\n" + rows)
    x_new = [1960.5, 1990.0, 2030.0]
    args = [sys.executable, "-m", "workbench", "fit", str(path), "--sigma-column", "2", "--degree", "4", "--json"]
    out = json.loads(subprocess.run([*args, "--bands", "1960.5,1990,2030"], capture_output=True, text=True).stdout)
    report = FitProblem.polynomial(data.x, data.y, 4, "orthonormal", sigma=data.sigma).report
    fitted, c_lo, c_hi, p_lo, p_hi = bands(report, np.array(x_new))
    band = out["bands"]
    assert band["x"] == x_new and band["level"] == 0.95
    for key, values in zip(
        ("fitted", "confidence_low", "confidence_high", "prediction_low", "prediction_high"),
        (fitted, c_lo, c_hi, p_lo, p_hi),
    ):
        np.testing.assert_allclose(band[key], values, rtol=1e-12)
    np.testing.assert_allclose(band["prediction_sigma"], report.new_point_sigma(np.array(x_new)), rtol=1e-14)
    assert band["prediction_sigma_from"] == "interpolated from the data"
    assert out["chi_squared"] == pytest.approx(report.chi_squared, rel=1e-9)
    assert out["reduced_chi_squared"] == pytest.approx(report.reduced_chi_squared, rel=1e-9)
    assert out["residual_units"] == "sigma"
    given = json.loads(
        subprocess.run([*args, "--bands", "1990", "--band-sigma", "0.05"], capture_output=True, text=True).stdout
    )["bands"]
    assert given["prediction_sigma"] == [0.05] and given["prediction_sigma_from"] == "given"
    np.testing.assert_allclose(
        given["prediction_high"], bands(report, np.array([1990.0]), sigma_new=0.05)[4], rtol=1e-12
    )
    text = subprocess.run([*args[:-1], "--bands", "1990"], capture_output=True, text=True).stdout
    assert "χ²" in text and "reduced χ²" in text and "in units of σ" in text and "σ of the new point" in text


def test_band_sigma_without_a_sigma_column_is_a_usage_error(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("x,y\n1,2\n2,3\n3,5\n4,4\n")
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "fit", str(path), "--degree", "1", "--bands", "2", "--band-sigma", "1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: --band-sigma") and "--sigma-column" in result.stderr


def test_t_quantile_is_cached():
    """Bands are redrawn on every pan: the quantile is computed once per (level, dof)."""
    _t_quantile.cache_clear()
    started = time.perf_counter()
    first = t_quantile(0.975, 37)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(1000):
        again = t_quantile(0.975, 37)
    warm = (time.perf_counter() - started) / 1000
    assert again == first == pytest.approx(2.0261924630291098, rel=1e-12)
    assert _t_quantile.cache_info().hits >= 1000
    assert warm < 0.1 * cold

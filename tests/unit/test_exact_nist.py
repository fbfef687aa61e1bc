"""The exact solve against the NIST StRD certified polynomial fits, and against exact rational arithmetic.

Accuracy is scored as the log relative error, LRE = −log10(|computed − reference| / |reference|), capped
at 15: the number of correct significant digits.  Two references are used:

* NIST's certified values, computed in 500-digit arithmetic from the decimal data;
* an exact rational least-squares solution of the float64 data itself (``fractions.Fraction``: the normal
  equations XᵀXb = Xᵀy are a fine method once there is no rounding at all), which isolates the solver's
  own error from the data's decimal-to-binary rounding.
"""

from __future__ import annotations

import json
import math
import warnings
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from workbench.fitting.exact import solve_exact

BUNDLED = Path(__file__).resolve().parent / "data" / "nist"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference" / "nist"  # <clone>/../shared
NIST_SETS = ("Norris", "Pontius", "Filip", "Wampler1", "Wampler2", "Wampler3", "Wampler4", "Wampler5")
CAP = 15.0


def nist_dir() -> Path:
    """The bundled copy, or else shared/reference/nist beside the repository."""
    for folder in (BUNDLED, SHARED):
        if (folder / "certified.json").is_file():
            return folder
    pytest.skip(f"NIST StRD data not found in {BUNDLED} or {SHARED}")


@cache
def certified() -> dict:
    return json.loads((nist_dir() / "certified.json").read_text(encoding="utf-8"))


@cache
def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    data = np.loadtxt(nist_dir() / f"{name}.csv", delimiter=",", skiprows=1, ndmin=2)
    return data[:, 0].copy(), data[:, 1].copy()


def decimal_value(text: str) -> Fraction:
    """A certified value exactly as printed (NIST's decimal, not its float64 rounding)."""
    return Fraction(Decimal(text))


def lre(computed: float, reference) -> float:
    """Correct significant digits of ``computed`` (a float) against an exact ``reference``, capped at 15."""
    reference = Fraction(reference)
    error = abs(Fraction(float(computed)) - reference)
    if error == 0:
        return CAP
    if reference == 0:
        return min(CAP, -math.log10(float(error)))
    return min(CAP, -math.log10(float(error / abs(reference))))


def normwise_lre(computed: np.ndarray, reference: list[Fraction]) -> float:
    """LRE of a whole vector: −log10(‖computed − reference‖₂ / ‖reference‖₂), exactly evaluated."""
    diff = sum((Fraction(float(c)) - r) ** 2 for c, r in zip(computed, reference))
    norm = sum(r * r for r in reference)
    if diff == 0:
        return CAP
    return min(CAP, -0.5 * math.log10(float(diff / norm)))


def exact_least_squares(x: np.ndarray, y: np.ndarray, degree: int) -> tuple[list[Fraction], list[Fraction]]:
    """Coefficients (powers of x) and fitted values of the least-squares polynomial, in exact rationals."""
    xs = [Fraction(float(v)) for v in x]
    ys = [Fraction(float(v)) for v in y]
    n = degree + 1
    powers = [[Fraction(1)] * len(xs)]
    for _ in range(2 * degree):
        powers.append([p * xi for p, xi in zip(powers[-1], xs)])
    moments = [sum(row) for row in powers]
    a = [[moments[i + j] for j in range(n)] for i in range(n)]
    b = [sum(p * yi for p, yi in zip(powers[i], ys)) for i in range(n)]
    for col in range(n):  # Gauss-Jordan elimination: exact, so no pivoting strategy is needed for accuracy
        pivot = next(r for r in range(col, n) if a[r][col] != 0)
        a[col], a[pivot], b[col], b[pivot] = a[pivot], a[col], b[pivot], b[col]
        for row in range(n):
            if row != col and a[row][col] != 0:
                factor = a[row][col] / a[col][col]
                a[row] = [u - factor * v for u, v in zip(a[row], a[col])]
                b[row] -= factor * b[col]
    coefficients = [b[i] / a[i][i] for i in range(n)]
    fitted = [sum(c * powers[i][k] for i, c in enumerate(coefficients)) for k in range(len(xs))]
    return coefficients, fitted


@cache
def scores(name: str) -> dict:
    """Every accuracy figure for one NIST set."""
    cert = certified()[name]
    degree = cert["degree"]
    x, y = load(name)
    fit = solve_exact(x, y, degree)
    certified_coefficients = [decimal_value(cert["text"]["coefficients"][f"B{i}"]) for i in range(degree + 1)]
    exact_coefficients, exact_fitted = exact_least_squares(x, y, degree)
    with warnings.catch_warnings():
        # RankWarning lives in numpy.exceptions from NumPy 2.0 on, and at the top level before it.
        warnings.simplefilter("ignore", getattr(np.exceptions, "RankWarning", None) or np.RankWarning)
        polyfit = np.polyfit(x, y, degree)[::-1]
    return {
        "fit": fit,
        "y": y,
        "coefficients": min(lre(c, r) for c, r in zip(fit.monomial, certified_coefficients)),
        "coefficients_vs_rational": min(lre(c, r) for c, r in zip(fit.monomial, exact_coefficients)),
        "polyfit": min(lre(c, r) for c, r in zip(polyfit, certified_coefficients)),
        "residual_sd": lre(fit.residual_sd, decimal_value(cert["text"]["residual_sd"])),
        "r_squared": lre(fit.r_squared, decimal_value(cert["text"]["r_squared"])),
        "fitted_normwise": normwise_lre(fit.fitted, exact_fitted),
        "fitted_per_point": min(lre(f, r) for f, r in zip(fit.fitted, exact_fitted)),
    }


@pytest.mark.parametrize("name", NIST_SETS)
def test_coefficients_match_certified_values(name):
    digits = scores(name)["coefficients"]
    assert digits >= 7, f"{name}: {digits:.2f} correct digits in the coefficients"


@pytest.mark.parametrize("name", NIST_SETS)
def test_residual_sd_matches_certified_value(name):
    s = scores(name)
    if float(certified()[name]["residual_sd"]) == 0:
        # An exact polynomial (Wampler1, 2): no relative error to score; the residual must vanish.
        assert s["fit"].residual_sd <= 1e-12 * np.max(np.abs(s["y"]))
    else:
        assert s["residual_sd"] >= 12, f"{name}: residual SD has {s['residual_sd']:.2f} digits"


@pytest.mark.parametrize("name", NIST_SETS)
def test_r_squared_matches_certified_value(name):
    if decimal_value(certified()[name]["text"]["r_squared"]) == 1:
        # An exact polynomial (Wampler1, 2): R² must be 1 to within rounding.
        assert abs(1.0 - scores(name)["fit"].r_squared) <= 1e-12
        return
    digits = scores(name)["r_squared"]
    assert digits >= 12, f"{name}: R² has {digits:.2f} digits"


@pytest.mark.parametrize("name", NIST_SETS)
def test_fitted_values_match_exact_rational_reference(name):
    s = scores(name)
    assert s["fitted_normwise"] >= 12, f"{name}: fitted values {s['fitted_normwise']:.2f} digits norm-wise"
    assert s["fitted_per_point"] >= 11, (
        f"{name}: worst fitted value {s['fitted_per_point']:.2f} digits (the refinement relies on extended "
        f"precision; np.longdouble here has {np.finfo(np.longdouble).precision} digits)"
    )


def test_beats_numpy_polyfit_on_filip():
    s = scores("Filip")
    assert s["coefficients"] >= s["polyfit"] + 3, (
        f"workbench {s['coefficients']:.2f} digits vs numpy.polyfit {s['polyfit']:.2f} on Filip"
    )


def test_accuracy_report(capsys, request):
    """Prints the LRE table when pytest runs with -v; asserts only that every figure was computed."""
    header = (
        f"{'set':9s} {'coef':>5s} {'coef*':>5s} {'polyfit':>7s} {'res.SD':>6s} {'R²':>5s} {'fit‖‖':>5s} {'fit∀':>5s}"
    )
    lines = [header]
    for name in NIST_SETS:
        s = scores(name)
        lines.append(
            f"{name:9s} {s['coefficients']:5.2f} {s['coefficients_vs_rational']:5.2f} "
            f"{s['polyfit']:7.2f} {s['residual_sd']:6.2f} {s['r_squared']:5.2f} "
            f"{s['fitted_normwise']:5.2f} {s['fitted_per_point']:5.2f}"
        )
    lines.append(
        "coef: vs certified; coef*: vs exact rational LS of the float64 data; fit: fitted values "
        "vs exact rational, norm-wise and worst point; res.SD of Wampler1/2 (certified 0): absolute digits"
    )
    if request.config.getoption("verbose") > 0:
        with capsys.disabled():
            print("\n" + "\n".join(lines))
    assert all(np.isfinite(scores(name)["coefficients"]) for name in NIST_SETS)


def test_bundled_copy_matches_shared_reference():
    if not (SHARED / "certified.json").is_file():
        pytest.skip(f"no shared reference at {SHARED} to compare the bundled copy with")
    for name in (*[f"{n}.csv" for n in NIST_SETS], "certified.json"):
        assert (BUNDLED / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_fitted_values_far_from_zero():
    """x ≈ 1000: the monomial coefficients are huge and meaningless, the fitted curve must not be."""
    x = 1000.0 + np.linspace(0.0, 50.0, 60)
    y = np.sin((x - 1000.0) / 8.0) + 0.002 * (x - 1025.0) ** 2
    fit = solve_exact(x, y, 7)
    _, exact_fitted = exact_least_squares(x, y, 7)
    digits = normwise_lre(fit.fitted, exact_fitted)
    assert digits >= 12, f"fitted values have {digits:.2f} digits norm-wise"
    np.testing.assert_allclose(fit.evaluate(x), fit.fitted, rtol=1e-12, atol=1e-12 * np.max(np.abs(y)))
    assert np.max(np.abs(fit.monomial)) > 1e6  # the powers-of-x form really is ill-conditioned here

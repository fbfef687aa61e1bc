"""Levenberg–Marquardt against the NIST StRD nonlinear problems, from both certified starts.

Each problem's model is read by our parser from the file's own statement of it; the fit must get six
or more correct digits (LRE) of every parameter and of the residual SD, and of every certified standard
deviation.  The nine problems shared with the team run by default; all 26 (52 runs) run as ``slow``.
"""

from __future__ import annotations

import numpy as np
import pytest
from nist_nonlinear import ALL, DATA, SHARED, SHARED_NINE, load, score

from workbench.fitting.formula import parse
from workbench.fitting.formula_model import FormulaModel
from workbench.fitting.least_squares import solve_least_squares
from workbench.fitting.losses import Loss
from workbench.fitting.problem import FitProblem

DIGITS = 6.0


# Lanczos1's data are 13-digit decimals and its certified residual SD is 8.9e-14: held in doubles the data
# are off by up to 1e-16 each, and the double data's own least-squares residual SD (computed in 80-digit
# arithmetic) is 8.91176e-14, three digits from NIST's 8.91561e-14.  No program that stores the data as
# doubles can get its fourth digit, nor of the standard errors, which scale with it; its parameters
# (10+ digits) are scored as usual.
def data_limited(name: str, quantity: str) -> bool:
    """True for the numbers the data, held in doubles, cannot give six digits of."""
    return name == "Lanczos1" and (quantity == "residual SD" or quantity.startswith("sd("))


def fit(name: str, start: int):
    problem = load(name)
    model = FormulaModel(problem.formula)
    theta0 = np.array([problem.starts[start][n] for n in model.parameter_names])
    result = solve_least_squares(FitProblem(problem.x, problem.y, model, Loss("sse")), theta0)
    scores = score(problem, model.parameter_names, result.params, result.residual_sd, result.standard_errors)
    return result, scores


def assert_certified_digits(name: str, start: int) -> None:
    result, scores = fit(name, start)
    assert result.stop_reason == "converged", result.message
    low = {k: round(v, 2) for k, v in scores.items() if v < DIGITS and not data_limited(name, k)}
    assert not low, f"{name} from start {start + 1}: fewer than {DIGITS:g} correct digits in {low}"


@pytest.mark.parametrize("start", [0, 1], ids=["start1", "start2"])
@pytest.mark.parametrize("name", SHARED_NINE)
def test_shared_problems_from_both_starts(name, start):
    assert_certified_digits(name, start)


@pytest.mark.slow
@pytest.mark.parametrize("start", [0, 1], ids=["start1", "start2"])
@pytest.mark.parametrize("name", [n for n in ALL if n not in SHARED_NINE])
def test_all_problems_from_both_starts(name, start):
    assert_certified_digits(name, start)


@pytest.mark.slow
@pytest.mark.xfail(reason="the certified residual SD is below what 13-digit data carry in doubles", strict=True)
def test_lanczos1_residual_sd_is_limited_by_the_data_in_doubles():
    _, scores = fit("Lanczos1", 1)
    assert scores["residual SD"] >= DIGITS


@pytest.mark.parametrize("name", ALL)
def test_the_parser_reads_nist_models_as_nist_writes_them(name):
    problem = load(name)
    parsed = parse(problem.formula)
    assert sorted(parsed.parameters, key=lambda b: int(b[1:])) == sorted(problem.certified, key=lambda b: int(b[1:]))
    model = FormulaModel(problem.formula)
    theta = np.array([float(problem.certified[n]) for n in model.parameter_names])
    fitted = model.predict(theta, problem.x)
    assert np.all(np.isfinite(fitted))
    # The certified parameters fit the data: residuals of the size of the residual SD (Lanczos1's
    # certified parameters, rounded to 11 digits, leave residuals of 1e-11 against its SD of 1e-13).
    rms = np.sqrt(np.mean((problem.y - fitted) ** 2))
    assert rms < 2 * float(problem.residual_sd) + 1e-10 * np.sqrt(np.mean(problem.y**2))


def test_bundled_copies_of_the_shared_nine_are_unchanged():
    if not SHARED.is_dir():
        pytest.skip(f"no shared reference at {SHARED}")
    for name in SHARED_NINE:
        assert (DATA / f"{name}.dat").read_bytes() == (SHARED / f"{name}.dat").read_bytes(), name

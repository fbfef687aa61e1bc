"""The fit as a Python script: it runs on its own, reproduces the app's curve to ≥ 10 digits for any x range
and any basis the knobs live in, and carries the data exactly."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.fitting.export import ExportError
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.script_export import fit_script
from workbench.fitting.training import StopRules

DIGITS = 10


def years_problem(basis: str, degree: int = 10, sigma=None) -> FitProblem:
    """x in years (far from 0) at a high degree: summing powers of x would lose the curve here."""
    x = np.linspace(1958.0, 2020.0, 63)
    y = 315 + 0.8 * (x - 1958) + 0.012 * (x - 1958) ** 2 + 2 * np.sin(x)
    return FitProblem.polynomial(x, y, degree, basis, sigma=sigma)


def write(tmp_path: Path, problem: FitProblem, theta, title: str = "test data") -> Path:
    path = tmp_path / "fit_script.py"
    path.write_text(fit_script(problem, theta, title), encoding="utf-8")
    return path


def matching_digits(got, want) -> float:
    """Correct significant digits of ``got`` against ``want`` (worst point, relative to the curve's scale)."""
    error = np.max(np.abs(np.asarray(got) - want)) / np.max(np.abs(want))
    return np.inf if error == 0 else -np.log10(error)


@pytest.mark.parametrize("basis", ["monomial", "scaled", "legendre"])
def test_the_script_reproduces_the_exact_fit_far_from_zero_in_every_basis(tmp_path, basis):
    problem = years_problem(basis, degree=10 if basis != "monomial" else 4)
    theta = problem.exact.coefficients
    script = runpy.run_path(str(write(tmp_path, problem, theta)))
    want = problem.predict(theta)
    assert matching_digits(script["curve"](problem.x), want) >= DIGITS
    between = np.linspace(1950.0, 2030.0, 321)
    assert matching_digits(script["curve"](between), problem.predict(theta, between)) >= DIGITS
    naive = np.polynomial.polynomial.polyval(problem.x, script["POWERS"])
    if basis != "monomial":  # the case is a real test: the powers of x, summed, are far off
        assert matching_digits(naive, want) < 6


def test_the_script_reproduces_knobs_that_are_not_the_optimum(tmp_path):
    problem = years_problem("scaled", degree=6)
    run = problem.trainer("gd", 0.05, problem.model.initial_params(), StopRules(max_steps=300, tol=0)).run_to_end()
    script = runpy.run_path(str(write(tmp_path, problem, run.params)))
    assert matching_digits(script["curve"](problem.x), problem.predict(run.params)) >= DIGITS


def test_the_script_carries_the_data_and_sigma_exactly(tmp_path):
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(-3, 3, 40)) * np.pi
    y = np.sin(x) + rng.normal(0, 0.1, x.size)
    sigma = rng.uniform(0.05, 0.3, x.size)
    problem = FitProblem.polynomial(x, y, 5, "legendre", Loss("huber"), sigma=sigma)
    script = runpy.run_path(str(write(tmp_path, problem, problem.exact.coefficients, 'my "quoted"\nname')))
    assert np.array_equal(script["X"], x) and np.array_equal(script["Y"], y) and np.array_equal(script["SIGMA"], sigma)
    assert script["TITLE"] == 'my "quoted"\nname' and script["DEGREE"] == 5
    refit = script["least_squares"](x, y, sigma)
    t = (x - script["CENTRE"]) / script["HALF_WIDTH"]
    assert matching_digits(np.polynomial.legendre.legval(t, refit), problem.predict(problem.exact.coefficients)) >= 9


def test_running_the_script_prints_the_fit_and_plots_when_matplotlib_is_there(tmp_path):
    problem = years_problem("scaled", degree=3)
    path = write(tmp_path, problem, problem.exact.coefficients)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("y = ") and lines[1] == "63 points, degree 3"
    r_squared = float(next(line for line in lines if line.startswith("R^2")).split()[1])
    report = problem.report
    assert r_squared == pytest.approx(report.r_squared, rel=1e-9)
    assert "least-squares fit is at most" in result.stdout
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in result.stdout
        pytest.skip("matplotlib is not installed: the plotting part is not run")
    saved = subprocess.run(
        [sys.executable, str(path), "--save", "plot.png"], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert saved.returncode == 0, saved.stderr
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"


def test_the_script_refuses_unknown_arguments(tmp_path):
    problem = years_problem("scaled", degree=2)
    path = write(tmp_path, problem, problem.exact.coefficients)
    result = subprocess.run([sys.executable, str(path), "--frob"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.startswith("usage: python")


def test_what_cannot_be_a_script_is_refused_with_a_message():
    net = FitProblem(np.linspace(0, 1, 10), np.linspace(0, 1, 10), MLPModel((4,)))
    with pytest.raises(ExportError, match="neural net has no script"):
        fit_script(net, net.model.initial_params())
    empty = FitProblem.polynomial([], [], 2)
    with pytest.raises(ExportError, match="no data points"):
        fit_script(empty, np.zeros(3))
    problem = years_problem("scaled", degree=2)
    with pytest.raises(ExportError, match="not all finite"):
        fit_script(problem, np.array([1.0, np.nan, 0.0]))


def test_the_script_labels_its_axes_with_the_data_columns(tmp_path):
    problem = years_problem("scaled", degree=2)
    path = tmp_path / "named.py"
    path.write_text(fit_script(problem, problem.exact.coefficients, "co2", "year", 'CO₂ "ppm"'), encoding="utf-8")
    script = runpy.run_path(str(path))
    assert (script["X_NAME"], script["Y_NAME"]) == ("year", 'CO₂ "ppm"')
    assert runpy.run_path(str(write(tmp_path, problem, problem.exact.coefficients)))["X_NAME"] == "x"

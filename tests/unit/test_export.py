"""Exports: formulas that carry every digit of the fit, and reports that read back to the same numbers.

Formulas are checked by reading them back (text and LaTeX parsed, the NumPy expression evaluated in a
namespace holding nothing but ``np`` and ``x``); reports against a textbook least-squares computation.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.fitting import atomic, report_export
from workbench.fitting.atomic import atomic_write_bytes
from workbench.fitting.basis import Basis
from workbench.fitting.export import (
    ExportError,
    formula,
    formula_latex,
    formula_numpy,
    formula_text,
    problem_formula,
)
from workbench.fitting.models import MLPModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.report_export import (
    problem_report,
    report_csv,
    report_dict,
    report_json,
    report_text,
    save_report,
)
from workbench.fitting.stats import fit_report

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
coefficient_lists = st.lists(finite, min_size=1, max_size=8)


# -- reading formulas back ----------------------------------------------------------------------------------
def parse_text(text: str) -> dict[int, float]:
    """{power: coefficient} from ``formula_text``'s output."""
    body = text.removeprefix("y = ")
    if body == "0":
        return {}
    out = {}
    for term in re.split(r" (?=[+−] )", body):
        sign = -1.0 if term.startswith("−") else 1.0
        term = term.lstrip("+− ")
        m = re.fullmatch(r"(?P<n>[0-9.e+\-]+)?(?:·)?(?P<x>x(?:\^(?P<p>\d+))?)?", term)
        assert m and (m["n"] or m["x"]), term
        value = float(m["n"]) if m["n"] else 1.0
        power = 0 if not m["x"] else int(m["p"] or 1)
        out[power] = sign * value
    return out


def parse_latex(text: str) -> dict[int, float]:
    """{power: coefficient} from ``formula_latex``'s output."""
    body = text.removeprefix("y = ")
    if body == "0":
        return {}
    out = {}
    for term in re.split(r" (?=[+-] )", body):
        sign = -1.0 if term.startswith("-") else 1.0
        term = term.lstrip("+- ")
        m = re.fullmatch(
            r"(?:(?P<m>[0-9.]+)?(?:\\times )?(?:10\^\{(?P<e>-?\d+)\})?)(?:\\,)?"
            r"(?P<x>x(?:\^\{(?P<p>\d+)\})?)?",
            term,
        )
        assert m, term
        mantissa, exponent = m["m"], m["e"]
        value = 1.0 if mantissa is None and exponent is None else float(f"{mantissa or '1'}e{exponent or 0}")
        power = 0 if not m["x"] else int(m["p"] or 1)
        out[power] = sign * value
    return out


def nonzero(coefficients) -> dict[int, float]:
    return {i: float(c) for i, c in enumerate(coefficients) if c != 0}


def evaluate_numpy(expression: str, x):
    """Evaluate the exported expression with nothing in reach but NumPy and x."""
    return eval(expression, {"__builtins__": {}, "np": np}, {"x": x})  # noqa: S307 - the test's own output


# -- formulas -----------------------------------------------------------------------------------------------
def test_text_formula_reads_like_the_articles():
    assert formula_text([1.5, 2.25, -0.5]) == "y = 1.5 + 2.25·x − 0.5·x^2"
    assert formula_text([0.0, 1.0, 0.0, -1.0]) == "y = x − x^3"
    assert formula_text([-2.0, 0.0]) == "y = −2"
    assert formula_text([0.0, -0.0]) == "y = 0"
    assert formula_text([0.0, -3.0]) == "y = −3·x"


def test_latex_formula_with_scientific_notation():
    assert formula_latex([1.5, 2.25, -0.5]) == "y = 1.5 + 2.25x - 0.5x^{2}"
    assert formula_latex([1.5e-7, -3e20, 1.0]) == r"y = 1.5\times 10^{-7} - 3\times 10^{20}\,x + x^{2}"
    assert formula_latex([1e-300]) == r"y = 10^{-300}"
    assert formula_latex([0.0, 0.0]) == "y = 0"


def test_numpy_formula_keeps_every_coefficient():
    assert formula_numpy([1.5, 0.0, -0.5]) == "np.polynomial.polynomial.polyval(x, [1.5, 0.0, -0.5])"
    assert "np.float64" not in formula_numpy(np.array([1.5, 2.0]))


@settings(max_examples=200, deadline=None)
@given(coefficient_lists)
def test_every_form_reads_back_to_the_same_doubles(coefficients):
    assert parse_text(formula_text(coefficients)) == nonzero(coefficients)
    assert parse_latex(formula_latex(coefficients)) == nonzero(coefficients)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=8),
    st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=20),
)
def test_numpy_expression_evaluates_to_the_same_numbers(coefficients, xs):
    x = np.array(xs)
    expected = np.polynomial.polynomial.polyval(x, np.array(coefficients))
    got = evaluate_numpy(formula_numpy(coefficients), x)
    np.testing.assert_array_equal(got, expected)


def test_non_finite_coefficient_is_refused_with_its_name():
    with pytest.raises(ExportError, match=r"k1 is inf"):
        formula_text([1.0, math.inf])
    with pytest.raises(ExportError, match=r"k0 is nan"):
        formula_numpy([math.nan])
    with pytest.raises(ExportError, match="no coefficients"):
        formula_latex([])
    with pytest.raises(ExportError, match="Unknown formula form 'python'"):
        formula([1.0], "python")


def test_problem_formula_is_in_the_users_x_whatever_the_basis():
    x = np.linspace(10.0, 20.0, 30)
    y = 0.5 * x**2 - 3 * x + 1 + np.sin(x)
    problem = FitProblem.polynomial(x, y, degree=3, basis="legendre")
    theta = problem.exact.coefficients
    expression = problem_formula(problem, theta, "numpy")
    monomial = problem.monomial_coefficients(theta)
    np.testing.assert_array_equal(evaluate_numpy(expression, x), np.polynomial.polynomial.polyval(x, monomial))
    np.testing.assert_allclose(evaluate_numpy(expression, x), problem.predict(theta), rtol=1e-9)
    assert parse_text(problem_formula(problem, theta, "text")) == nonzero(monomial)


def test_the_neural_net_has_no_formula_and_says_so():
    x = np.linspace(-1, 1, 10)
    net = FitProblem(x, x**2, MLPModel((3,), Basis("scaled", -1.0, 1.0)))
    theta = np.zeros(net.n_params)
    with pytest.raises(ExportError, match="neural net has no formula.*Switch Model to polynomial"):
        problem_formula(net, theta, "text")
    with pytest.raises(ExportError, match="neural net has no statistical report"):
        problem_report(net)


# -- reports ------------------------------------------------------------------------------------------------
def textbook(x, y, degree):
    """Ordinary least squares the textbook way: lstsq, σ² = RSS/dof, Cov = σ²·inv(XᵀX)."""
    design = np.vander(x, degree + 1, increasing=True)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    n, p = x.size, degree + 1
    rss = float(resid @ resid)
    dof = n - p
    sigma2 = rss / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(design.T @ design)))
    r2 = 1 - rss / float(np.sum((y - y.mean()) ** 2))
    return {
        "coef": coef,
        "se": se,
        "r2": r2,
        "adj": 1 - (1 - r2) * (n - 1) / dof,
        "rmse": math.sqrt(rss / n),
        "sd": math.sqrt(sigma2),
        "dof": dof,
        "rss": rss,
    }


@pytest.fixture
def noisy_cubic():
    x = np.linspace(-2.0, 3.0, 25)
    y = 1.0 - 0.5 * x + 0.25 * x**3 + 0.3 * np.sin(5.1 * x)
    return x, y


def test_json_report_matches_an_independent_computation(noisy_cubic):
    x, y = noisy_cubic
    data = json.loads(report_json(problem_report(FitProblem.polynomial(x, y, degree=3))))
    ref = textbook(x, y, 3)
    assert data["kind"] == report_export.JSON_KIND and data["version"] == 1 and data["weighted"] is False
    np.testing.assert_allclose([c["value"] for c in data["coefficients"]], ref["coef"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([c["std_error"] for c in data["coefficients"]], ref["se"], rtol=1e-9)
    np.testing.assert_allclose([c["t_value"] for c in data["coefficients"]], ref["coef"] / ref["se"], rtol=1e-8)
    assert [c["power"] for c in data["coefficients"]] == [0, 1, 2, 3]
    for key, ref_key in (
        ("r_squared", "r2"),
        ("adjusted_r_squared", "adj"),
        ("rmse", "rmse"),
        ("residual_sd", "sd"),
        ("rss", "rss"),
    ):
        assert data[key] == pytest.approx(ref[ref_key], rel=1e-10)
    assert (data["dof"], data["n_points"], data["degree"]) == (21, 25, 3)
    assert np.asarray(data["covariance"]).shape == (4, 4)
    assert data["formula"]["text"].startswith("y = ")


def test_json_and_csv_carry_the_report_exactly(noisy_cubic):
    x, y = noisy_cubic
    report = fit_report(x, y, 3)
    data = report_dict(report)
    assert json.loads(report_json(report)) == json.loads(json.dumps(data))  # floats survive the text
    assert [c["value"] for c in json.loads(report_json(report))["coefficients"]] == report.coefficients.tolist()
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert rows[0] == ["quantity", "value", "std_error", "t_value"]
    table = {row[0]: row[1:] for row in rows[1:]}
    for i in range(4):
        value, se, t = (float(v) for v in table[f"k{i}"])
        assert value == report.coefficients[i]
        assert se == report.standard_errors[i]
        assert t == report.t_values[i]
    assert float(table["r_squared"][0]) == report.r_squared
    assert float(table["adjusted_r_squared"][0]) == report.adjusted_r_squared
    assert float(table["rmse"][0]) == report.rmse
    assert int(table["dof"][0]) == report.dof == 21
    assert table["weighted"][0] == "no"


def test_an_interpolating_fit_exports_its_reason_not_nan():
    report = fit_report([0.0, 1.0, 2.0], [1.0, 3.0, 2.0], 2)
    text = report_json(report)
    assert "NaN" not in text
    data = json.loads(text)
    assert data["standard_errors_unavailable"] == report.why and report.why
    assert all(c["std_error"] is None and c["t_value"] is None for c in data["coefficients"])
    assert data["adjusted_r_squared"] is None and data["covariance"] is None
    assert any("interpolates" in w for w in data["warnings"])
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert ["k0", repr(float(report.coefficients[0])), "", ""] in rows
    assert any(row[0] == "standard_errors_unavailable" and row[1] == report.why for row in rows)
    assert any(row[0] == "warning" for row in rows)
    assert "Standard errors unavailable" in report_text(report)


def test_weighted_report_says_so():
    x = np.linspace(0.0, 4.0, 12)
    sigma = np.linspace(0.1, 1.0, 12)
    problem = FitProblem.polynomial(x, 2 * x + np.cos(3 * x), degree=1, sigma=sigma)
    report = problem_report(problem)
    assert report.weighted
    assert report_dict(report)["weighted"] is True
    assert "weights 1/σ²" in report_text(report)
    assert "weighted RSS" in report_text(report)


def test_text_report_lists_every_coefficient_at_full_precision(noisy_cubic):
    x, y = noisy_cubic
    report = fit_report(x, y, 3)
    text = report_text(report)
    for i, c in enumerate(report.coefficients):
        assert re.search(rf"^k{i}\s+{re.escape(repr(float(c)))}\s", text, re.M)
    for label in ("R²:", "adjusted R²:", "RMSE:", "residual degrees of freedom: 21", "N: 25"):
        assert label in text
    assert formula_text(report.coefficients) in text


def test_no_data_no_report():
    with pytest.raises(ExportError, match="no data points"):
        problem_report(FitProblem.polynomial([], [], degree=2))


# -- writing files ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "json", "text"])
def test_save_report_writes_each_format(tmp_path, noisy_cubic, fmt):
    report = fit_report(*noisy_cubic, 3)
    path = tmp_path / f"report.{fmt}"
    save_report(report, path, fmt)
    assert path.read_text(encoding="utf-8") == report_export.report_as(report, fmt)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_failed_save_keeps_the_old_report_and_leaves_no_temp_file(tmp_path, noisy_cubic, monkeypatch):
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")

    def boom(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_report(fit_report(*noisy_cubic, 3), path, "json")
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    with pytest.raises(ExportError, match="Unknown report format 'xml'"):
        save_report(fit_report(*noisy_cubic, 3), path, "xml")
    assert path.read_text(encoding="utf-8") == "old"


def test_atomic_write_bytes_round_trips(tmp_path):
    path = tmp_path / "image.bin"
    payload = bytes(range(256)) * 3
    atomic_write_bytes(path, payload)
    atomic_write_bytes(path, payload[::-1])
    assert path.read_bytes() == payload[::-1]
    assert [p.name for p in tmp_path.iterdir()] == ["image.bin"]

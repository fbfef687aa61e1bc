"""Report exports of both kinds of fit: a polynomial's exact fit and a formula's Levenberg–Marquardt fit, each
named after the data's columns and counting the points held out for validation."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest

from workbench.fitting.data import Dataset
from workbench.fitting.export import ExportError
from workbench.fitting.formula_model import FormulaModel
from workbench.fitting.least_squares import solve_least_squares
from workbench.fitting.problem import FitProblem
from workbench.fitting.report_export import (
    NO_FORMULA_STATISTICS,
    ReportData,
    current_report,
    report_csv,
    report_dict,
    report_json,
    report_text,
)
from workbench.fitting.stats import fit_report

X = np.linspace(0.0, 4.0, 28)
Y = 2.0 * np.exp(-0.7 * X) + 0.5 + 0.02 * np.sin(7.3 * X)
SIGMA = np.linspace(0.01, 0.04, X.size)
DECAY = "a*exp(-b*x) + c"
CO2 = ReportData(x_name="year", y_name="ppm", held_out=12, name="co2")


def decay_fit(sigma=None):
    return solve_least_squares(FitProblem(X, Y, FormulaModel(DECAY), sigma=sigma), np.array([1.0, 1.0, 0.0]))


def test_a_formula_report_has_one_row_per_named_parameter():
    fit = decay_fit()
    assert fit.stop_reason == "converged"
    data = json.loads(report_json(fit))
    assert data["model"] == "formula" and data["formula_model"] == DECAY
    assert [row["name"] for row in data["coefficients"]] == ["a", "b", "c"]
    assert [row["value"] for row in data["coefficients"]] == fit.params.tolist()  # every digit
    assert [row["std_error"] for row in data["coefficients"]] == fit.standard_errors.tolist()
    assert "power" not in data["coefficients"][0]
    assert data["dof"] == X.size - 3 and data["steps"] == fit.steps and data["stop_reason"] == "converged"
    assert data["rmse"] == pytest.approx(np.sqrt(np.mean(fit.residuals**2)), rel=1e-12)
    assert np.asarray(data["correlation"]).shape == (3, 3)
    assert data["formula"]["text"].startswith("y = ") and "exp" in data["formula"]["text"]
    assert data["residuals_are"].startswith("y − ŷ")

    text = report_text(fit)
    assert "Levenberg–Marquardt" in text and f"y = {DECAY}" in text
    for name, value in fit.parameters().items():
        assert re.search(rf"^{name}\s+{re.escape(repr(value))}\s", text, re.M)
    assert "Residuals are y − ŷ" in text

    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(report_csv(fit)))}
    assert float(rows["b"][0]) == fit.params[1] and float(rows["b"][1]) == fit.standard_errors[1]
    assert rows["stop_reason"][0] == "converged"


def test_a_weighted_formula_report_gives_chi_squared_in_units_of_sigma():
    fit = decay_fit(SIGMA)
    chi2 = float(np.sum((fit.residuals / SIGMA) ** 2))
    assert fit.chi_squared == pytest.approx(chi2, rel=1e-10)
    assert fit.reduced_chi_squared == pytest.approx(chi2 / (X.size - 3), rel=1e-10)
    assert fit.residual_units == "σ"
    data = report_dict(fit)
    assert data["chi_squared"] == pytest.approx(chi2, rel=1e-10) and data["residual_units"] == "sigma"
    text = report_text(fit)
    assert "reduced χ² (χ²/dof)" in text and "residual SD (in units of σ)" in text and "weights 1/σ²" in text
    assert decay_fit().chi_squared is None and decay_fit().residual_units == "y"


@pytest.mark.parametrize("kind", ["polynomial", "formula"])
def test_reports_name_the_columns_and_count_the_held_out_points(kind):
    report = fit_report(X, Y, 2) if kind == "polynomial" else decay_fit()
    text = report_text(report, CO2)
    assert "to 28 points (12 more held out for validation)" in text.splitlines()[0]
    assert "Data: ppm (y) against year (x)." in text.splitlines()[0]
    assert "held out for validation (not in these statistics): 12" in text
    data = report_dict(report, CO2)
    assert data["data"] == {"name": "co2", "x_column": "year", "y_column": "ppm", "n_points": 28, "held_out": 12}
    rows = {row[0]: row[1] for row in csv.reader(io.StringIO(report_csv(report, CO2)))}
    assert (rows["held_out"], rows["x_column"], rows["y_column"]) == ("12", "year", "ppm")
    plain = report_text(report)
    assert "held out" not in plain and "Data:" not in plain and re.search(r"to 28 points[.,]", plain.splitlines()[0])


def test_report_data_of_a_dataset_and_the_points_sentence():
    dataset = Dataset(X, Y, "co2", None, "year", "ppm")
    about = ReportData.of(dataset, held_out=1)
    assert (about.x_name, about.y_name, about.name) == ("year", "ppm", "co2")
    assert about.points(1) == "1 point (1 more held out for validation)"
    assert ReportData().points(12_000) == "12,000 points"


def test_a_formula_before_solve_has_no_report_and_says_to_press_solve():
    problem = FitProblem(X, Y, FormulaModel(DECAY))
    with pytest.raises(ExportError) as caught:
        current_report(problem, None)
    assert str(caught.value) == NO_FORMULA_STATISTICS and "Press Solve (Levenberg–Marquardt)" in str(caught.value)
    fit = decay_fit()
    assert current_report(problem, fit) is fit
    polynomial = FitProblem.polynomial(X, Y, degree=2)
    assert current_report(polynomial, None).degree == 2

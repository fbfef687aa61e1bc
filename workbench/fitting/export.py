"""Results out: the fitted polynomial as a formula, and the fit report as CSV, JSON or plain text.

Nothing here rounds for looks.  Every coefficient is written with ``repr`` of a Python float, the
shortest decimal that reads back as the very same double, so a formula pasted into another program, or
a report read back by a script, carries the fit exactly.  Formulas are always in powers of the user's
own x (``FitProblem.monomial_coefficients``), whatever basis the knobs live in.

Writing goes through ``atomic``: a failed export never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from .atomic import atomic_write_text
from .formula_model import FormulaModel
from .problem import FitProblem
from .stats import FitReport

FORMULA_FORMS = ("text", "latex", "numpy")
"""Plain text (y = 1.5 + 2.25·x − 0.5·x^2), LaTeX, and a NumPy expression in a variable ``x``."""

REPORT_FORMATS = ("csv", "json", "text")

NO_FORMULA_FOR_NET = (
    "The neural net has no formula to export: its curve is a composition of tanh layers, "
    "not a polynomial. Switch Model to polynomial to export a formula."
)
NO_REPORT_FOR_NET = (
    "The neural net has no statistical report: standard errors and R² describe a "
    "least-squares polynomial fit. Switch Model to polynomial to export the report."
)

JSON_KIND = "curve-fitter-workbench fit report"
PREDICTION_BAND = "a new observation with the scatter of the data (residual SD)"
PREDICTION_BAND_WEIGHTED = (
    "a new observation whose σ is interpolated from the data's σ at its x, scaled by √(reduced χ²)"
)
JSON_VERSION = 1


class ExportError(ValueError):
    """Something cannot be exported; the message says what, and how to fix it."""


# -- numbers ------------------------------------------------------------------------------------------------
def _checked(coefficients: ArrayLike) -> list[float]:
    """Plain Python floats (``repr`` of a NumPy scalar would read ``np.float64(…)``), all finite."""
    values = [float(c) for c in np.asarray(coefficients, dtype=np.float64).ravel()]
    if not values:
        raise ExportError("There are no coefficients to write: the polynomial is empty.")
    for i, c in enumerate(values):
        if not math.isfinite(c):
            raise ExportError(
                f"Coefficient k{i} is {c!r}, not a finite number: reset the knobs or solve exactly "
                "before exporting the formula."
            )
    return values


def _plain_number(value: float) -> str:
    """repr without a pointless trailing ".0" (2.0 → "2"; the text still reads back as the same double)."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _latex_number(value: float) -> tuple[str, bool]:
    """(LaTeX for a non-negative value, True when it is in scientific notation)."""
    text = _plain_number(value)
    if "e" not in text:
        return text, False
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return (power if mantissa == "1" else f"{mantissa}\\times {power}"), True


# -- formulas -----------------------------------------------------------------------------------------------
def _terms(coefficients: ArrayLike) -> list[tuple[int, float]]:
    """(power, coefficient) of the non-zero terms, lowest power first."""
    return [(i, c) for i, c in enumerate(_checked(coefficients)) if c != 0.0]


def formula_text(coefficients: ArrayLike) -> str:
    """The polynomial Σ k_i·x^i as readable text: ``y = 1.5 + 2.25·x − 0.5·x^2``."""
    parts: list[str] = []
    for power, c in _terms(coefficients):
        magnitude = abs(c)
        if power == 0:
            body = _plain_number(magnitude)
        else:
            x = "x" if power == 1 else f"x^{power}"
            body = x if magnitude == 1.0 else f"{_plain_number(magnitude)}·{x}"
        if not parts:
            parts.append(("−" if c < 0 else "") + body)
        else:
            parts.append(("− " if c < 0 else "+ ") + body)
    return "y = " + (" ".join(parts) if parts else "0")


def formula_latex(coefficients: ArrayLike) -> str:
    """The polynomial in LaTeX: ``y = 1.5 + 2.25x - 0.5x^{2}``, tiny or huge numbers as a\\times 10^{n}."""
    parts: list[str] = []
    for power, c in _terms(coefficients):
        number, scientific = _latex_number(abs(c))
        if power == 0:
            body = number
        else:
            x = "x" if power == 1 else f"x^{{{power}}}"
            # A thin space keeps "×10^{-7} x" from reading as an exponent of x.
            body = x if abs(c) == 1.0 else number + ("\\," if scientific else "") + x
        if not parts:
            parts.append(("-" if c < 0 else "") + body)
        else:
            parts.append(("- " if c < 0 else "+ ") + body)
    return "y = " + (" ".join(parts) if parts else "0")


def formula_numpy(coefficients: ArrayLike) -> str:
    """A NumPy expression in ``x`` (needs ``import numpy as np``) that evaluates the polynomial exactly as
    ``np.polynomial.polynomial.polyval`` does with these coefficients: every one is kept, zeros too."""
    values = ", ".join(repr(c) for c in _checked(coefficients))
    return f"np.polynomial.polynomial.polyval(x, [{values}])"


FORMATTERS: dict[str, Callable[[ArrayLike], str]] = {
    "text": formula_text,
    "latex": formula_latex,
    "numpy": formula_numpy,
}


def formula(coefficients: ArrayLike, form: str) -> str:
    """The polynomial with these powers-of-x coefficients in ``form`` ("text", "latex" or "numpy")."""
    try:
        formatter = FORMATTERS[form]
    except KeyError:
        raise ExportError(f"Unknown formula form {form!r}: choose one of {', '.join(FORMULA_FORMS)}.") from None
    return formatter(coefficients)


def problem_formula(problem: FitProblem, theta, form: str) -> str:
    """The current curve (knobs ``theta`` of ``problem``) as a formula in the user's x: a polynomial in
    powers of x, or the user's own formula with the knobs' values written in."""
    if isinstance(problem.model, FormulaModel):
        return _formula_with_values(problem.model, theta, form)
    if not problem.is_polynomial:
        raise ExportError(NO_FORMULA_FOR_NET)
    return formula(problem.monomial_coefficients(theta), form)


_FUNCTIONS = re.compile(r"\b(exp|log|sqrt|sin|cos|tan|arctan|atan|tanh|abs)\(")
_CONSTANTS = re.compile(r"\b(pi|e)\b(?!\()")


def _formula_with_values(model: FormulaModel, theta, form: str) -> str:
    """A formula model's curve: "text" as the user wrote it with every digit of the values, "numpy" as a
    NumPy expression of x (LaTeX is offered for polynomials)."""
    text = model.with_values(theta)
    if form == "text":
        return f"y = {text}"
    if form == "numpy":
        code = _FUNCTIONS.sub(lambda m: "np." + {"atan": "arctan"}.get(m.group(1), m.group(1)) + "(", text)
        return _CONSTANTS.sub(lambda m: "np." + m.group(1), code).replace("^", "**")
    raise ExportError("A formula is copied as text or as a NumPy expression; LaTeX is offered for polynomials.")


# -- the report ---------------------------------------------------------------------------------------------
def problem_report(problem: FitProblem) -> FitReport:
    """The problem's least-squares report, or an ``ExportError`` saying why there is none."""
    if not problem.is_polynomial:
        raise ExportError(NO_REPORT_FOR_NET)
    if problem.x.size == 0:
        raise ExportError("There are no data points, so there is no fit to report: add or open some data first.")
    try:
        report = problem.report
    except ValueError as exc:
        raise ExportError(f"The fit report cannot be computed: {exc}") from None
    if report is None:
        raise ExportError("The fit report cannot be computed for this model.")
    return report


def _finite_or_none(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _coefficient_rows(report: FitReport) -> list[dict]:
    ses, ts = report.standard_errors, report.t_values
    return [
        {
            "name": f"k{i}",
            "power": i,
            "value": float(report.coefficients[i]),
            "std_error": None if ses is None else _finite_or_none(ses[i]),
            "t_value": None if ts is None else _finite_or_none(ts[i]),
        }
        for i in range(report.degree + 1)
    ]


def _summary(report: FitReport) -> list[tuple[str, str, float | int | None]]:
    """(key, label, value) of the report's single numbers; a weighted fit's scatter is in units of σ."""
    unit = " (in units of σ)" if report.weighted else ""
    rows: list[tuple[str, str, float | int | None]] = [
        ("r_squared", "R²" + (" (weighted)" if report.weighted else ""), _finite_or_none(report.r_squared)),
        ("adjusted_r_squared", "adjusted R²", _finite_or_none(report.adjusted_r_squared)),
        ("rmse", "RMSE" + unit, _finite_or_none(report.rmse)),
        ("residual_sd", "residual SD" + unit, _finite_or_none(report.residual_sd)),
        ("rss", "weighted RSS (χ²)" if report.weighted else "RSS", _finite_or_none(report.rss)),
    ]
    if report.weighted:
        rows += [
            ("chi_squared", "χ²", _finite_or_none(report.chi_squared)),
            ("reduced_chi_squared", "reduced χ² (χ²/dof)", _finite_or_none(report.reduced_chi_squared)),
        ]
    return rows + [
        ("dof", "residual degrees of freedom", int(report.dof)),
        ("n_points", "N", int(report.n_points)),
        ("degree", "degree", int(report.degree)),
        ("rank", "rank of the design matrix", int(report.rank)),
    ]


def report_dict(report: FitReport) -> dict:
    """The report as JSON-ready data (a number that is not finite, or not available, is ``None``)."""
    covariance = None
    if report.covariance is not None:
        covariance = [[_finite_or_none(v) for v in row] for row in report.covariance]
    data = {
        "kind": JSON_KIND,
        "version": JSON_VERSION,
        "fit": "weighted least squares (weights 1/σ²)" if report.weighted else "least squares",
        "weighted": bool(report.weighted),
        "coefficients_are": "powers of x: y = k0 + k1·x + k2·x^2 + …",
        "coefficients": _coefficient_rows(report),
        "residual_units": "sigma" if report.weighted else "y",
    }
    data.update({key: value for key, _, value in _summary(report)})
    data.update(
        {
            "covariance": covariance,
            "standard_errors_unavailable": report.why,
            "prediction_band": PREDICTION_BAND_WEIGHTED if report.weighted else PREDICTION_BAND,
            "warnings": list(report.warnings),
            "formula": {form: formula(report.coefficients, form) for form in FORMULA_FORMS},
        }
    )
    return data


def report_json(report: FitReport) -> str:
    """The report as JSON (floats as ``repr``: they read back as the same doubles; no NaN, it is not JSON)."""
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def report_csv(report: FitReport) -> str:
    """The report as CSV: one row per coefficient (value, std_error, t_value), then one per statistic,
    then the notes; a cell with nothing to say is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["quantity", "value", "std_error", "t_value"])

    def cell(value) -> str:
        return "" if value is None else repr(value)

    for row in _coefficient_rows(report):
        writer.writerow([row["name"], cell(row["value"]), cell(row["std_error"]), cell(row["t_value"])])
    for key, _, value in _summary(report):
        writer.writerow([key, cell(value), "", ""])
    writer.writerow(["weighted", "yes" if report.weighted else "no", "", ""])
    if report.why:
        writer.writerow(["standard_errors_unavailable", report.why, "", ""])
    for warning in report.warnings:
        writer.writerow(["warning", warning, "", ""])
    return out.getvalue()


def report_text(report: FitReport) -> str:
    """The report as plain text for people: a coefficient table, the statistics, the notes, the formula."""
    fit = "Weighted least-squares (weights 1/σ²)" if report.weighted else "Least-squares"
    lines = [
        f"{fit} polynomial fit of degree {report.degree} to {report.n_points} points.",
        "Coefficients of powers of x: y = k0 + k1·x + k2·x^2 + …",
        "",
    ]
    width = 24
    lines.append(f"{'':<4}  {'coefficient':>{width}}  {'std. error':>{width}}  {'t value':>{width}}")
    for row in _coefficient_rows(report):
        cells = [("—" if row[k] is None else repr(row[k])) for k in ("value", "std_error", "t_value")]
        lines.append(f"{row['name']:<4}  " + "  ".join(f"{c:>{width}}" for c in cells))
    lines.append("")
    lines += [f"{label}: {'—' if value is None else repr(value)}" for _, label, value in _summary(report)]
    lines += ["", f"Prediction bands describe {PREDICTION_BAND_WEIGHTED if report.weighted else PREDICTION_BAND}."]
    if report.why:
        lines += ["", f"Standard errors unavailable: {report.why}"]
    if report.warnings:
        lines += ["", "Warnings:"] + [f"  - {w}" for w in report.warnings]
    lines += ["", formula_text(report.coefficients)]
    return "\n".join(lines) + "\n"


REPORT_WRITERS: dict[str, Callable[[FitReport], str]] = {"csv": report_csv, "json": report_json, "text": report_text}


def report_as(report: FitReport, fmt: str) -> str:
    """The report in ``fmt`` ("csv", "json" or "text")."""
    try:
        writer = REPORT_WRITERS[fmt]
    except KeyError:
        raise ExportError(f"Unknown report format {fmt!r}: choose one of {', '.join(REPORT_FORMATS)}.") from None
    return writer(report)


def save_report(report: FitReport, path: str | Path, fmt: str) -> None:
    """Write the report to ``path`` in ``fmt``, atomically (an existing file survives any error intact)."""
    text = report_as(report, fmt)  # formatted first: a formatting error must not touch the disk
    atomic_write_text(path, text)

"""The fit report as CSV, JSON or plain text: a polynomial's exact least-squares fit (``FitReport``) or a
formula's Levenberg–Marquardt fit (``NonlinearFit``), with the data it describes.

Nothing here rounds for looks: every number is written with ``repr`` of a Python float, the shortest
decimal that reads back as the very same double.  ``ReportData`` says what the fit is of: the file's
column names (a report of ppm against year says so) and how many points were held out for validation
(the statistics describe the training points: "28 points (12 more held out for validation)").

Writing goes through ``atomic``: a failed export never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import export, number_text
from .atomic import atomic_write_text
from .export import ExportError, formula_text
from .formula_model import FormulaModel
from .nonlinear_report import NonlinearFit
from .problem import FitProblem
from .stats import FitReport

REPORT_FORMATS = ("csv", "json", "text")
JSON_KIND = "curve-fitter-workbench fit report"
JSON_VERSION = 1
PREDICTION_BAND = "a new observation with the scatter of the data (residual SD)"
PREDICTION_BAND_WEIGHTED = (
    "a new observation whose σ is interpolated from the data's σ at its x, scaled by √(reduced χ²)"
)
NO_REPORT_FOR_NET = (
    "The neural net has no statistical report: standard errors and R² describe a "
    "least-squares fit. Switch Model to polynomial (or formula) to export the report."
)
NO_FORMULA_STATISTICS = (
    "Press Solve (Levenberg–Marquardt) for the formula's statistics: standard errors, correlations and R² "
    "describe the least-squares fit it finds."
)

Report = FitReport | NonlinearFit


@dataclass(frozen=True)
class ReportData:
    """What a report is of: the data's name and column names, and how many points were held out."""

    x_name: str = "x"
    y_name: str = "y"
    held_out: int = 0  # points held out for validation (not in the fit, not in its statistics)
    name: str = ""

    @classmethod
    def of(cls, dataset, held_out: int = 0) -> ReportData:
        """The description of a ``Dataset`` with ``held_out`` of its points kept out of the fit."""
        return cls(dataset.x_name or "x", dataset.y_name or "y", int(held_out), dataset.name or "")

    def points(self, n: int) -> str:
        """``28 points (12 more held out for validation)``: the fitted points and the others."""
        text = number_text.counted(n, "point")
        if self.held_out:
            text += f" ({number_text.count(self.held_out)} more held out for validation)"
        return text

    def columns(self) -> str:
        """``ppm (y) against year (x)``; empty when the columns are plain x and y."""
        if (self.x_name, self.y_name) == ("x", "y"):
            return ""
        return f"{self.y_name} (y) against {self.x_name} (x)"


PLAIN_DATA = ReportData()


# -- which report ---------------------------------------------------------------------------------------------
def problem_report(problem: FitProblem) -> FitReport:
    """A polynomial problem's least-squares report, or an ``ExportError`` saying why there is none."""
    if not problem.is_polynomial:
        raise ExportError(NO_FORMULA_STATISTICS if isinstance(problem.model, FormulaModel) else NO_REPORT_FOR_NET)
    if problem.x.size == 0:
        raise ExportError("There are no data points, so there is no fit to report: add or open some data first.")
    try:
        report = problem.report
    except ValueError as exc:
        raise ExportError(f"The fit report cannot be computed: {exc}") from None
    if report is None:
        raise ExportError("The fit report cannot be computed for this model.")
    return report


def current_report(problem: FitProblem, landmark) -> Report:
    """The report of what the window shows: a polynomial's exact fit, or a formula's Levenberg–Marquardt
    fit ``landmark`` once solved (else an ``ExportError`` saying to press Solve)."""
    if isinstance(problem.model, FormulaModel):
        if problem.x.size == 0:
            raise ExportError("There are no data points, so there is no fit to report: add or open some data first.")
        if not isinstance(landmark, NonlinearFit):
            raise ExportError(NO_FORMULA_STATISTICS)
        return landmark
    return problem_report(problem)


# -- what every report holds ---------------------------------------------------------------------------------
def is_formula(report: Report) -> bool:
    """True for a formula's Levenberg–Marquardt fit, False for a polynomial's exact fit."""
    return isinstance(report, NonlinearFit)


def _finite_or_none(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def parameter_rows(report: Report) -> list[dict]:
    """One dict per coefficient or parameter: name, value, std_error, t_value (and power, for polynomials)."""
    ses, ts = report.standard_errors, report.t_values
    names = report.names if isinstance(report, NonlinearFit) else [f"k{i}" for i in range(report.degree + 1)]
    rows = []
    for i, name in enumerate(names):
        row: dict[str, object] = {"name": name}
        if not isinstance(report, NonlinearFit):
            row["power"] = i
        row.update(
            value=float(report.coefficients[i]),
            std_error=None if ses is None else _finite_or_none(ses[i]),
            t_value=None if ts is None else _finite_or_none(ts[i]),
        )
        rows.append(row)
    return rows


def summary_rows(report: Report) -> list[tuple[str, str, float | int | str | None]]:
    """(key, label, value) of the report's single numbers; a weighted fit's scatter is in units of σ."""
    unit = " (in units of σ)" if report.weighted else ""
    rows: list[tuple[str, str, float | int | str | None]] = [
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
    rows += [
        ("dof", "residual degrees of freedom", int(report.dof)),
        ("n_points", "N", int(report.n_points)),
    ]
    if isinstance(report, NonlinearFit):
        return rows + [
            ("steps", "Levenberg–Marquardt steps", int(report.steps)),
            ("stop_reason", "stopped because", report.stop_reason),
        ]
    return rows + [("degree", "degree", int(report.degree)), ("rank", "rank of the design matrix", int(report.rank))]


def fitted_formula(report: Report) -> str:
    """The fitted curve as text, in the user's x, with every digit: ``y = 1.5 + 2.25·x`` or the user's formula."""
    if isinstance(report, NonlinearFit):
        model = report.model
        if isinstance(model, FormulaModel):
            return f"y = {model.with_values(report.params)}"
        return ""
    return formula_text(report.coefficients)


def describe_fit(report: Report, data: ReportData = PLAIN_DATA) -> str:
    """The report's first line: what was fitted to which points."""
    points = data.points(report.n_points)
    weighted = report.weighted
    if isinstance(report, NonlinearFit):
        model = report.model
        what = f"y = {model.text}" if isinstance(model, FormulaModel) else "the model"
        fit = "Weighted nonlinear least-squares (weights 1/σ²)" if weighted else "Nonlinear least-squares"
        line = f"{fit} fit of {what} to {points}, by Levenberg–Marquardt."
    else:
        fit = "Weighted least-squares (weights 1/σ²)" if weighted else "Least-squares"
        line = f"{fit} polynomial fit of degree {report.degree} to {points}."
    columns = data.columns()
    return line + (f" Data: {columns}." if columns else "")


# -- the three formats ---------------------------------------------------------------------------------------
def report_dict(report: Report, data: ReportData = PLAIN_DATA) -> dict:
    """The report as JSON-ready data (a number that is not finite, or not available, is ``None``)."""
    nonlinear = isinstance(report, NonlinearFit)
    covariance = None
    if report.covariance is not None:
        covariance = [[_finite_or_none(v) for v in row] for row in report.covariance]
    fit = "weighted least squares (weights 1/σ²)" if report.weighted else "least squares"
    out: dict = {
        "kind": JSON_KIND,
        "version": JSON_VERSION,
        "model": "formula" if nonlinear else "polynomial",
        "fit": ("nonlinear " + fit + " (Levenberg–Marquardt)") if nonlinear else fit,
        "weighted": bool(report.weighted),
        "data": {
            "name": data.name,
            "x_column": data.x_name,
            "y_column": data.y_name,
            "n_points": int(report.n_points),
            "held_out": int(data.held_out),
        },
        "residuals_are": "y − ŷ (data minus curve)",
    }
    if isinstance(report, NonlinearFit):
        out["formula_model"] = report.model.text if isinstance(report.model, FormulaModel) else None
    else:
        out["coefficients_are"] = "powers of x: y = k0 + k1·x + k2·x^2 + …"
    out["coefficients"] = parameter_rows(report)
    out["residual_units"] = "sigma" if report.weighted else "y"
    out.update({key: value for key, _, value in summary_rows(report)})
    out["covariance"] = covariance
    if isinstance(report, NonlinearFit):
        correlation = report.correlation
        out["correlation"] = None if correlation is None else [[_finite_or_none(v) for v in r] for r in correlation]
    out.update(
        {
            "standard_errors_unavailable": report.why,
            "prediction_band": PREDICTION_BAND_WEIGHTED if report.weighted else PREDICTION_BAND,
            "warnings": list(report.warnings),
        }
    )
    if isinstance(report, NonlinearFit):
        out["formula"] = {"text": fitted_formula(report)}
    else:
        out["formula"] = {form: export.formula(report.coefficients, form) for form in export.FORMULA_FORMS}
    return out


def report_json(report: Report, data: ReportData = PLAIN_DATA) -> str:
    """The report as JSON (floats as ``repr``: they read back as the same doubles; no NaN, it is not JSON)."""
    return json.dumps(report_dict(report, data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def report_csv(report: Report, data: ReportData = PLAIN_DATA) -> str:
    """The report as CSV: one row per coefficient (value, std_error, t_value), then one per statistic,
    then what the data are and the notes; a cell with nothing to say is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["quantity", "value", "std_error", "t_value"])

    def cell(value) -> str:
        if value is None:
            return ""
        return value if isinstance(value, str) else repr(value)

    for row in parameter_rows(report):
        writer.writerow([row["name"], cell(row["value"]), cell(row["std_error"]), cell(row["t_value"])])
    for key, _, value in summary_rows(report):
        writer.writerow([key, cell(value), "", ""])
    writer.writerow(["held_out", repr(int(data.held_out)), "", ""])
    writer.writerow(["x_column", data.x_name, "", ""])
    writer.writerow(["y_column", data.y_name, "", ""])
    writer.writerow(["weighted", "yes" if report.weighted else "no", "", ""])
    if report.why:
        writer.writerow(["standard_errors_unavailable", report.why, "", ""])
    for warning in report.warnings:
        writer.writerow(["warning", warning, "", ""])
    return out.getvalue()


def report_text(report: Report, data: ReportData = PLAIN_DATA) -> str:
    """The report as plain text for people: a coefficient table, the statistics, the notes, the formula."""
    nonlinear = isinstance(report, NonlinearFit)
    lines = [describe_fit(report, data)]
    if not nonlinear:
        lines.append("Coefficients of powers of x: y = k0 + k1·x + k2·x^2 + …")
    lines.append("Residuals are y − ŷ (data minus curve).")
    lines.append("")
    rows = parameter_rows(report)
    name_width = max(4, *(len(row["name"]) for row in rows))
    width = 24
    head = "estimate" if nonlinear else "coefficient"
    lines.append(f"{'':<{name_width}}  {head:>{width}}  {'std. error':>{width}}  {'t value':>{width}}")
    for row in rows:
        cells = [("—" if row[k] is None else repr(row[k])) for k in ("value", "std_error", "t_value")]
        lines.append(f"{row['name']:<{name_width}}  " + "  ".join(f"{c:>{width}}" for c in cells))
    lines.append("")
    for _, label, value in summary_rows(report):
        shown = "—" if value is None else value if isinstance(value, str) else repr(value)
        lines.append(f"{label}: {shown}")
    if data.held_out:
        lines.append(f"held out for validation (not in these statistics): {data.held_out}")
    lines += ["", f"Prediction bands describe {PREDICTION_BAND_WEIGHTED if report.weighted else PREDICTION_BAND}."]
    if report.why:
        lines += ["", f"Standard errors unavailable: {report.why}"]
    if report.warnings:
        lines += ["", "Warnings:"] + [f"  - {w}" for w in report.warnings]
    curve = fitted_formula(report)
    if curve:
        lines += ["", curve]
    return "\n".join(lines) + "\n"


REPORT_WRITERS: dict[str, Callable[[Report, ReportData], str]] = {
    "csv": report_csv,
    "json": report_json,
    "text": report_text,
}


def report_as(report: Report, fmt: str, data: ReportData = PLAIN_DATA) -> str:
    """The report in ``fmt`` ("csv", "json" or "text")."""
    try:
        writer = REPORT_WRITERS[fmt]
    except KeyError:
        raise ExportError(f"Unknown report format {fmt!r}: choose one of {', '.join(REPORT_FORMATS)}.") from None
    return writer(report, data)


def save_report(report: Report, path: str | Path, fmt: str, data: ReportData = PLAIN_DATA) -> None:
    """Write the report to ``path`` in ``fmt``, atomically (an existing file survives any error intact)."""
    text = report_as(report, fmt, data)  # formatted first: a formatting error must not touch the disk
    atomic_write_text(path, text)


def correlation_of(report: Report) -> np.ndarray | None:
    """The parameters' correlation matrix (None without standard errors)."""
    if isinstance(report, NonlinearFit):
        return report.correlation
    if report.covariance is None or report.standard_errors is None:
        return None
    sd = np.asarray(report.standard_errors)
    with np.errstate(divide="ignore", invalid="ignore"):
        return report.covariance / np.outer(sd, sd)

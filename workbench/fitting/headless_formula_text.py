"""The text report of a headless formula fit (``workbench fit --model``): the dict of
``headless_formula.fit_formula_and_report`` worded for people, laid out like the polynomial one."""

from __future__ import annotations

import re

from .headless import band_lines, batch_words, fit_statistics_lines
from .least_squares import LM_KIND, LM_NAME
from .optimizers import OPTIMIZER_NAMES


def format_formula_text(report: dict) -> str:
    """The report for people: the settings, the start, the parameter table, the statistics, how it ended."""
    weighted, unit = report["weighted"], " σ" if report["weighted"] else ""
    optimizer = LM_NAME if report["optimizer"] == LM_KIND else OPTIMIZER_NAMES[report["optimizer"]]
    lines = [
        f"{report['file']}: {report['n_points']} points, {_as_equation(report['model'])}, {report['loss_kind']} loss, "
        f"optimizer {optimizer}"
        + (f", lr {report['lr']:.6g}" if report["lr"] is not None else "")
        + batch_words(report)
    ]
    if weighted:
        lines.append(
            f"weighted by 1/σ² (σ from column {report['sigma_column']}): losses, χ² and R² use residuals/σ; "
            "RMSE and residual SD are in units of σ"
        )
    start = ", ".join(f"{name} = {value:.6g}" for name, value in report["start"].items())
    lines.append(f"start        {start}  ({report['start_how']})")
    if report["lr_how"] not in (None, "given"):
        lines.append(f"learning rate: {report['lr_how']}")
    lines += _parameter_table(report)
    lines.append(f"loss         {report['loss']:.10g}")
    if report["optimizer"] != LM_KIND and report["landmark_loss"] is not None:
        lines.append(
            f"optimum      {report['landmark_loss']:.10g}  ({LM_NAME} from the same start; gap {report['gap']:.3g})"
        )
    lines += fit_statistics_lines(report, unit, weighted)
    if report["optimizer"] != LM_KIND and report["max_stable_lr"] is not None:
        lines.append(f"stability    at the start values plain GD is stable below lr {report['max_stable_lr']:.4g}")
    lines.append(
        f"steps        {report['steps']}  (stopped: {report['stop_word']}"
        + (f", {report['message']})" if report["message"] else ")")
    )
    if report["hint"]:
        lines.append(f"hint: {report['hint']}")
    if "bands" in report:
        lines += band_lines(report["bands"], weighted)
    if report["note"]:
        lines.append(f"note: {report['note']}")
    if report["formula_with_values"] is not None:
        lines.append(f"fitted       y = {report['formula_with_values']}")
    return "\n".join(lines)


def _as_equation(formula: str) -> str:
    """ "y = formula" on one line (the formula may say "y =" itself, or span lines)."""
    text = " ".join(formula.split())
    return text if re.match(r"y\s*=", text) else f"y = {text}"


def _parameter_table(report: dict) -> list[str]:
    errors, ts = report["standard_errors"] or {}, report["t_values"] or {}
    width = max(4, *(len(name) for name in report["parameters"]))
    lines = ["parameters, with the least-squares standard errors:"]
    lines.append(f"  {'':{width}}  {'value':>20}  {'std. error':>12}  {'t value':>10}")
    for name, value in report["parameters"].items():
        shown = "—" if value is None else f"{value:.12g}"
        se = "—" if errors.get(name) is None else f"{errors[name]:.4g}"
        t = "—" if ts.get(name) is None else f"{ts[name]:.4g}"
        lines.append(f"  {name:<{width}}  {shown:>20}  {se:>12}  {t:>10}")
    if report.get("standard_errors_unavailable"):
        lines.append(f"  (no standard errors: {report['standard_errors_unavailable']})")
    elif not report["reached_optimum"] and report["optimizer"] != LM_KIND:
        lines.append(f"  (the standard errors and t values are those of {LM_NAME}'s fit, not of these parameters)")
    return lines

"""The headless fit behind ``workbench fit``: run it, measure the result in the stable basis, report it.

``fit_and_report`` returns one JSON-ready dict; ``format_text`` words the same dict for people.  Every
number about the curve — fitted values, loss, residual SD, RMSE, R², χ² — is computed from values in the
stable basis (the exact optimum's own, or the knobs carried there by an exact change of basis), never
from powers-of-x coefficients rounded to doubles: those are reported, not used.  Standard errors, the
covariance, t values and bands are those of the least-squares fit (``FitProblem.report``), which a run
that converged has reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .chosen_rate import chosen_rate
from .losses import Loss
from .problem import FitProblem
from .stats import bands
from .training import StopRules
from .verdict import describe_result, stop_hint, stop_word

DEFAULT_TOL = 1e-10


@dataclass(frozen=True)
class FitRequest:
    """What to fit and how (the options of ``workbench fit``)."""

    degree: int = 5
    basis: str = "orthonormal"
    loss: str = "mse"
    optimizer: str = "gd"
    lr: float | None = None  # None: ``default_lr`` for the optimiser on this problem
    steps: int = 10000
    tol: float = DEFAULT_TOL
    band_x: list[float] | None = None  # x values for confidence and prediction intervals
    level: float = 0.95
    band_sigma: float | None = None  # σ of a new observation (weighted fits; None: interpolated)
    batch_size: int | None = None  # stochastic gradient descent on batches of this many points (None: all)
    seed: int = 0  # of the batches' draws


def fit_and_report(dataset, request: FitRequest) -> dict:
    """Fit ``dataset`` (x, y, optional σ) as ``request`` says and report everything as plain data."""
    problem = FitProblem.polynomial(
        dataset.x, dataset.y, request.degree, request.basis, Loss(request.loss), sigma=dataset.sigma
    )
    exact = problem.exact
    assert exact is not None  # a polynomial, and the command line refuses a file without data
    if request.optimizer != "exact" and not np.all(np.isfinite(problem.design_matrix)):
        raise ValueError(
            f"x values up to {np.max(np.abs(dataset.x)):.3g} raised to the power {request.degree} overflow "
            f"double precision in the {request.basis} basis; use --basis orthonormal, scaled or legendre"
        )
    check_batch_size(request.batch_size, dataset.n)
    run = _run(problem, request)
    fitted = run["fitted"]
    conditioning = problem.conditioning
    assert conditioning is not None  # a polynomial's
    out = {
        "n_points": int(dataset.n),
        "weighted": dataset.sigma is not None,
        "degree": request.degree,
        "basis": request.basis,
        "loss_kind": request.loss,
        "optimizer": request.optimizer,
        "lr": run["lr"],
        "lr_how": run["lr_how"],
        "batch_size": request.batch_size,
        "seed": request.seed if request.batch_size is not None else None,
        "coefficients": run["coefficients"],
        "basis_coefficients": run["basis_coefficients"],
        "fitted": fitted,
        "loss": run["loss"],
        "exact_loss": exact.loss,
        "gap": run["loss"] - exact.loss,
        "relative_gap": (run["loss"] - exact.loss) / exact.loss if exact.loss > 0 else None,
        **curve_statistics(problem, fitted),
        **_least_squares_statistics(problem),
        "steps": run["steps"],
        "evaluations": run["evaluations"],
        "stop_reason": run["stop_reason"],
        "stop_word": stop_word(run["stop_reason"]),
        "message": run["message"],
        "summary": run["summary"],
        "hint": run["hint"],
        "reached_optimum": run["reached_optimum"],
        "condition_number": _finite_or_none(conditioning.condition_number),
        "max_stable_lr": _finite_or_none(conditioning.max_stable_lr),
        "note": "; ".join(
            filter(
                None,
                [
                    _degree_note(request.degree, dataset.n, int(np.unique(dataset.x).size)),
                    _powers_note(dataset.x, run["coefficients"], fitted),
                ],
            )
        )
        or None,
    }
    if request.band_x is not None:
        out["bands"] = _bands(problem, request)
    return out


def check_batch_size(batch_size: int | None, n_points: int) -> None:
    """Raise ValueError unless ``batch_size`` is None or 1..N (B = N is full-batch descent, more is a mistake)."""
    if batch_size is None:
        return
    if batch_size < 1:
        raise ValueError(f"--batch-size must be a whole number of points, 1 or more, got {batch_size}")
    if batch_size > n_points:
        raise ValueError(
            f"--batch-size {batch_size} is more than the {n_points} points in the file: use at most {n_points} "
            f"({n_points} is full-batch gradient descent)"
        )


def batch_noise_hint(result, batch_size: int) -> str:
    """What mini-batch noise means for a run that stalled or ran out of steps ("" otherwise)."""
    if result.stop_reason.value not in ("stalled", "max_steps"):
        return ""
    return (
        f"Each step follows the gradient of {batch_size} points, which is noisy: at a fixed rate the knobs jitter "
        "around the optimum instead of settling; a smaller --lr or a larger --batch-size calms them."
    )


def _run(problem: FitProblem, request: FitRequest) -> dict:
    """The exact solve, or a run of the optimiser from all knobs at 0; the curve it ends on, stably."""
    exact = problem.exact
    assert exact is not None  # a polynomial with data
    if request.optimizer == "exact":
        return {
            "lr": None,
            "lr_how": None,
            "coefficients": exact.monomial,
            "basis_coefficients": exact.coefficients,
            "fitted": exact.fitted,
            "loss": exact.loss,
            "steps": 0,
            "evaluations": 0,
            "stop_reason": "converged",
            "message": "exact solve",
            "summary": f"Solved exactly: loss {exact.loss:.10g}, the optimum.",
            "hint": "",
            "reached_optimum": True,
        }
    start = problem.model.initial_params()
    if request.lr is None:
        rate = chosen_rate(request.optimizer, problem, start, request.batch_size, request.seed)
        lr, lr_how = rate.value, rate.how
    else:
        lr, lr_how = request.lr, "given"
    rules = StopRules(max_steps=request.steps, tol=request.tol, grad_tol=math.sqrt(request.tol))
    trainer = problem.trainer(
        request.optimizer,
        lr,
        start,
        rules,
        batch_size=request.batch_size,
        seed=request.seed,
        yardstick=problem.yardstick,  # mini-batch runs too: judged on the loss on all points against the optimum
    )
    result = trainer.run_to_end()
    if request.batch_size is None:
        hint = stop_hint(result, problem, request.optimizer, lr)
    else:  # the full-batch default rate is no advice for batches, which need smaller ones
        hint = " ".join(filter(None, [batch_noise_hint(result, request.batch_size), stop_hint(result, problem)]))
    reached = result.stop_reason.value == "converged" or problem.yardstick.within(
        result.loss, request.tol or DEFAULT_TOL
    )
    return {
        "lr": lr,
        "lr_how": lr_how,
        "coefficients": problem.monomial_coefficients(result.params),
        "basis_coefficients": np.asarray(result.params),
        "fitted": problem.predict(result.params),
        "loss": result.loss,
        "steps": result.steps,
        "evaluations": result.evaluations,
        "stop_reason": result.stop_reason.value,
        "message": result.message,
        "summary": describe_result(result, problem, request.optimizer, lr, hint=hint),
        "hint": hint,
        "reached_optimum": bool(reached),
    }


def curve_statistics(problem: FitProblem, fitted: np.ndarray) -> dict:
    """R², adjusted R², RMSE, residual SD, dof (and χ² when weighted) of the curve at ``fitted``."""
    y = problem.y
    n, dof = y.size, y.size - problem.n_params
    w = np.ones(n) if problem.weights is None else problem.weights
    rss = float(np.sum(w * (y - fitted) ** 2))
    tss = float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))
    r_squared = 1.0 - rss / tss if tss > 0 else None
    stats = {
        "residual_sd": math.sqrt(rss / dof) if dof > 0 else None,
        "rmse": math.sqrt(rss / n),
        "r_squared": r_squared,
        "adjusted_r_squared": 1.0 - (1.0 - r_squared) * (n - 1) / dof if r_squared is not None and dof > 0 else None,
        "dof": dof,
        "residual_units": "sigma" if problem.is_weighted else "y",
    }
    if problem.is_weighted:
        stats["chi_squared"] = rss
        stats["reduced_chi_squared"] = rss / dof if dof > 0 else None
    return stats


def _least_squares_statistics(problem: FitProblem) -> dict:
    """Standard errors, covariance and t values of the least-squares fit (None where they do not exist)."""
    report = problem.report if problem.loss.is_squared_error else None
    exact = problem.exact
    assert exact is not None  # a polynomial with data
    none = {"exact_coefficients": exact.monomial, "standard_errors": None, "covariance": None, "t_values": None}
    if report is None:
        why = f"standard errors describe a least-squares fit; this fit minimises {problem.loss.kind.upper()}"
        return {**none, "standard_errors_unavailable": why}
    if report.standard_errors is None or report.covariance is None:  # both exist or neither
        return {**none, "standard_errors_unavailable": report.why}
    return {
        "exact_coefficients": report.coefficients,
        "standard_errors": finite_list(report.standard_errors),
        "covariance": [finite_list(row) for row in report.covariance],
        "t_values": finite_list(report.t_values),
        "standard_errors_unavailable": None,
    }


def _bands(problem: FitProblem, request: FitRequest) -> dict:
    """Confidence and prediction intervals of the least-squares fit at ``request.band_x``."""
    x_new = np.asarray(request.band_x, dtype=np.float64)
    out: dict = {"level": request.level, "x": x_new.tolist()}
    if not problem.loss.is_squared_error:
        out["unavailable"] = f"intervals describe a least-squares fit; this fit minimises {problem.loss.kind.upper()}"
        return out
    report = problem.report
    assert report is not None  # a polynomial's
    intervals = bands(report, x_new, request.level, sigma_new=request.band_sigma)
    out.update(band_entries(report, x_new, intervals, problem.is_weighted, request.band_sigma))
    return out


def band_entries(fit, x_new: np.ndarray, intervals, weighted: bool, sigma: float | None) -> dict:
    """The JSON entries of ``intervals`` (fitted, confidence and prediction limits) of ``fit`` (a polynomial's
    ``FitReport`` or a formula's ``NonlinearFit``): the new point's σ when weighted, and why any are missing."""
    fitted, c_lo, c_hi, p_lo, p_hi = intervals
    out: dict = {
        "fitted": finite_list(fitted),
        "confidence_low": finite_list(c_lo),
        "confidence_high": finite_list(c_hi),
        "prediction_low": finite_list(p_lo),
        "prediction_high": finite_list(p_hi),
    }
    if weighted:
        new_sigma = fit.new_point_sigma(x_new) if sigma is None else np.full(x_new.shape, sigma)
        out["prediction_sigma"] = finite_list(new_sigma)
        out["prediction_sigma_from"] = "interpolated from the data" if sigma is None else "given"
    if fit.why:
        out["unavailable"] = fit.why
    return out


def finite_list(values) -> list[float | None]:
    """The values as a flat list of floats, None where one is not finite (JSON has no NaN or infinity)."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=np.float64).ravel()]


def _finite_or_none(value: float) -> float | None:
    """JSON has no infinity: an unbounded condition number or stability limit is reported as null."""
    return float(value) if math.isfinite(value) else None


def _powers_note(x, coefficients, fitted) -> str | None:
    """A warning when the printed powers-of-x coefficients no longer reproduce the curve.

    Far from x = 0 (years, say) the curve is a tiny difference of huge terms c_i·x^i: rounding each
    c_i to a double moves it visibly, although the fit itself (``fitted``) is accurate.
    """
    with np.errstate(all="ignore"):
        via_powers = np.polynomial.polynomial.polyval(x, coefficients)
        scale = max(float(np.max(np.abs(fitted))), np.finfo(float).tiny) if len(fitted) else 1.0
        drift = float(np.max(np.abs(via_powers - fitted))) / scale if len(fitted) else 0.0
    if drift <= 1e-9 and np.isfinite(drift):
        return None
    return (
        f"x is far from 0 for this degree: the coefficients k0..kD, as printed, reproduce the curve only "
        f"to a relative error of {drift:.1g}; use 'fitted' (computed in a stable basis) or the "
        "basis coefficients instead"
    )


def _degree_note(degree: int, n_points: int, n_distinct: int) -> str | None:
    """What a degree too high for the data means, or None when the fit is an ordinary one."""
    if degree + 1 > n_distinct:
        return (
            f"degree {degree} has {degree + 1} coefficients but the data has only {n_distinct} distinct "
            f"x value{'s' if n_distinct != 1 else ''}: many curves fit equally well, so these "
            "coefficients are one choice of many"
        )
    if degree + 1 == n_points:
        return (
            f"degree {degree} through {n_points} points: the curve passes through every point "
            "(an interpolation, not a fit), and there is no residual standard deviation"
        )
    return None


# -- text ---------------------------------------------------------------------------------------------------
def format_text(report: dict) -> str:
    """The report for people: the settings, the coefficient table, the statistics, how the run ended."""
    weighted = report["weighted"]
    unit = " σ" if weighted else ""
    lines = [
        f"{report['file']}: {report['n_points']} points, degree {report['degree']}, "
        f"{report['basis']} basis, {report['loss_kind']} loss, optimizer {report['optimizer']}"
        + (f", lr {report['lr']:.6g}" if report["lr"] is not None else "")
        + batch_words(report)
    ]
    if report["lr_how"] not in (None, "given"):
        lines.append(f"learning rate: {report['lr_how']}")
    if weighted:
        lines.append(
            f"weighted by 1/σ² (σ from column {report['sigma_column']}): losses, χ² and R² use residuals/σ; "
            "RMSE and residual SD are in units of σ"
        )
    lines += _coefficient_table(report)
    lines.append(f"loss         {report['loss']:.10g}")
    lines.append(f"exact loss   {report['exact_loss']:.10g}  (gap {report['gap']:.3g})")
    lines += fit_statistics_lines(report, unit, weighted)
    if report["max_stable_lr"] is not None:
        condition = report["condition_number"]
        lines.append(
            f"stability    plain GD is stable below lr {report['max_stable_lr']:.4g} (condition number "
            + (f"{condition:.3g})" if condition is not None else "infinite: some direction is flat)")
        )
    lines.append(
        f"steps        {report['steps']}  (stopped: {report['stop_reason']}"
        + (f", {report['message']})" if report["message"] else ")")
    )
    if report["hint"]:
        lines.append(f"hint: {report['hint']}")
    if "bands" in report:
        lines += band_lines(report["bands"], weighted)
    if report["note"]:
        lines.append(f"note: {report['note']}")
    return "\n".join(lines)


def fit_statistics_lines(report: dict, unit: str, weighted: bool) -> list[str]:
    """R² (and adjusted), residual SD with RMSE and degrees of freedom, and χ² when weighted: the lines the
    polynomial's and the formula's text reports share."""
    lines = []
    if report["r_squared"] is not None:
        adjusted = report["adjusted_r_squared"]
        lines.append(
            f"R²           {report['r_squared']:.10g}"
            + (f"  (adjusted {adjusted:.10g})" if adjusted is not None else "")
        )
    sd = report["residual_sd"]
    lines.append(
        f"residual SD  {'—' if sd is None else f'{sd:.10g}'}{unit}  (RMSE {report['rmse']:.10g}{unit}, "
        f"{report['dof']} degrees of freedom)"
    )
    if weighted:
        reduced = report["reduced_chi_squared"]
        lines.append(
            f"χ²           {report['chi_squared']:.10g}"
            + (f"  (reduced χ² {reduced:.6g})" if reduced is not None else "")
        )
    return lines


def batch_words(report: dict) -> str:
    """ ", batches of B points (seed S)" for a mini-batch run, "" otherwise."""
    if report.get("batch_size") is None:
        return ""
    return f", batches of {report['batch_size']} of {report['n_points']} points (seed {report['seed']})"


def _coefficient_table(report: dict) -> list[str]:
    ses, ts = report["standard_errors"], report["t_values"]
    lines = ["coefficients (y = k0 + k1·x + … in your x), with the least-squares standard errors:"]
    lines.append(f"  {'':4}  {'coefficient':>20}  {'std. error':>12}  {'t value':>10}")
    for i, c in enumerate(report["coefficients"]):
        se = "—" if ses is None or ses[i] is None else f"{ses[i]:.4g}"
        t = "—" if ts is None or ts[i] is None else f"{ts[i]:.4g}"
        lines.append(f"  k{i:<3} {c:>21.12g}  {se:>12}  {t:>10}")
    if report.get("standard_errors_unavailable"):
        lines.append(f"  (no standard errors: {report['standard_errors_unavailable']})")
    elif not report["reached_optimum"]:
        lines.append("  (the standard errors and t values are the least-squares optimum's, not these coefficients')")
    return lines


def band_lines(band: dict, weighted: bool) -> list[str]:
    """The text table of a report's ``bands`` (intervals at the asked x), or the line saying why there are none."""
    level = f"{100 * band['level']:g} %"
    if "fitted" not in band:
        return [f"bands: {band['unavailable']}"]
    header = f"{'x':>14}  {'fitted':>14}  {level + ' confidence':>31}  {level + ' prediction':>31}"
    lines = ["intervals of the least-squares fit" + (" (prediction for a new point of σ shown)" if weighted else "")]
    lines.append(header + ("  σ of the new point" if weighted else ""))

    def cell(v) -> str:
        return "—" if v is None else f"{v:.8g}"

    for i, x in enumerate(band["x"]):
        conf = f"[{cell(band['confidence_low'][i])}, {cell(band['confidence_high'][i])}]"
        pred = f"[{cell(band['prediction_low'][i])}, {cell(band['prediction_high'][i])}]"
        row = f"{x:>14.8g}  {cell(band['fitted'][i]):>14}  {conf:>31}  {pred:>31}"
        if weighted:
            row += f"  {cell(band['prediction_sigma'][i])}"
        lines.append(row)
    if band.get("unavailable"):
        lines.append(f"  (no intervals: {band['unavailable']})")
    return lines

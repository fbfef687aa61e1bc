"""The headless formula fit behind ``workbench fit FILE --model EXPR``: start values, the run, the report.

Start values are given (``--start a=1,b=0.1``; a parameter left out starts at 1) or found by Guess start.
Levenberg–Marquardt is a formula's landmark, as the exact solve is a polynomial's: an LM run is the fit
itself, and a gradient run (gd, momentum, nesterov, adam, cg, lbfgs; on all points or on mini-batches) is
judged against the loss LM reaches from the same start: converged only within ``tol`` of it, else stalled
or at the step limit, with a hint saying what to change.  Standard errors, covariance, correlation and
bands are those of LM's least-squares fit, from the Jacobian at its solution (as a polynomial's are the
exact optimum's); the curve's own numbers (loss, R², residual SD, χ²) are those of the parameters the run
ended on.

``fit_formula_and_report`` returns one JSON-ready dict, parameters keyed by name;
``headless_formula_text.format_formula_text`` words the same dict for people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .chosen_rate import chosen_rate
from .formula_model import FormulaModel, nonfinite_reason
from .headless import (
    DEFAULT_TOL,
    band_entries,
    batch_noise_hint,
    check_batch_size,
    curve_statistics,
    finite_list,
)
from .least_squares import LM_KIND, LM_NAME, LMTrainer, solve_least_squares
from .losses import Loss
from .nonlinear_report import NonlinearFit
from .optimizers import OPTIMIZER_NAMES
from .problem import FitProblem
from .start_guess import guess_start
from .step_size import local_conditioning, step_size_guide
from .training import StopReason, StopRules, TrainResult, Yardstick
from .verdict import describe_result, stop_word

STEEP_VALLEY = 1e3  # a local condition number above which plain gradient steps crawl along the valley


@dataclass(frozen=True)
class FormulaRequest:
    """What to fit and how (the options of ``workbench fit --model``)."""

    formula: str
    start: str | None = None  # "a=1, b=0.1"; None: Guess start
    loss: str = "mse"
    optimizer: str = LM_KIND
    lr: float | None = None  # None: ``chosen_rate`` at the start values
    steps: int = 10000
    tol: float = DEFAULT_TOL
    batch_size: int | None = None  # stochastic gradient descent on batches of this many points (None: all)
    seed: int = 0
    band_x: list[float] | None = None
    level: float = 0.95
    band_sigma: float | None = None


@dataclass(frozen=True)
class Start:
    """The start values, where they came from ("given" or "guess"), and a sentence saying how."""

    values: np.ndarray
    source: str
    how: str


def fit_formula_and_report(dataset, request: FormulaRequest) -> dict:
    """Fit the formula ``request.formula`` to ``dataset`` (x, y, optional σ) and report it as plain data.

    Raises ``FormulaError`` for a formula that cannot be read, ``ValueError`` (one sentence) for start
    values, options or data it cannot be fitted with.
    """
    model = FormulaModel(request.formula)
    if request.optimizer == LM_KIND and request.batch_size is not None:
        raise ValueError("Levenberg–Marquardt uses every point at every step: leave out --batch-size")
    check_batch_size(request.batch_size, dataset.n)
    start = start_values(model, dataset, request.start)
    problem = FitProblem(dataset.x, dataset.y, model, Loss(request.loss), sigma=dataset.sigma)
    run = _lm_run(problem, start, request) if request.optimizer == LM_KIND else _gradient_run(problem, start, request)
    params, landmark = run["params"], run["landmark"]
    fitted = problem.predict(params)
    names = model.parameter_names
    conditioning = local_conditioning(problem, start.values)
    out = {
        "n_points": int(dataset.n),
        "weighted": dataset.sigma is not None,
        "model": request.formula,
        "parameter_names": list(names),
        "loss_kind": request.loss,
        "optimizer": request.optimizer,
        "lr": run["lr"],
        "lr_how": run["lr_how"],
        "batch_size": request.batch_size,
        "seed": request.seed if request.batch_size is not None else None,
        "start": _by_name(names, start.values),
        "start_source": start.source,
        "start_how": start.how,
        "parameters": _by_name(names, params),
        "formula_with_values": model.with_values(params) if np.all(np.isfinite(params)) else None,
        "fitted": finite_list(fitted),
        "loss": _finite_or_none(run["loss"]),
        "landmark_loss": None if landmark is None else _finite_or_none(landmark.loss),
        "landmark_parameters": None if landmark is None else _by_name(names, landmark.params),
        **_gap(run["loss"], landmark),
        **curve_statistics(problem, fitted),
        **_least_squares_statistics(problem, landmark),
        "steps": run["result"].steps,
        "evaluations": run["evaluations"],
        "stop_reason": run["result"].stop_reason.value,
        "stop_word": stop_word(run["result"].stop_reason),
        "message": run["result"].message,
        "summary": describe_result(run["result"], hint=run["hint"]),
        "hint": run["hint"],
        "reached_optimum": run["reached"],
        "condition_number": None if conditioning is None else _finite_or_none(conditioning.condition_number),
        "max_stable_lr": None if conditioning is None else _finite_or_none(conditioning.max_stable_lr),
        "note": "; ".join(landmark.warnings) if landmark is not None and landmark.warnings else None,
    }
    for key in ("residual_sd", "rmse", "r_squared", "adjusted_r_squared", "chi_squared", "reduced_chi_squared"):
        if key in out:
            out[key] = None if out[key] is None else _finite_or_none(out[key])
    if request.band_x is not None:
        out["bands"] = _bands(problem, landmark, request)
    return out


def start_values(model: FormulaModel, dataset, text: str | None) -> Start:
    """The start values from ``--start`` text, or Guess start's; raises ValueError (one sentence) where the
    formula is not a finite number at them."""
    if text is not None:
        values = model.start_values(text)
        named = {item.partition("=")[0].strip() for item in text.split(",") if item.strip()}
        left_out = [name for name in model.parameter_names if name not in named]
        how = "given" + (f"; {', '.join(left_out)} not given: 1" if left_out else "")
        start = Start(values, "given", how)
    else:
        guess = guess_start(model, dataset.x, dataset.y, dataset.sigma)
        if not math.isfinite(guess.sse):
            raise ValueError(
                "Guess start found no values where the formula is a finite number at every point: give start "
                f"values with --start (e.g. --start {model.parameter_names[0]}=1), or check the formula"
            )
        start = Start(np.asarray(guess.params, dtype=np.float64), "guess", guess.explanation)
    reason = nonfinite_reason(model, start.values, dataset.x)
    if reason:
        where = "--start: " if start.source == "given" else "the values Guess start found do not fit every point: "
        raise ValueError(where + reason)
    return start


# -- the runs ---------------------------------------------------------------------------------------------
def _lm_run(problem: FitProblem, start: Start, request: FormulaRequest) -> dict:
    """Levenberg–Marquardt from the start values: the fit and its own landmark."""
    trainer = problem.trainer(LM_KIND, 0.0, start.values, StopRules(max_steps=request.steps))
    assert isinstance(trainer, LMTrainer)  # what LM_KIND asks for
    result = trainer.run_to_end()
    fit = trainer.report()
    return {
        "params": result.params,
        "loss": result.loss,
        "landmark": fit,
        "lr": None,
        "lr_how": None,
        "result": result,
        "evaluations": trainer.evaluations,
        "hint": _lm_hint(result, start),
        "reached": result.stop_reason is StopReason.CONVERGED,
    }


def _gradient_run(problem: FitProblem, start: Start, request: FormulaRequest) -> dict:
    """A gradient optimiser from the start values, judged against LM's loss from the same start."""
    landmark = solve_least_squares(problem, start.values) if problem.loss.is_squared_error else None
    if request.lr is None:
        rate = chosen_rate(request.optimizer, problem, start.values, request.batch_size, request.seed)
        lr, lr_how = rate.value, rate.how
    else:
        lr, lr_how = request.lr, "given"
    yardstick = (
        Yardstick()
        if landmark is None
        else Yardstick(landmark.loss, problem.loss_resolution(np.asarray(landmark.fitted)))
    )
    rules = StopRules(max_steps=request.steps, tol=request.tol, grad_tol=math.sqrt(request.tol))
    trainer = problem.trainer(
        request.optimizer,
        lr,
        start.values,
        rules,
        batch_size=request.batch_size,
        seed=request.seed,
        yardstick=yardstick,
    )
    result = trainer.run_to_end()
    reached = result.stop_reason is StopReason.CONVERGED or yardstick.within(result.loss, request.tol or DEFAULT_TOL)
    return {
        "params": result.params,
        "loss": result.loss,
        "landmark": landmark,
        "lr": lr,
        "lr_how": lr_how,
        "result": result,
        "evaluations": trainer.evaluations,
        "hint": "" if reached else _gradient_hint(result, problem, request, lr, landmark),
        "reached": bool(reached),
    }


def _lm_hint(result: TrainResult, start: Start) -> str:
    if result.stop_reason is StopReason.MAX_STEPS:
        return "Allow more steps (--steps)."
    if result.stop_reason is StopReason.STALLED:
        other = "values of your own with --start" if start.source == "guess" else "other values, or leave out --start"
        return f"Levenberg–Marquardt may be caught on a plateau or in a local minimum: try start {other}."
    return ""


def _gradient_hint(
    result: TrainResult, problem: FitProblem, request: FormulaRequest, lr: float, landmark: NonlinearFit | None
) -> str:
    """What to change when a gradient run on a formula fell short of LM's loss or diverged."""
    kind, reason = request.optimizer, result.stop_reason
    if reason in (StopReason.STOPPED, StopReason.EARLY_STOP):
        return ""
    hints = []
    if kind == "gd":  # momentum and Nesterov are stable beyond 2/λ_max: their limits are not this one
        here = step_size_guide(problem, result.params, request.batch_size, request.seed)
        if here is not None and math.isfinite(here.batch_limit) and lr > here.batch_limit:
            where = "where the run ended" if reason is not StopReason.DIVERGED else "at the last finite values"
            hints.append(
                f"The learning rate {lr:.3g} is above the stability limit {here.batch_limit:.3g} {where} (a "
                f"formula's curvature changes as the knobs move): try --lr {here.suggested:.3g}"
            )
    if reason is StopReason.DIVERGED and not hints:
        hints.append("Try a smaller learning rate (--lr)")
    if request.batch_size is not None and batch_noise_hint(result, request.batch_size):
        hints.append(batch_noise_hint(result, request.batch_size).rstrip("."))
    if landmark is not None:
        hints.append(
            f"{LM_NAME} reaches loss {landmark.loss:.10g} from the same start in {landmark.steps} steps "
            f"(--optimizer {LM_KIND})"
        )
    if kind in ("gd", "momentum", "nesterov", "adam") and request.batch_size is None:
        conditioning = local_conditioning(problem, result.params)
        if conditioning is not None and not conditioning.condition_number <= STEEP_VALLEY:
            hints.append(
                f"The loss is a narrow valley where the run ended (condition number "
                f"{conditioning.condition_number:.3g}): conjugate gradient or L-BFGS (--optimizer cg, lbfgs) cope "
                f"with narrow valleys far better than {OPTIMIZER_NAMES[kind]}"
            )
    if reason is StopReason.MAX_STEPS:
        hints.append("Or allow more steps (--steps)")
    if landmark is None and not problem.loss.is_squared_error and reason is StopReason.STALLED:
        hints.append(f"The {problem.loss.kind.upper()} loss has no landmark to compare with; its gradient changes "
                     "abruptly where residuals cross zero")  # fmt: skip
    return ". ".join(hints) + "." if hints else ""


# -- the statistics -----------------------------------------------------------------------------------------
def _gap(loss: float, landmark: NonlinearFit | None) -> dict:
    if landmark is None or not math.isfinite(loss):
        return {"gap": None, "relative_gap": None}
    gap = loss - landmark.loss
    relative = _finite_or_none(gap / landmark.loss) if landmark.loss > 0 else None
    return {"gap": _finite_or_none(gap), "relative_gap": relative}


def _least_squares_statistics(problem: FitProblem, landmark: NonlinearFit | None) -> dict:
    """Standard errors, t values, covariance and correlation of LM's fit, keyed by parameter name."""
    model = problem.model
    assert isinstance(model, FormulaModel)  # the command line's formula fits
    names = model.parameter_names
    none = {"standard_errors": None, "t_values": None, "covariance": None, "correlation": None}
    if landmark is None:
        why = f"standard errors describe a least-squares fit; this fit minimises {problem.loss.kind.upper()}"
        return {**none, "standard_errors_unavailable": why}
    if landmark.standard_errors is None:
        return {**none, "standard_errors_unavailable": landmark.why}
    return {
        "standard_errors": _by_name(names, landmark.standard_errors),
        "t_values": _by_name(names, landmark.t_values),
        "covariance": _matrix_by_name(names, landmark.covariance),
        "correlation": _matrix_by_name(names, landmark.correlation),
        "standard_errors_unavailable": None,
    }


def _bands(problem: FitProblem, landmark: NonlinearFit | None, request: FormulaRequest) -> dict:
    """Confidence and prediction intervals of LM's fit at ``request.band_x`` (delta method)."""
    x_new = np.asarray(request.band_x, dtype=np.float64)
    out: dict = {"level": request.level, "x": x_new.tolist()}
    if landmark is None:
        out["unavailable"] = f"intervals describe a least-squares fit; this fit minimises {problem.loss.kind.upper()}"
        return out
    with np.errstate(all="ignore"):
        intervals = landmark.bands(x_new, request.level, sigma_new=request.band_sigma)
    out.update(band_entries(landmark, x_new, intervals, problem.is_weighted, request.band_sigma))
    return out


def _by_name(names, values) -> dict[str, float | None]:
    return dict(zip(names, finite_list(values)))


def _matrix_by_name(names, matrix) -> dict[str, dict[str, float | None]]:
    return {name: _by_name(names, row) for name, row in zip(names, np.asarray(matrix))}


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None

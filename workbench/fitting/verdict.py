"""How a run ended, in words: the same sentence in the command line's output and in the window.

``stop_word`` is the short status ("converged", "stalled", "step limit", …); ``describe_result`` is the
paragraph: what happened, where the loss ended beside the optimum, and — when it did not get there — what
to change (``stop_hint``: the basis, the learning rate, the optimiser, the step limit).
"""

from __future__ import annotations

import math

from . import number_text
from .learning_rates import default_lr
from .optimizers import OPTIMIZER_NAMES
from .training import STOPPED_BY_USER, StopReason, TrainResult

STOP_WORDS = {
    StopReason.CONVERGED: "converged",
    StopReason.STALLED: "stalled",
    StopReason.MAX_STEPS: "step limit",
    StopReason.DIVERGED: "diverged",
    StopReason.STOPPED: "stopped",
    StopReason.EARLY_STOP: "stopped early (validation)",
}

NARROW_VALLEY = 1e3  # a condition number above which the basis, not the optimiser, is the thing to change
FAR_BELOW = 0.1  # a learning rate below this fraction of the default is the likely cause of slow progress
NEAR_DIGITS = 10  # significant digits of a loss within 1 % of the optimum
THERE = 1e-6  # a run that ends this close to the optimum (relative) needs no advice, whatever stopped it


def stop_word(reason: StopReason | str) -> str:
    """The short status word of a stop reason (as the window's status bar and the CLI show it)."""
    return STOP_WORDS[StopReason(reason)]


def describe_result(
    result: TrainResult,
    problem=None,
    optimizer: str | None = None,
    lr: float | None = None,
    hint: str | None = None,
) -> str:
    """A paragraph saying how the run ended, how far from the optimum, and what to try if it fell short.

    ``problem`` (the ``FitProblem`` it ran on), ``optimizer`` and ``lr`` make the advice specific; without
    them the paragraph still says what happened.  ``hint`` replaces ``stop_hint``'s advice (a caller that
    knows more, such as a formula fit's, which knows the Levenberg–Marquardt landmark).
    """
    steps = number_text.counted(result.steps, "step")
    reason = StopReason(result.stop_reason)
    if reason is StopReason.CONVERGED:
        head = f"Converged after {steps}"
    elif reason is StopReason.STALLED:
        head = f"Stalled after {steps}"
    elif reason is StopReason.MAX_STEPS:
        head = f"Reached the step limit ({steps})"
    elif reason is StopReason.DIVERGED:
        head = f"Diverged after {steps}"
    elif reason is StopReason.EARLY_STOP:
        head = f"Stopped early after {steps}"
    else:
        head = f"Stopped after {steps}"
    why = result.message if result.message and result.message != STOPPED_BY_USER else ""
    if reason is StopReason.MAX_STEPS and why.startswith("reached the step limit"):
        why = ""  # the head says so already, with the count written as every other count is
    text = head + (f": {why}." if why else ".")
    text += f" {where_it_ended(result)}"
    if hint is None:
        hint = stop_hint(result, problem, optimizer, lr)
    return text + (f" {hint}" if hint else "")


def where_it_ended(result: TrainResult) -> str:
    """The final loss beside the optimum, the distance always in per cent of it: "Loss 4.61, at the optimum." /
    "Loss 40.2, 772 % above the optimum 4.61."."""
    loss, optimum = result.loss, result.optimum
    if result.stop_reason is StopReason.DIVERGED:
        return f"The knobs are back at the last finite values (loss {number_text.loss(loss)})."
    if optimum is None or not math.isfinite(loss):
        return f"Loss {number_text.loss(loss)}."
    gap = loss - optimum
    near = NEAR_DIGITS  # close to the optimum, six digits would show the same number twice
    if result.stop_reason is StopReason.CONVERGED:
        return f"Loss {number_text.loss(loss, digits=near)}, at the optimum (gap {number_text.significant(gap, 2)})."
    if optimum <= 1e-12 * abs(loss):
        return (
            f"Loss {number_text.loss(loss)}; the optimum is 0 within rounding (the model can pass through every point)."
        )
    if optimum > 0:
        digits = number_text.LOSS_DIGITS if loss / optimum >= 1.01 else near
        return (
            f"Loss {number_text.loss(loss, digits=digits)}, {number_text.percent(gap / optimum)} above the optimum "
            f"{number_text.loss(optimum, digits=digits)} (gap {number_text.significant(gap, 3)})."
        )
    gap_text = number_text.significant(gap, 3)
    return f"Loss {number_text.loss(loss)}, {gap_text} above the optimum {number_text.loss(optimum)}."


def at_the_optimum(result: TrainResult) -> bool:
    """True when the run ended within ``THERE`` (relative) of a known optimum, however it stopped."""
    loss, optimum = result.loss, result.optimum
    if optimum is None or not math.isfinite(loss) or not math.isfinite(optimum):
        return False
    return loss - optimum <= THERE * max(abs(optimum), 1e-300)


def stop_hint(result: TrainResult, problem=None, optimizer: str | None = None, lr: float | None = None) -> str:
    """What to change when a run fell short of the optimum or diverged ("" when there is nothing to say)."""
    reason = StopReason(result.stop_reason)
    if reason in (StopReason.CONVERGED, StopReason.STOPPED, StopReason.EARLY_STOP):
        return ""
    if reason is StopReason.DIVERGED:
        return _divergence_hint(problem, optimizer, lr)
    if at_the_optimum(result):
        return ""
    hints = []
    if problem is not None and problem.is_polynomial and problem.x.size:
        kind = problem.model.basis.kind
        cond = problem.conditioning.condition_number if problem.conditioning is not None else math.nan
        if kind != "orthonormal" and not cond <= NARROW_VALLEY:
            number = "infinite" if math.isinf(cond) else number_text.significant(cond, 3)
            hints.append(
                f"The {kind} basis makes the loss a narrow valley (condition number {number}): the orthonormal "
                "basis (condition number 1) reaches the optimum in a few steps, and conjugate gradient or "
                "L-BFGS cope with narrow valleys far better than plain gradient descent"
            )
        if not problem.loss.is_squared_error:
            hints.append(
                f"The {problem.loss.kind.upper()} loss has no closed-form optimum to compare with; its gradient "
                "changes abruptly where residuals cross zero"
                + (" (a kink at the minimum)" if problem.loss.kind == "mae" else "")
            )
    if optimizer is not None and lr is not None and problem is not None:
        suggested = default_lr(optimizer, problem)
        if math.isfinite(suggested) and lr < FAR_BELOW * suggested:
            name = OPTIMIZER_NAMES.get(optimizer, optimizer)
            hints.append(
                f"The learning rate {number_text.learning_rate(lr)} is far below {name}'s default here: "
                f"try {number_text.learning_rate(suggested)}"
            )
    if reason is StopReason.MAX_STEPS and not hints:
        hints.append("The loss was still falling: allow more steps")
    return ". ".join(hints) + "." if hints else ""


def _divergence_hint(problem, optimizer: str | None, lr: float | None) -> str:
    cond = problem.conditioning if problem is not None and problem.x.size else None
    limit = cond.max_stable_lr if cond is not None else math.nan
    if lr is None or not math.isfinite(limit):
        return "Try a smaller learning rate."
    suggested = default_lr(optimizer or "gd", problem)
    if optimizer == "gd":
        relation = "above" if lr > limit else "near"
        return (
            f"The learning rate {number_text.learning_rate(lr)} is {relation} the stability limit "
            f"{number_text.learning_rate(limit)} (2/λ_max): try {number_text.learning_rate(suggested)}."
        )
    return (
        f"Try a smaller learning rate: {number_text.learning_rate(suggested)} is this optimiser's default here "
        f"(plain GD is stable below {number_text.learning_rate(limit)})."
    )

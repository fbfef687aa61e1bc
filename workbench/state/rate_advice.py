"""What the learning rate should be for the document's problem: plain gradient descent's stability limit
and the rate the data call for, as the model panel shows them and the controller follows them.

The rate follows the data (every change of data, degree, basis, loss or model) until the user types one
(``RunSettings.lr_chosen``).  It is ``chosen_rate``'s (the CLI's default: for plain gradient descent
2/(λ_max+λ_min), at most 0.9 × the stability limit 2/λ_max), rounded *down* to two significant digits so
it reads well and never crosses the limit.  A polynomial's curvature is exact and the same everywhere
(big data: from the computed facts, None until they arrive); a formula's, a net's or a mini-batch's is
judged at the current knobs on at most ``GUIDE_POINTS`` points spread evenly in x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.fitting.chosen_rate import chosen_rate
from workbench.fitting.learning_rates import curvature_lr
from workbench.fitting.sampling import evenly_sampled
from workbench.fitting.step_size import step_size_guide

from .runs import MAX_LR, MIN_LR

GUIDE_POINTS = 20_000  # a formula's, a net's or batches' rates are judged on this many points
NO_RATE = ("lm",)  # optimisers that take no learning rate (Levenberg–Marquardt)


@dataclass(frozen=True)
class RateAdvice:
    """Plain gradient descent's stability limit here, how it was found, and the rate to use."""

    limit: float | None  # the largest stable rate of plain gradient descent (None: nothing to go by)
    words: str  # how the limit was found: "(2/λ_max)", "(batches of 8)", "(here)"
    tip: str  # one sentence on it
    suggested: float | None  # the rate the data call for, rounded down to two significant digits


NOTHING = RateAdvice(None, "", "", None)


def readable_rate(value: float) -> float:
    """``value`` rounded down to two significant digits (0.0001647 → 0.00016), within the rates allowed."""
    if not (math.isfinite(value) and value > 0):
        return value
    scale = 10.0 ** (math.floor(math.log10(value)) - 1)
    rounded = math.floor(value / scale * (1 + 1e-12)) * scale  # (1e-12: 0.29 stays 0.29 despite rounding)
    return min(max(float(f"{rounded:.2g}"), MIN_LR), MAX_LR)


def rate_advice(document) -> RateAdvice:
    """The stability limit and the suggested rate of ``document``'s problem, at its knobs and settings."""
    doc, settings = document, document.settings
    state = doc.state
    if doc.dataset.n == 0:
        return NOTHING
    kind, batch = settings.optimizer, settings.batch_size
    if state.model == "polynomial" and batch is None:
        cond = doc.conditioning  # (None while big data's is computed)
        if cond is None:
            return NOTHING
        tip = "Plain gradient descent is stable only below 2/λ_max, λ_max the loss's largest curvature"
        suggested = None
        if kind not in NO_RATE:
            if kind == "adam":
                suggested = chosen_rate(kind, evenly_sampled(doc.problem, GUIDE_POINTS), state.theta).value
            else:
                suggested = curvature_lr(kind, cond)
        return RateAdvice(cond.max_stable_lr, "(2/λ_max)", tip, _readable(suggested))
    if doc.big and state.model != "formula" and batch is None:
        return NOTHING  # a net on big data: no curvature worth computing on the window's thread
    sample = evenly_sampled(doc.problem, GUIDE_POINTS)
    try:
        guide = step_size_guide(sample, state.theta, batch, settings.seed)
        suggested = None if kind in NO_RATE else chosen_rate(kind, sample, state.theta, batch, settings.seed).value
    except (ValueError, FloatingPointError, ArithmeticError):
        return NOTHING
    if guide is None:
        return RateAdvice(None, "", "", _readable(suggested))
    words = f"(batches of {guide.batch_size})" if guide.batch_size < guide.n_points else "(here)"
    return RateAdvice(guide.batch_limit, words, guide.text, _readable(suggested))


def _readable(value: float | None) -> float | None:
    if value is None or not (math.isfinite(value) and value > 0):
        return None
    return readable_rate(value)

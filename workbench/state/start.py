"""Which basis new data opens in: the articles' raw powers of x, unless they cannot hold the data or would
leave plain gradient descent hopeless, in which case the Scaled basis (the same curves, in x mapped onto
[−1, 1]) with a note that says why.

The decision is taken on an evenly spaced sample of at most ``PROBE_POINTS`` points: the conditioning of a
polynomial fit depends on where the points lie, not on how many there are, so a million points are judged as
fast as a hundred.
"""

from __future__ import annotations

import math

import numpy as np

from workbench.fitting.basis import Basis
from workbench.fitting.computable import numeric_trouble
from workbench.fitting.data import DataError, Dataset
from workbench.fitting.problem import FitProblem
from workbench.fitting.sampling import even_indices

PROBE_POINTS = 20_000
# Plain gradient descent needs about κ steps at its largest stable rate: past this it cannot get there.
HOPELESS_CONDITION = 1e10


def starting_basis(dataset: Dataset, degree: int) -> tuple[Basis, str | None]:
    """(the basis new data opens in, a note saying why it is not raw powers of x, or None).

    Raises DataError when no basis can compute with the data (numbers beyond double precision).
    """
    x, y, sigma = _probe(dataset)
    monomial = Basis.for_data("monomial", dataset.x)
    if x.size == 0:
        return monomial, None
    why = numeric_trouble(FitProblem.polynomial(x, y, degree, "monomial", sigma=sigma), np.zeros(degree + 1))
    scaled = Basis.for_data("scaled", dataset.x)
    if why is not None:
        trouble = numeric_trouble(FitProblem.polynomial(x, y, degree, "scaled", sigma=sigma), np.zeros(degree + 1))
        if trouble is not None:
            raise DataError(f"{trouble}.")
        return scaled, f"The Scaled basis is used for these data: with raw powers of x, {why}."
    cond = FitProblem.polynomial(x, y, degree, "monomial", sigma=sigma).conditioning
    kappa = cond.condition_number if cond is not None else math.nan
    if degree >= 1 and np.unique(x).size > degree and not kappa < HOPELESS_CONDITION:
        limit = cond.max_stable_lr
        return scaled, (
            f"The Scaled basis is used for these data (x from {float(np.min(x)):.4g} to {float(np.max(x)):.4g}): "
            f"with raw powers of x the loss is a valley about {_order(kappa)} times longer than wide, so plain "
            f"gradient descent would need about that many steps (its largest stable learning rate is "
            f"{limit:.1g}). The curve and its formula in your x are the same in either basis; switch Basis to "
            "Monomial to see the crawl."
        )
    return monomial, None


def _probe(dataset: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """At most ``PROBE_POINTS`` points spread evenly over the data (all of them when fewer), sorted by x."""
    index = even_indices(dataset.x, PROBE_POINTS)
    sigma = None if dataset.sigma is None else dataset.sigma[index]
    return dataset.x[index], dataset.y[index], sigma


def _order(value: float) -> str:
    """10^k in words a teacher can read out ("10¹²"), or "infinitely" for a flat direction."""
    if not math.isfinite(value):
        return "infinitely"
    exponent = int(math.floor(math.log10(max(value, 1.0))))
    return "10" + str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def level_knobs(state) -> np.ndarray:
    """Knobs to start new data from: the flat curve at the data's level (their mean, weighted by 1/σ² when
    they have σ), never the curve fitted to the previous data.

    A polynomial's knobs draw exactly that flat line, in whatever basis; a neural net keeps its weights
    (its shape) and moves its output bias so its mean prediction sits at the level; a formula keeps its
    values (Guess start, which needs the data, follows).
    """
    data, theta = state.dataset, np.array(state.theta, dtype=np.float64)
    if data.n == 0 or state.model == "formula":
        return theta
    weights = None if data.sigma is None else 1.0 / np.asarray(data.sigma, dtype=np.float64) ** 2
    level = float(np.average(data.y, weights=weights))
    if not math.isfinite(level):
        return np.zeros_like(theta) if state.model == "polynomial" else theta
    if state.model == "polynomial":
        flat = np.zeros(theta.size)
        flat[0] = level
        return Basis("monomial").convert(flat, state.basis)
    mean = float(np.mean(state.build_model().predict(theta, data.x)))  # the net: shift its output bias
    if math.isfinite(mean):
        theta[-1] += level - mean
    return theta

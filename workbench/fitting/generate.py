"""Synthetic datasets: a known curve sampled at evenly spaced x, plus reproducible Gaussian noise."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.fitting.data import Dataset

__all__ = ["CURVES", "Curve", "GenerateSettings", "MAX_POINTS", "MIN_POINTS", "generate_points"]

MIN_POINTS = 2
MAX_POINTS = 100_000


@dataclass(frozen=True)
class Curve:
    """A function the generator can sample: a label for menus and the formula in plain text."""

    label: str
    formula: str
    function: Callable[[np.ndarray], np.ndarray]


CURVES: dict[str, Curve] = {
    "sine": Curve("Sine", "y = sin(πx)", lambda x: np.sin(np.pi * x)),
    "cubic": Curve("Cubic", "y = x³ − x", lambda x: x**3 - x),
    "line": Curve("Straight line", "y = 0.5x + 0.2", lambda x: 0.5 * x + 0.2),
    "exponential": Curve("Exponential", "y = eˣ", np.exp),
    "gaussian": Curve("Gaussian bump", "y = exp(−x² / 0.18)", lambda x: np.exp(-(x**2) / 0.18)),
    "step": Curve("Step", "y = 0 for x < 0, 1 for x ≥ 0", lambda x: np.where(x < 0, 0.0, 1.0)),
}


def generate_points(kind: str, n: int, lo: float, hi: float, noise: float, seed: int) -> Dataset:
    """``n`` points of curve ``kind`` at evenly spaced x in [lo, hi], y plus N(0, noise²) noise from ``seed``.

    A pure function of its arguments: the same settings always give the same points.  Raises
    ``ValueError`` with a message a user can act on when a setting is out of range.
    """
    if kind not in CURVES:
        raise ValueError(f"Unknown curve '{kind}': choose one of {', '.join(CURVES)}.")
    if int(n) != n or not MIN_POINTS <= n <= MAX_POINTS:
        raise ValueError(f"The number of points must be a whole number from {MIN_POINTS} to {MAX_POINTS}, not {n}.")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("The x range must be finite numbers.")
    if lo >= hi:
        raise ValueError(f"Empty x range: 'from' ({lo:g}) must be less than 'to' ({hi:g}).")
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"The noise standard deviation must be 0 or more, not {noise:g}.")
    if int(seed) != seed or seed < 0:
        raise ValueError(f"The random seed must be a whole number ≥ 0, not {seed}.")
    with np.errstate(over="ignore", invalid="ignore"):
        x = np.linspace(float(lo), float(hi), int(n))
        y = CURVES[kind].function(x) + np.random.default_rng(int(seed)).normal(0.0, float(noise), int(n))
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError(f"The {CURVES[kind].label.lower()} overflows on [{lo:g}, {hi:g}]: choose a smaller x range.")
    return Dataset(x, y, name=kind)


@dataclass(frozen=True)
class GenerateSettings:
    """The generator's settings, remembered between uses of the Generate dialog."""

    kind: str = "sine"
    n: int = 30
    lo: float = -1.0
    hi: float = 1.0
    noise: float = 0.1
    seed: int = 0

    def generate(self) -> Dataset:
        """The points these settings describe (see ``generate_points``)."""
        return generate_points(self.kind, self.n, self.lo, self.hi, self.noise, self.seed)

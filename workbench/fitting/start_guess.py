"""Guess start: start values near enough for Levenberg–Marquardt, for any formula, from the data alone.

What it does, in the words the app shows:

1. It finds the parameters the formula is linear in (``a`` and ``c`` in ``a*exp(-b*x) + c``: doubling a
   doubles its term) by testing the formula at random values.  For any values of the others, the best
   linear ones follow from one small least-squares solve, so they are never guessed.
2. It tries the other parameters (``b``) at values drawn from the data's own scales: powers of ten from
   0.001 to 1000 of either sign, rates and frequencies 1/(x range) and 2π·k/(x range), positions at the
   x data's quantiles, widths as fractions of the x range.  One or two such parameters are tried at every
   combination; more at 20 000 random combinations.
3. It keeps the combination with the smallest squared error and polishes it one parameter at a time
   on a finer grid.

That recovers the usual shapes (exponential decay, a Gaussian peak, a logistic step, a saturation
curve, a sine) near enough for LM to finish, in a fraction of a second.  It is a search, not a solve:
LM is what finds the optimum.  Everything is seeded, so a guess is the same every time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.engine import constant

from .formula_model import FormulaModel, build

SEARCH_POINTS = 120  # data points the search looks at (evenly spread through the data)
RANDOM_COMBINATIONS = 20_000
CHUNK_ELEMENTS = 600_000  # candidates × points evaluated at once (memory)
_QUIET: dict[str, Any] = {"all": "ignore"}


@dataclass(frozen=True)
class StartGuess:
    """Start values and how they were found (``explanation`` is a sentence for the status line)."""

    params: np.ndarray
    sse: float
    linear: tuple[str, ...]
    searched: tuple[str, ...]
    tried: int
    explanation: str


def guess_start(model: FormulaModel, x, y, sigma=None, seed: int = 0) -> StartGuess:
    """Start values for ``model`` on the data (x, y) (weighted by 1/σ when σ is given)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    weight = np.ones_like(x) if sigma is None else 1.0 / np.asarray(sigma, dtype=np.float64)
    x, y, weight = x[keep], y[keep], weight[keep]
    if x.size == 0:
        raise ValueError("no data points to guess start values from")
    if x.size > SEARCH_POINTS:
        chosen = np.unique(np.linspace(0, x.size - 1, SEARCH_POINTS).round().astype(int))
        x, y, weight = x[chosen], y[chosen], weight[chosen]
    search = _Search(model, x, y, weight, np.random.default_rng(seed))
    return search.run()


class _Search:
    def __init__(self, model: FormulaModel, x, y, weight, rng):
        self.model, self.x, self.y, self.weight, self.rng = model, x, y, weight, rng
        self.names = model.parameter_names
        self.linear = self._linear_parameters()
        self.others = [i for i in range(len(self.names)) if i not in self.linear]
        self.tried = 0

    # -- 1. which parameters enter linearly ------------------------------------------------------
    def _linear_parameters(self) -> list[int]:
        """Indices of parameters in which the formula is affine, jointly (a·b·x is linear in a and in b,
        but not in both at once: only the first is taken)."""
        chosen: list[int] = []
        for j in range(len(self.names)):
            if self._affine_in([*chosen, j]):
                chosen.append(j)
        return chosen

    def _affine_in(self, subset: list[int]) -> bool:
        for _ in range(3):
            base = self.rng.choice([-1.0, 1.0], len(self.names)) * self.rng.uniform(0.5, 2.0, len(self.names))
            values = self.rng.uniform(-2.0, 2.0, (2, len(subset)))
            rows = np.tile(base, (1 + len(subset) + values.shape[0], 1))
            rows[:, subset] = 0.0
            for k, j in enumerate(subset):
                rows[1 + k, j] = 1.0
            rows[1 + len(subset) :, subset] = values
            f = self._curves(rows)
            if not np.all(np.isfinite(f)):
                return False
            columns = f[1 : 1 + len(subset)] - f[0]
            predicted = f[0] + values @ columns
            actual = f[1 + len(subset) :]
            scale = max(float(np.max(np.abs(f))), 1e-300)
            if np.max(np.abs(predicted - actual)) > 1e-9 * scale:
                return False
        return True

    # -- evaluating many parameter sets at once --------------------------------------------------
    def _curves(self, rows: np.ndarray) -> np.ndarray:
        """The formula at every row of parameters (rows × points), in one pass through the engine."""
        knobs = {name: constant(rows[:, [j]], label=name) for j, name in enumerate(self.names)}  # no gradients
        with np.errstate(**_QUIET):
            values = build(self.model.tree, constant(self.x[None, :], label="x"), knobs).value
        return np.broadcast_to(values, (rows.shape[0], self.x.size)).astype(np.float64)

    def _fit_linear(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row (values of the nonlinear parameters), the best linear ones and the weighted SSE."""
        count = rows.shape[0]
        zero = rows.copy()
        zero[:, self.linear] = 0.0
        f0 = self._curves(zero)
        target = (self.y - f0) * self.weight
        columns = []
        for j in self.linear:
            unit = zero.copy()
            unit[:, j] = 1.0
            columns.append((self._curves(unit) - f0) * self.weight)
        best = rows.copy()
        if columns:
            design = np.stack(columns, axis=2)  # rows × points × linear
            with np.errstate(**_QUIET):
                gram = np.einsum("mnk,mnl->mkl", design, design)
                right = np.einsum("mnk,mn->mk", design, target)
                ridge = 1e-12 * np.trace(gram, axis1=1, axis2=2)[:, None, None] * np.eye(len(self.linear))
                try:
                    solution = np.linalg.solve(gram + ridge + 1e-300 * np.eye(len(self.linear)), right[..., None])[
                        ..., 0
                    ]
                except np.linalg.LinAlgError:
                    solution = np.zeros((count, len(self.linear)))
                residual = target - np.einsum("mnk,mk->mn", design, solution)
            best[:, self.linear] = solution
        else:
            residual = target
        with np.errstate(**_QUIET):
            sse = np.sum(residual * residual, axis=1)
        sse[~np.isfinite(sse) | ~np.all(np.isfinite(best), axis=1)] = np.inf
        self.tried += count
        return best, sse

    def _best_of(self, rows: np.ndarray) -> tuple[np.ndarray | None, float]:
        """The row that fits best and its sum of squares (None and inf when no row gives a finite fit)."""
        chunk = max(1, CHUNK_ELEMENTS // max(self.x.size * (len(self.linear) + 1), 1))
        best_row, best_sse = None, np.inf
        for start in range(0, rows.shape[0], chunk):
            fitted, sse = self._fit_linear(rows[start : start + chunk])
            i = int(np.argmin(sse))
            if sse[i] < best_sse:
                best_row, best_sse = fitted[i], float(sse[i])
        return best_row, best_sse

    # -- 2. and 3. the search and the polish --------------------------------------------------------
    def candidates(self) -> np.ndarray:
        """Values a nonlinear parameter is tried at, from the data's scales."""
        span = float(np.ptp(self.x)) or max(float(np.max(np.abs(self.x))), 1.0)
        powers = 10.0 ** np.linspace(-3, 3, 19)
        rates = np.array([0.5, 1, 2, 3, 5, 10, 20]) / span
        turns = 2 * np.pi * np.arange(0.5, min(self.x.size / 4, 20) + 0.5, 0.5) / span
        widths = np.array([0.02, 0.05, 0.1, 0.2, 0.5, 1.0]) * span
        spread = np.concatenate([powers, rates, turns, widths])
        places = np.quantile(self.x, np.linspace(0, 1, 11))
        return np.unique(np.concatenate([[0.0], spread, -spread, places]))

    def run(self) -> StartGuess:
        n = len(self.names)
        values = self.candidates()
        if not self.others:
            rows = np.zeros((1, n))
        elif len(self.others) <= 2:
            grid = np.array(list(itertools.product(values, repeat=len(self.others))))
            rows = np.ones((grid.shape[0], n))
            rows[:, self.others] = grid
        else:
            rows = np.ones((RANDOM_COMBINATIONS, n))
            rows[:, self.others] = self.rng.choice(values, (RANDOM_COMBINATIONS, len(self.others)))
        best, sse = self._best_of(rows)
        if best is None or not np.isfinite(sse):
            return self._nothing_finite(n)
        for _ in range(3):  # polish: each nonlinear parameter on a finer grid around its value
            for j in self.others:
                trial = np.tile(best, (41, 1))
                trial[:, j] = best[j] * np.geomspace(0.5, 2.0, 41) if best[j] != 0 else np.linspace(-1, 1, 41)
                candidate, candidate_sse = self._best_of(trial)
                if candidate is not None and candidate_sse < sse:
                    best, sse = candidate, candidate_sse
        return StartGuess(best, sse, self._names(self.linear), self._names(self.others), self.tried, self._explain())

    def _names(self, indices) -> tuple[str, ...]:
        return tuple(self.names[i] for i in indices)

    def _explain(self) -> str:
        linear, searched = self._names(self.linear), self._names(self.others)
        parts = []
        if searched:
            parts.append(f"tried {', '.join(searched)} at {self.tried:,} values from the data's scales")
        if linear:
            verbs = ("enters", "was") if len(linear) == 1 else ("enter", "were")
            parts.append(f"{', '.join(linear)} {verbs[0]} linearly and {verbs[1]} solved for each try")
        return "Guess start: " + "; ".join(parts) + ". Levenberg–Marquardt takes it from here."

    def _nothing_finite(self, n: int) -> StartGuess:
        return StartGuess(
            self.model.initial_params(),
            float("inf"),
            self._names(self.linear),
            self._names(self.others),
            self.tried,
            "Guess start found no values where the formula is a finite number at every point: "
            "type start values in, or check the formula",
        )

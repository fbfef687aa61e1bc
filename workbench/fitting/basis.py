"""Polynomial bases: what the knobs k_i multiply, and how to report any fit in the user's own x.

* ``monomial``: the articles' y = k0 + k1·x + … + kD·x^D, on raw x.
* ``scaled``: the same powers of t, where t maps the data's x range onto [−1, 1].
* ``legendre``: Legendre polynomials P_i(t), orthogonal on [−1, 1].

Raw powers of a wide x range make the loss a razor-thin valley (see ``conditioning``); the scaled and
Legendre bases fix that, and ``to_monomial`` always reports the curve as a polynomial in the original x.
That conversion is done in exact rational arithmetic, so it adds no rounding error of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import comb

import numpy as np

BASIS_KINDS = ("monomial", "scaled", "legendre")
MAX_DEGREE = 15
DOUBLE_HALF = float(np.finfo(np.float64).max) / 2  # |x| up to this can be widened by |x| and stay finite


@dataclass(frozen=True)
class Basis:
    """A basis kind and the x interval [lo, hi] that the scaled and Legendre kinds map onto [−1, 1]."""

    kind: str = "monomial"
    lo: float = -1.0
    hi: float = 1.0

    def __post_init__(self):
        if self.kind not in BASIS_KINDS:
            raise ValueError(f"unknown basis {self.kind!r}: choose one of {', '.join(BASIS_KINDS)}")
        if not (np.isfinite(self.lo) and np.isfinite(self.hi)) or not self.hi > self.lo:
            raise ValueError(f"basis interval must be finite with lo < hi, got [{self.lo}, {self.hi}]")

    @classmethod
    def for_data(cls, kind: str, x) -> Basis:
        """The basis of ``kind`` whose interval is the range of ``x`` (widened if all x are equal)."""
        x = np.asarray(x, dtype=np.float64)
        if x.size == 0:
            return cls(kind)
        lo, hi = float(np.min(x)), float(np.max(x))
        if not hi > lo:
            # All x equal: an interval around it (±|x|, at least ±1), inside the doubles' range.
            half = max(abs(lo), 1.0)
            lo, hi = (lo - half, lo + half) if abs(lo) <= DOUBLE_HALF else (min(lo, 0.0), max(lo, 0.0))
        return cls(kind, lo, hi)

    # -- the map x -> t ---------------------------------------------------------------------------
    # Halved before adding: an interval as wide as the doubles themselves (−1e308 to 1e308) still has a
    # finite centre and half-width; otherwise the same doubles as 0.5·(hi ± lo).
    @property
    def centre(self) -> float:
        """Midpoint of the interval (x that maps to t = 0)."""
        return 0.5 * self.lo + 0.5 * self.hi

    @property
    def half_width(self) -> float:
        """Half the interval's width (x distance that maps to Δt = 1)."""
        return 0.5 * self.hi - 0.5 * self.lo

    def to_t(self, x) -> np.ndarray:
        """The variable the basis functions are evaluated at: x itself for monomials, else scaled x."""
        x = np.asarray(x, dtype=np.float64)
        if self.kind == "monomial":
            return x
        return (x - self.centre) / self.half_width

    # -- evaluation --------------------------------------------------------------------------------
    def design_matrix(self, x, degree: int) -> np.ndarray:
        """Columns φ_0(x) … φ_D(x): the model is design_matrix @ k."""
        check_degree(degree)
        t = self.to_t(x)
        if self.kind == "legendre":
            return legendre_columns(t, degree)
        return np.vander(t, degree + 1, increasing=True)

    def evaluate(self, coefficients, x) -> np.ndarray:
        """The curve's values at x for coefficients in this basis (stable: never via monomials in x)."""
        coefficients = np.asarray(coefficients, dtype=np.float64)
        t = self.to_t(x)
        if self.kind == "legendre":
            return np.polynomial.legendre.legval(t, coefficients)
        return np.polynomial.polynomial.polyval(t, coefficients)

    # -- conversions -------------------------------------------------------------------------------
    def to_monomial(self, coefficients, low_part=None) -> np.ndarray:
        """The same curve as coefficients of 1, x, x², … in the user's original x (rounded to floats).

        Rounding is the last step: for x far from 0 the rounded powers-of-x coefficients no longer pin
        the curve down, so conversions between bases use ``convert`` and never pass through floats.
        """
        return np.array([float(c) for c in self.to_exact_monomial(coefficients, low_part)])

    def to_exact_monomial(self, coefficients, low_part=None) -> list[Fraction]:
        """Powers-of-x coefficients as exact fractions (``low_part``: extra precision, hi + lo exactly)."""
        exact = [Fraction(float(c)) for c in coefficients]
        if low_part is not None:
            exact = [c + Fraction(float(lo)) for c, lo in zip(exact, low_part)]
        return self._to_monomial_exact(exact)

    def from_monomial(self, monomial) -> np.ndarray:
        """Coefficients in this basis of the curve Σ m_i·x^i."""
        return self.from_exact_monomial([Fraction(float(c)) for c in monomial])

    def from_exact_monomial(self, monomial: list[Fraction]) -> np.ndarray:
        """Coefficients in this basis of Σ m_i·x^i given exactly; rounded to floats only at the end."""
        return np.array([float(v) for v in self._from_monomial_exact(list(monomial))])

    def _from_monomial_exact(self, monomial: list[Fraction]) -> list[Fraction]:
        if self.kind == "monomial":
            return monomial
        # x = centre + half_width·t: expand each x^i in powers of t.
        c, h = Fraction(self.centre), Fraction(self.half_width)
        power_t = _compose_linear(monomial, c, h)
        return power_t if self.kind == "scaled" else _power_to_legendre(power_t)

    def convert(self, coefficients, target: Basis, low_part=None) -> np.ndarray:
        """The same curve's coefficients in ``target`` (exact in between; one rounding at the end).

        The change of basis is linear, so its exact rational matrix is worked out once per pair of bases
        and degree; each conversion is then one exact matrix-vector product (the same exact result as
        converting through the monomials every time, ~20× faster: a redraw converts the knobs).
        """
        if target == self and low_part is None:
            return np.array(coefficients, dtype=np.float64)
        exact = [Fraction(float(c)) for c in coefficients]
        if low_part is not None:
            exact = [c + Fraction(float(lo)) for c, lo in zip(exact, low_part)]
        matrix = _conversion_matrix(self, target, len(exact))
        return np.array([float(sum(m * c for m, c in zip(row, exact) if m and c)) for row in matrix])

    def _to_monomial_exact(self, coefficients: list[Fraction]) -> list[Fraction]:
        if self.kind == "monomial":
            return coefficients
        power_t = coefficients if self.kind == "scaled" else _legendre_to_power(coefficients)
        # t = (x − centre)/half_width = a + b·x with b = 1/half_width, a = −centre/half_width.
        b = 1 / Fraction(self.half_width)
        a = -Fraction(self.centre) * b
        return _compose_linear(power_t, a, b)


@lru_cache(maxsize=64)
def _conversion_matrix(source: Basis, target: Basis, size: int) -> tuple[tuple[Fraction, ...], ...]:
    """Rows of the exact matrix taking ``size`` coefficients in ``source`` to ``target``."""
    columns = []
    for i in range(size):
        unit = [Fraction(int(i == j)) for j in range(size)]
        columns.append(target._from_monomial_exact(source._to_monomial_exact(unit)))
    return tuple(tuple(columns[i][j] for i in range(size)) for j in range(size))


def legendre_columns(t: np.ndarray, degree: int) -> np.ndarray:
    """P_0(t) … P_D(t) as columns, by Bonnet's recursion (column by column: 6× faster than legvander)."""
    columns = np.empty((degree + 1, t.size), dtype=t.dtype)
    columns[0] = 1
    if degree > 0:
        columns[1] = t
    for i in range(1, degree):
        columns[i + 1] = ((2 * i + 1) * t * columns[i] - i * columns[i - 1]) / (i + 1)
    return columns.T


def check_degree(degree: int) -> None:
    """Refuse degrees outside 0..15 with a message that says the allowed range."""
    if not isinstance(degree, (int, np.integer)) or not 0 <= degree <= MAX_DEGREE:
        raise ValueError(f"degree must be a whole number from 0 to {MAX_DEGREE}, got {degree!r}")


def _compose_linear(coefficients: list[Fraction], a: Fraction, b: Fraction) -> list[Fraction]:
    """Coefficients in x of Σ c_i·(a + b·x)^i, exactly (binomial expansion)."""
    out = [Fraction(0)] * len(coefficients)
    for i, c in enumerate(coefficients):
        if c == 0:
            continue
        for j in range(i + 1):
            out[j] += c * comb(i, j) * a ** (i - j) * b**j
    return out


def _legendre_power_table(n: int) -> list[list[Fraction]]:
    """Row i: power-series coefficients of P_i, from Bonnet's recursion (i+1)P_{i+1} = (2i+1)tP_i − iP_{i−1}."""
    rows = [[Fraction(1)], [Fraction(0), Fraction(1)]]
    for i in range(1, n):
        prev, cur = rows[i - 1], rows[i]
        nxt = [Fraction(0)] * (i + 2)
        for j, c in enumerate(cur):
            nxt[j + 1] += Fraction(2 * i + 1, i + 1) * c
        for j, c in enumerate(prev):
            nxt[j] -= Fraction(i, i + 1) * c
        rows.append(nxt)
    return rows[: max(n, 1)]


def _legendre_to_power(coefficients: list[Fraction]) -> list[Fraction]:
    """Σ c_i·P_i(t) as coefficients of powers of t."""
    table = _legendre_power_table(len(coefficients))
    out = [Fraction(0)] * len(coefficients)
    for c, row in zip(coefficients, table):
        for j, v in enumerate(row):
            out[j] += c * v
    return out


def _power_to_legendre(power: list[Fraction]) -> list[Fraction]:
    """Inverse of ``_legendre_to_power``: solve the triangular system from the highest degree down."""
    table = _legendre_power_table(len(power))
    rest = list(power)
    out = [Fraction(0)] * len(power)
    for i in range(len(power) - 1, -1, -1):
        out[i] = rest[i] / table[i][i]
        for j, v in enumerate(table[i]):
            rest[j] -= out[i] * v
    return out

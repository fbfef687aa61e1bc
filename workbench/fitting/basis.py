"""Polynomial bases: what the knobs k_i multiply, and how to report any fit in the user's own x.

* ``monomial``: the articles' y = k0 + k1·x + … + kD·x^D, on raw x.
* ``scaled``: the same powers of t, where t maps the data's x range onto [−1, 1].
* ``legendre``: Legendre polynomials P_i(t), orthogonal on [−1, 1].
* ``orthonormal``: φ(x) = P(t)ᵀ·R⁻¹, orthonormal on the user's own data points (σ-weighted when σ is
  given; see ``orthonormal``): the squared-error loss's Hessian is a multiple of the identity.

Raw powers of a wide x range make the loss a razor-thin valley (see ``conditioning``); the scaled and
Legendre bases ease that, the orthonormal one removes it, and ``to_monomial`` always reports the curve as
a polynomial in the original x.  Every conversion is done in exact rational arithmetic (the orthonormal
basis's factor R is part of its definition, as exact doubles), so it adds no rounding error of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from math import comb

import numpy as np

from .legendre import legendre_columns
from .orthonormal import (
    interval_factor,
    orthonormal_factor,
    packed_size,
    unpacked,
    upper_multiply_exact,
    upper_solve_exact,
)

__all__ = ["BASIS_KINDS", "MAX_DEGREE", "Basis", "check_degree", "legendre_columns"]

BASIS_KINDS = ("monomial", "scaled", "legendre", "orthonormal")
MAX_DEGREE = 15
DOUBLE_HALF = float(np.finfo(np.float64).max) / 2  # |x| up to this can be widened by |x| and stay finite


@dataclass(frozen=True)
class Basis:
    """A basis kind, the x interval [lo, hi] that all but the monomial kind map onto [−1, 1], and for the
    orthonormal kind its triangular factor R (the upper triangle, row by row; see ``orthonormal``)."""

    kind: str = "monomial"
    lo: float = -1.0
    hi: float = 1.0
    factor: tuple[float, ...] | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.kind not in BASIS_KINDS:
            raise ValueError(f"unknown basis {self.kind!r}: choose one of {', '.join(BASIS_KINDS)}")
        if not (np.isfinite(self.lo) and np.isfinite(self.hi)) or not self.hi > self.lo:
            raise ValueError(f"basis interval must be finite with lo < hi, got [{self.lo}, {self.hi}]")
        if self.kind != "orthonormal":
            if self.factor is not None:
                raise ValueError(f"only the orthonormal basis has a factor, not the {self.kind} basis")
            return
        factor = interval_factor(MAX_DEGREE + 1) if self.factor is None else tuple(float(v) for v in self.factor)
        object.__setattr__(self, "factor", factor)
        m = packed_size(len(factor))
        if not 1 <= m <= MAX_DEGREE + 1:
            raise ValueError(
                f"an orthonormal basis factor holds m(m+1)/2 numbers for m = 1 … {MAX_DEGREE + 1}, got {len(factor)}"
            )
        if not all(np.isfinite(factor)):
            raise ValueError("an orthonormal basis factor must hold finite numbers")
        diagonal = [factor[i * m - i * (i - 1) // 2] for i in range(m)]
        if not all(d > 0 for d in diagonal):
            raise ValueError("an orthonormal basis factor needs a positive diagonal")

    @classmethod
    def for_data(cls, kind: str, x, sigma=None) -> Basis:
        """The basis of ``kind`` whose interval is the range of ``x`` (widened if all x are equal).

        The orthonormal kind is orthonormal on these x (weighted by 1/σ² when ``sigma`` is given), for
        every degree up to ``MAX_DEGREE``; the other kinds ignore ``sigma``.
        """
        x = np.asarray(x, dtype=np.float64)
        if x.size == 0:
            return cls(kind)
        lo, hi = float(np.min(x)), float(np.max(x))
        if not hi > lo:
            # All x equal: an interval around it (±|x|, at least ±1), inside the doubles' range.
            half = max(abs(lo), 1.0)
            lo, hi = (lo - half, lo + half) if abs(lo) <= DOUBLE_HALF else (min(lo, 0.0), max(lo, 0.0))
        if kind != "orthonormal":
            return cls(kind, lo, hi)
        interval = cls("legendre", lo, hi)
        return cls(kind, lo, hi, orthonormal_factor(interval.to_t(x), MAX_DEGREE + 1, sigma))

    @property
    def max_degree(self) -> int:
        """The highest degree this basis has functions for (its factor's size − 1 for the orthonormal kind)."""
        return packed_size(len(self.factor)) - 1 if self.factor is not None else MAX_DEGREE

    def factor_matrix(self, degree: int | None = None) -> np.ndarray:
        """R (orthonormal kind only), or its leading (degree+1)-square block: φ = Pᵀ·R⁻¹ (read-only)."""
        if self.factor is None:
            raise ValueError(f"the {self.kind} basis has no factor")
        r, _ = unpacked(self.factor)
        return r if degree is None else r[: degree + 1, : degree + 1]

    def inverse_factor(self, degree: int) -> np.ndarray:
        """R⁻¹'s leading (degree+1)-square block (orthonormal kind only): column j holds φ_j's Legendre
        coefficients (read-only)."""
        if self.factor is None:
            raise ValueError(f"the {self.kind} basis has no factor")
        return unpacked(self.factor)[1][: degree + 1, : degree + 1]

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
        self.check_degree(degree)
        t = self.to_t(x)
        if self.kind == "legendre":
            return legendre_columns(t, degree)
        if self.kind == "orthonormal":
            return legendre_columns(t, degree) @ self.inverse_factor(degree)
        return np.vander(t, degree + 1, increasing=True)

    def evaluate(self, coefficients, x) -> np.ndarray:
        """The curve's values at x for coefficients in this basis (stable: never via monomials in x)."""
        coefficients = np.asarray(coefficients, dtype=np.float64)
        t = self.to_t(x)
        if self.kind == "orthonormal":
            self.check_degree(coefficients.size - 1)
            coefficients = self.inverse_factor(coefficients.size - 1) @ coefficients
        if self.kind in ("legendre", "orthonormal"):
            return np.polynomial.legendre.legval(t, coefficients)
        return np.polynomial.polynomial.polyval(t, coefficients)

    def check_degree(self, degree: int) -> None:
        """``check_degree``, and for the orthonormal kind also that its factor reaches this degree."""
        check_degree(degree)
        if degree > self.max_degree:
            raise ValueError(
                f"this orthonormal basis has functions up to degree {self.max_degree}, not {degree}: "
                "build it again for the higher degree"
            )

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
        if self.kind == "scaled":
            return power_t
        legendre = _power_to_legendre(power_t)
        if self.kind == "orthonormal":  # k = R·c: the exact product with R's own doubles
            self.check_degree(len(legendre) - 1)
            assert self.factor is not None  # every orthonormal basis has one (``__post_init__``)
            return upper_multiply_exact(self.factor, legendre)
        return legendre

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
        return self.convert_exact(exact, target)

    def convert_exact(self, coefficients: list[Fraction], target: Basis) -> np.ndarray:
        """Coefficients given exactly in this basis, as doubles in ``target`` (one rounding, at the end)."""
        return np.array([float(v) for v in self._convert_to_fractions(list(coefficients), target)])

    def convert_split(self, coefficients, target: Basis) -> tuple[np.ndarray, np.ndarray]:
        """The same curve in ``target`` as two doubles per coefficient, hi + lo, holding the exact
        conversion to about 106 bits: for evaluation where the coefficients cancel each other."""
        exact = self._convert_to_fractions([Fraction(float(c)) for c in coefficients], target)
        hi = [float(v) for v in exact]
        return np.array(hi), np.array([float(v - Fraction(h)) for v, h in zip(exact, hi)])

    def _convert_to_fractions(self, exact: list[Fraction], target: Basis) -> list[Fraction]:
        matrix = _conversion_matrix(self, target, len(exact))
        return [sum((m * c for m, c in zip(row, exact) if m and c), Fraction(0)) for row in matrix]

    def _to_monomial_exact(self, coefficients: list[Fraction]) -> list[Fraction]:
        if self.kind == "monomial":
            return coefficients
        if self.kind == "orthonormal":  # c = R⁻¹·k, exactly
            self.check_degree(len(coefficients) - 1)
            assert self.factor is not None  # every orthonormal basis has one (``__post_init__``)
            coefficients = upper_solve_exact(self.factor, coefficients)
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

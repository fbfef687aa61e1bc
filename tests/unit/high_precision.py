"""A least-squares polynomial fit in 100-digit decimal arithmetic: the reference the fitted numbers are
judged against.  Independent of the code under test: plain powers of x scaled to [−1, 1], normal
equations, Gaussian elimination, all in ``decimal`` (no NumPy arithmetic, no floating point)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

PRECISION = 100


@dataclass(frozen=True)
class ReferenceFit:
    """The weighted (or plain) least-squares fit, to ~90 digits."""

    fitted: list[Decimal]
    rss: Decimal  # Σ w·r² (χ² when weighted)
    residual_sd: Decimal | None
    r_squared: Decimal | None
    loss: Decimal  # mean of w·r² (the MSE the fit reports)

    def fitted_floats(self) -> list[float]:
        return [float(v) for v in self.fitted]


def reference_fit(x, y, degree: int, sigma=None) -> ReferenceFit:
    """Fit ``degree`` to (x, y), weights 1/σ² when ``sigma`` is given, in ``PRECISION``-digit decimals."""
    with localcontext() as context:
        context.prec = PRECISION
        xs = [Decimal(float(v)) for v in x]
        ys = [Decimal(float(v)) for v in y]
        ws = [Decimal(1)] * len(xs) if sigma is None else [1 / Decimal(float(s)) ** 2 for s in sigma]
        lo, hi = min(xs), max(xs)
        centre, half = (lo + hi) / 2, ((hi - lo) / 2 if hi > lo else Decimal(1))
        ts = [(v - centre) / half for v in xs]
        p = degree + 1
        powers = [_powers(t, p) for t in ts]
        normal = [[sum(w * row[i] * row[j] for w, row in zip(ws, powers)) for j in range(p)] for i in range(p)]
        rhs = [sum(w * row[i] * yv for w, row, yv in zip(ws, powers, ys)) for i in range(p)]
        coefficients = _solve(normal, rhs)
        fitted = [sum(c * v for c, v in zip(coefficients, row)) for row in powers]
        residuals = [f - yv for f, yv in zip(fitted, ys)]
        rss = sum(w * r * r for w, r in zip(ws, residuals))
        dof = len(xs) - p
        mean = sum(w * yv for w, yv in zip(ws, ys)) / sum(ws)
        tss = sum(w * (yv - mean) ** 2 for w, yv in zip(ws, ys))
        return ReferenceFit(
            fitted=fitted,
            rss=rss,
            residual_sd=(rss / dof).sqrt() if dof > 0 else None,
            r_squared=1 - rss / tss if tss > 0 else None,
            loss=rss / len(xs),
        )


def _powers(t: Decimal, p: int) -> list[Decimal]:
    """1, t, t², … (p values; decimal's 0**0 is an error, not 1)."""
    values = [Decimal(1)]
    for _ in range(p - 1):
        values.append(values[-1] * t)
    return values


def _solve(matrix: list[list[Decimal]], rhs: list[Decimal]) -> list[Decimal]:
    """Gaussian elimination with partial pivoting."""
    n = len(rhs)
    a = [row[:] + [b] for row, b in zip(matrix, rhs)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= factor * a[col][c]
    solution = [Decimal(0)] * n
    for r in range(n - 1, -1, -1):
        solution[r] = (a[r][n] - sum(a[r][c] * solution[c] for c in range(r + 1, n))) / a[r][r]
    return solution


def digits(computed, reference) -> float:
    """Correct significant digits of ``computed`` against ``reference`` (scalars or sequences; for a
    sequence, the worst error relative to the largest reference value)."""
    with localcontext() as context:
        context.prec = PRECISION
        if isinstance(reference, (list, tuple)):
            scale = max(abs(r) for r in reference)
            error = max(abs(Decimal(float(c)) - r) for c, r in zip(computed, reference))
        else:
            scale = abs(reference)
            error = abs(Decimal(float(computed)) - reference)
        if error == 0:
            return float("inf")
        return float(-(error / scale).log10())

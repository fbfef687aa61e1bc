"""Student's t distribution without SciPy: its tail, CDF and quantiles, for confidence and prediction bands.

``t_quantile`` is called for every redraw of the bands (a pan, a zoom), and one call costs up to a few
milliseconds of continued-fraction bisection: its results are remembered (the same level and degrees of
freedom come back on every redraw).
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist


def betainc(a: float, b: float, x: float, complement: float | None = None) -> float:
    """Regularized incomplete beta I_x(a, b), by its continued fraction (modified Lentz).

    ``complement``, if given, is 1 − x computed without cancellation (it matters when x is near 1).
    """
    if not (a > 0 and b > 0):
        raise ValueError("betainc needs a > 0 and b > 0")
    y = 1.0 - x if complement is None else complement
    if x <= 0:
        return 0.0
    if y <= 0:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - betainc(b, a, y, x)
    log_x = math.log1p(-y) if y < 0.5 else math.log(x)
    log_y = math.log1p(-x) if x < 0.5 else math.log(y)
    log_front = _log_inverse_beta(a, b) + a * log_x + b * log_y
    return math.exp(log_front) * _beta_fraction(a, b, x) / a


def _log_inverse_beta(a: float, b: float) -> float:
    """ln Γ(a+b) − ln Γ(a) − ln Γ(b), without the cancellation of lgamma differences for a large argument.

    For the larger argument ≥ 10, ln Γ(big + small) − ln Γ(big) comes from Stirling's series written as
    (big − ½)·log1p(small/big) + small·ln(big + small) − small + correction terms.
    """
    big, small = max(a, b), min(a, b)
    if big < 10:
        return math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    ratio = (big - 0.5) * math.log1p(small / big) + small * math.log(big + small) - small
    return ratio + _stirling_correction(big + small) - _stirling_correction(big) - math.lgamma(small)


def _stirling_correction(z: float) -> float:
    """ln Γ(z) − [(z − ½)·ln z − z + ½·ln 2π] for z ≥ 10 (series to z⁻⁹: error < 1e-17 relative)."""
    w = 1.0 / (z * z)
    return (1.0 / 12 - w * (1.0 / 360 - w * (1.0 / 1260 - w * (1.0 / 1680 - w / 1188)))) / z


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-16
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            delta = c * d
            h *= delta
        if abs(delta - 1.0) < eps:
            return h
    raise ArithmeticError("incomplete beta continued fraction did not converge")


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    if not df > 0:
        raise ValueError(f"degrees of freedom must be positive, got {df!r}")
    t2 = t * t
    tail = 0.5 * betainc(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2))
    return tail if t >= 0 else 1.0 - tail


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with ``df`` degrees of freedom."""
    return t_sf(-t, df)


def t_quantile(p: float, df: float) -> float:
    """The t with P(T ≤ t) = p: bisection on the tail ``t_sf`` (monotone), to ~1e-12 relative.

    From ``LARGE_DF`` degrees of freedom on, where the continued fraction needs ~√df terms and gathers
    rounding, the Cornish–Fisher expansion about the normal quantile is used instead (terms to ν⁻⁴).
    Results are cached (see the module docstring).
    """
    if not 0 < p < 1:
        raise ValueError(f"probability must be between 0 and 1, got {p!r}")
    if not df > 0:
        raise ValueError(f"degrees of freedom must be positive, got {df!r}")
    return _t_quantile(float(p), float(df))


@lru_cache(maxsize=1024)
def _t_quantile(p: float, df: float) -> float:
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -_t_quantile(1.0 - p, df)
    if df >= LARGE_DF:
        return _cornish_fisher(p, df)
    tail = 1.0 - p
    lo, hi = 0.0, 1.0
    while t_sf(hi, df) > tail:
        lo, hi = hi, hi * 2.0
        if hi > 1e300:
            return math.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if t_sf(mid, df) > tail:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


LARGE_DF = 1e5


def _cornish_fisher(p: float, df: float) -> float:
    """Student t quantile as z + g1(z)/ν + g2(z)/ν² + g3(z)/ν³ + g4(z)/ν⁴ (Abramowitz & Stegun 26.7.5)."""
    z = NormalDist().inv_cdf(p)
    z2 = z * z
    g1 = z * (z2 + 1) / 4
    g2 = z * ((5 * z2 + 16) * z2 + 3) / 96
    g3 = z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / 384
    g4 = z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / 92160
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df

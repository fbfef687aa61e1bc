"""What a statistics package prints under a polynomial fit: standard errors, R², bands, caveats.

Everything is computed where it is well conditioned: the least-squares solve and its covariance live in
the Legendre basis on the data range (``exact.solve_exact``'s ``stable_basis``), and only at the end are
the coefficients and their covariance carried over to powers of the user's x with the *exact* linear
change of basis (monomial = T·stable, T built in rational arithmetic by ``Basis.to_exact_monomial``).

Covariance.  With the column-scaled stable design A·D⁻¹ = Q·R, Cov_stable = σ²·(AᵀA)⁻¹ = σ²·L·Lᵀ where
L = D⁻¹·R⁻¹, so never forming AᵀA.  Then Cov_mono = T·Cov_stable·Tᵀ = σ²·M·Mᵀ with M = T·L; M is
formed in exact rationals from the float L (one rounding per entry at the end) and each standard error
is σ·‖row of M‖, a sum of squares with no cancellation.

Bands.  The leverage of a new x is h(x) = φ(x)ᵀ·Cov_stable·φ(x)/σ² = ‖Lᵀφ(x)‖² with φ the Legendre
values at x; the mean curve's confidence band is ŷ ± t·σ·√h and a new observation's prediction band is
ŷ ± t·σ·√(1 + h), t the Student quantile on the residual degrees of freedom (``t_quantile`` below: NumPy
has none).

Weights are 1/σ_i² (relative: the overall scale s² is still estimated from the weighted residuals, as the
reduced χ²): rows of the design and y are multiplied by √w.  Residual SD and RMSE are then in units of σ,
χ² = Σ((y − ŷ)/σ)², and a new observation at x whose uncertainty is σ_new has the prediction band
ŷ ± t·s·√(σ_new² + h) (h in units of y² now); by default σ_new is interpolated from the data's σ at that x
(``FitReport.new_point_sigma``).  Only NumPy and the standard library are used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .basis import Basis, check_degree
from .exact import ExactFit, _solve_refined, solve_exact
from .legendre import legendre_columns
from .orthonormal import qr_r
from .student_t import LARGE_DF, betainc, t_cdf, t_quantile, t_sf

__all__ = [
    "LARGE_DF",
    "FitReport",
    "bands",
    "betainc",
    "change_of_basis",
    "fit_report",
    "t_cdf",
    "t_quantile",
    "t_sf",
]

FAR_FROM_ZERO = 2.0
"""Warn about the powers-of-x coefficients when |centre of the x range| ≥ this many half-widths."""

HIGH_CORRELATION = 0.9999
"""…or when two of them are correlated more strongly than this."""


# -- the report --------------------------------------------------------------------------------------------
class WeightedScatter:
    """What a fit's RSS says once it knows whether it was weighted: χ², reduced χ² and the units of its
    scatter (shared by ``FitReport`` and ``nonlinear_report.NonlinearFit``, which hold rss, dof, weighted)."""

    rss: float
    dof: int
    weighted: bool

    @property
    def chi_squared(self) -> float | None:
        """Σ((y − ŷ)/σ)² of a weighted fit (None when unweighted)."""
        return self.rss if self.weighted else None

    @property
    def reduced_chi_squared(self) -> float | None:
        """χ²/dof of a weighted fit: ≈ 1 when the σ describe the scatter (None unweighted or without dof)."""
        return self.rss / self.dof if self.weighted and self.dof > 0 else None

    @property
    def residual_units(self) -> str:
        """What RMSE and residual SD are measured in: "σ" for a weighted fit, "y" otherwise."""
        return "σ" if self.weighted else "y"


@dataclass(frozen=True, eq=False)
class FitReport(WeightedScatter):
    """A least-squares polynomial fit with its statistics (arrays are read-only)."""

    degree: int
    n_points: int
    coefficients: np.ndarray  # k0..kD, powers of the user's x
    standard_errors: np.ndarray | None  # of ``coefficients``; None when they cannot be computed (see ``why``)
    covariance: np.ndarray | None  # of ``coefficients`` (monomial basis), σ²·T·(AᵀA)⁻¹·Tᵀ
    r_squared: float  # 1 − RSS/TSS (weighted sums when weighted)
    adjusted_r_squared: float  # 1 − (1 − R²)(N − 1)/dof; NaN when dof ≤ 0
    rmse: float  # sqrt(RSS / N)
    residual_sd: float  # sqrt(RSS / dof); NaN when dof ≤ 0
    dof: int  # residual degrees of freedom, N − (D + 1)
    rank: int  # numerical rank of the (stable) design matrix
    rss: float  # Σ w·residual²
    fitted: np.ndarray  # ŷ at the data x, file order
    residuals: np.ndarray  # y − ŷ, as everywhere in the workbench
    weighted: bool
    warnings: tuple[str, ...]
    why: str | None  # why ``standard_errors`` is None (None when they exist)
    stable_basis: Basis  # Legendre on the data range
    stable_coefficients: np.ndarray
    stable_factor: np.ndarray | None  # L with Cov_stable = σ²·L·Lᵀ
    sigma_x: np.ndarray | None = None  # weighted: the distinct data x, ascending …
    sigma_at_x: np.ndarray | None = None  # … and the data's σ there (mean over repeated x)

    def new_point_sigma(self, x) -> np.ndarray:
        """σ of a new observation at ``x``, by default: the data's σ interpolated linearly in x (held
        constant beyond the data); 1 for an unweighted fit (whose scatter s is in y units already)."""
        x = np.asarray(x, dtype=np.float64)
        if self.sigma_x is None or self.sigma_at_x is None:
            return np.ones_like(x)
        return np.interp(x, self.sigma_x, self.sigma_at_x)

    @property
    def t_values(self) -> np.ndarray | None:
        """coefficient / standard error (None without standard errors)."""
        if self.standard_errors is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.coefficients / self.standard_errors

    def evaluate(self, x) -> np.ndarray:
        """The fitted curve at any x, from the stable basis."""
        return self.stable_basis.evaluate(self.stable_coefficients, x)


def fit_report(x, y, degree: int, weights=None, fit: ExactFit | None = None) -> FitReport:
    """Least-squares polynomial of ``degree`` through (x, y) with standard errors, R², warnings.

    ``weights`` (optional) are 1/σ_i², positive and finite: weighted least squares.  ``fit`` (optional)
    is the plain (unpenalised) least-squares solution of these same points and weights, already solved
    (``FitProblem.exact``): it is used instead of solving again, the most costly part at 10⁶ points.
    """
    check_degree(degree)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("x and y must be 1-D arrays of the same length")
    if x.size == 0:
        raise ValueError("no data points: add at least one point to fit a curve")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite numbers")
    n, p = int(x.size), degree + 1
    if fit is not None and (fit.degree != degree or fit.n_points != x.size):
        raise ValueError("the given exact fit belongs to other data or another degree")
    if weights is None:
        fit = fit or solve_exact(x, y, degree)
        stable, stable_coefficients, monomial = fit.stable_basis, fit.stable_coefficients, fit.monomial
        fitted, residuals, rss, rank = fit.fitted, fit.residuals, fit.rss, fit.rank
        r_squared = fit.r_squared
        root_w = None
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != x.shape:
            raise ValueError("weights must have one value per point")
        if not (np.all(np.isfinite(w)) and np.all(w > 0)):
            raise ValueError("weights (1/σ²) must be positive finite numbers")
        root_w = np.sqrt(w)
        if fit is not None:
            stable, stable_coefficients, monomial = fit.stable_basis, fit.stable_coefficients, fit.monomial
            fitted, rank = fit.fitted, fit.rank
        else:
            stable = Basis.for_data("legendre", x)
            stable_coefficients, low, fitted, rank = _solve_refined(x, y, stable, degree, root_weights=root_w)
            monomial = np.array([float(c) for c in stable.to_exact_monomial(stable_coefficients, low)])
        residuals = y - fitted
        rss = float(np.sum(w * residuals**2))
        y_bar = float(np.sum(w * y) / np.sum(w))
        tss = float(np.sum(w * (y - y_bar) ** 2))
        r_squared = 1.0 - rss / tss if tss > 0 else float("nan")

    dof = n - p
    residual_sd = math.sqrt(rss / dof) if dof > 0 else float("nan")
    rmse = math.sqrt(rss / n)
    adjusted = 1.0 - (1.0 - r_squared) * (n - 1) / dof if dof > 0 else float("nan")

    distinct = int(np.unique(x).size)
    notes: list[str] = []
    why = None
    if degree >= n - 1:
        notes.append("degree ≥ points − 1: the curve interpolates; no standard errors")
        why = (
            f"{n} point{'s' if n != 1 else ''} for {p} coefficient{'s' if p != 1 else ''} leaves "
            f"{max(dof, 0)} residual degrees of freedom: the curve interpolates the data, so the "
            "scatter about it (σ) cannot be estimated"
        )
    if distinct < p:
        if distinct < n:
            notes.append(
                f"repeated x values: only {distinct} distinct x for {p} coefficients; the design "
                "matrix is rank-deficient and the coefficients are not determined by the data"
            )
        else:
            notes.append(f"only {distinct} distinct x for {p} coefficients: the design matrix is rank-deficient")
        why = why or (
            f"only {distinct} distinct x value{'s' if distinct != 1 else ''} for {p} coefficients: "
            "the design matrix is rank-deficient, so the coefficients (and their standard errors) "
            "are not determined by the data"
        )
    elif rank < p:
        notes.append(f"x values nearly coincide: the design matrix is numerically rank-deficient (rank {rank} of {p})")
        why = why or (
            f"the design matrix is numerically rank-deficient (rank {rank} of {p}): x values too "
            "close together to pin down every coefficient"
        )

    factor = covariance = standard_errors = None
    if why is None:
        factor = _stable_factor(x, stable, degree, root_w)
        if factor is None:  # R singular to working precision despite the rank test
            why = "the design matrix is numerically singular: standard errors cannot be computed"
            notes.append("design matrix numerically singular")
        else:
            m = _to_monomial_factor(stable, factor)
            covariance = residual_sd**2 * (m @ m.T)
            standard_errors = residual_sd * np.sqrt(np.sum(m * m, axis=1))
            if degree >= 1 and _far_from_zero(stable, covariance):
                notes.append(
                    "x is far from 0: the powers-of-x coefficients' standard errors are huge and "
                    "strongly correlated; prefer the fitted values and their bands"
                )
    elif degree >= 1 and abs(stable.centre) >= FAR_FROM_ZERO * stable.half_width:
        notes.append("x is far from 0: the powers-of-x coefficients are strongly correlated; prefer the fitted values")

    return FitReport(
        degree=degree,
        n_points=n,
        coefficients=_frozen(monomial),
        standard_errors=_frozen(standard_errors),
        covariance=_frozen(covariance),
        r_squared=float(r_squared),
        adjusted_r_squared=float(adjusted),
        rmse=rmse,
        residual_sd=residual_sd,
        dof=dof,
        rank=int(rank),
        rss=float(rss),
        fitted=_frozen(fitted),
        residuals=_frozen(residuals),
        weighted=weights is not None,
        warnings=tuple(notes),
        why=why,
        stable_basis=stable,
        stable_coefficients=_frozen(stable_coefficients),
        stable_factor=_frozen(factor),
        **sigma_profile(x, weights),
    )


def sigma_profile(x: np.ndarray, weights) -> dict:
    """sigma_x / sigma_at_x of a weighted report: σ = 1/√w averaged over repeated x, ascending in x."""
    if weights is None:
        return {}
    sigma = 1.0 / np.sqrt(np.asarray(weights, dtype=np.float64))
    distinct, inverse = np.unique(x, return_inverse=True)
    mean = np.bincount(inverse, weights=sigma) / np.bincount(inverse)
    return {"sigma_x": _frozen(distinct), "sigma_at_x": _frozen(mean)}


def bands(report_or_fit, x_new, level: float = 0.95, *, x=None, sigma_new=None):
    """(fitted, conf_lo, conf_hi, pred_lo, pred_hi) at ``x_new``.

    The confidence band covers the mean curve, the prediction band a new observation, both at ``level``
    with the Student t quantile on the residual degrees of freedom.  ``report_or_fit`` is a ``FitReport``,
    or an ``ExactFit`` together with the data's ``x`` (an ExactFit does not keep it).  For a weighted fit
    ``sigma_new`` is the new observation's σ (a number or one per x_new; default: the data's σ
    interpolated at x_new, ``FitReport.new_point_sigma``); an unweighted fit has no use for it.
    Without standard errors (interpolating or rank-deficient fits) the band edges are NaN.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    if isinstance(report_or_fit, ExactFit):
        if x is None:
            raise ValueError("bands for an ExactFit need the data's x (bands(fit, x_new, x=x))")
        report_or_fit = _report_of_fit(report_or_fit, np.asarray(x, dtype=np.float64))
    if not isinstance(report_or_fit, FitReport):
        raise TypeError("bands() takes a FitReport or an ExactFit")
    report = report_or_fit
    stable, coefficients, factor = report.stable_basis, report.stable_coefficients, report.stable_factor
    x_new = np.asarray(x_new, dtype=np.float64)
    fitted = stable.evaluate(coefficients, x_new)
    new_sigma = _new_sigma(report, x_new, sigma_new)
    if factor is None or not report.dof > 0:
        nan = np.full_like(fitted, np.nan)
        return fitted, nan, nan.copy(), nan.copy(), nan.copy()
    phi = legendre_columns(stable.to_t(x_new).ravel(), len(coefficients) - 1)
    leverage = np.sum((phi @ factor) ** 2, axis=1).reshape(fitted.shape)
    t = t_quantile(0.5 + 0.5 * level, report.dof)
    scale = report.residual_sd
    conf = t * scale * np.sqrt(leverage)
    pred = t * scale * np.sqrt(new_sigma * new_sigma + leverage)
    return fitted, fitted - conf, fitted + conf, fitted - pred, fitted + pred


def _new_sigma(report: FitReport, x_new: np.ndarray, sigma_new) -> np.ndarray:
    """The σ of a new observation at each x_new (see ``bands``), checked."""
    if sigma_new is None:
        return report.new_point_sigma(x_new)
    if not report.weighted:
        raise ValueError("a new point's σ applies to weighted fits; this fit has no σ (its scatter is estimated)")
    sigma = np.broadcast_to(np.asarray(sigma_new, dtype=np.float64), x_new.shape)
    if not (np.all(np.isfinite(sigma)) and np.all(sigma > 0)):
        raise ValueError(f"a new point's σ must be a positive number, got {sigma_new!r}")
    return sigma


def _report_of_fit(fit: ExactFit, x: np.ndarray) -> FitReport:
    """The report of an exact fit of the data at ``x`` (the fit keeps y only as fitted + residuals)."""
    if x.shape != fit.fitted.shape:
        raise ValueError("x must be the data the fit was made from")
    y = fit.fitted + fit.residuals
    return fit_report(x, y, fit.degree, weights=fit.weights, fit=fit)


# -- the stable pieces -------------------------------------------------------------------------------------
def _stable_factor(x, stable: Basis, degree: int, root_w) -> np.ndarray | None:
    """L = D⁻¹·R⁻¹ from the column-scaled stable design A·D⁻¹ = Q·R, so (AᵀA)⁻¹ = L·Lᵀ."""
    t = (x.astype(np.longdouble) - np.longdouble(stable.centre)) / np.longdouble(stable.half_width)
    design = legendre_columns(t, degree).astype(np.float64)
    if root_w is not None:
        design = design * root_w[:, None]
    norms = np.linalg.norm(design, axis=0)
    norms[norms == 0] = 1.0
    r_factor = qr_r(design / norms)
    diagonal = np.abs(np.diag(r_factor))
    if diagonal.size == 0 or diagonal.min() <= diagonal.max() * np.finfo(float).eps * x.size:
        return None
    r_inverse = _upper_inverse(r_factor)
    return r_inverse / norms[:, None]


def _upper_inverse(r: np.ndarray) -> np.ndarray:
    """R⁻¹ of an upper-triangular R by back substitution (column by column, stays upper triangular)."""
    p = r.shape[0]
    inverse = np.zeros_like(r)
    for j in range(p):
        inverse[j, j] = 1.0 / r[j, j]
        for i in range(j - 1, -1, -1):
            inverse[i, j] = -(r[i, i + 1 : j + 1] @ inverse[i + 1 : j + 1, j]) / r[i, i]
    return inverse


def change_of_basis(stable: Basis, degree: int) -> list[list[Fraction]]:
    """T (exact) with monomial = T·stable: column j is ``stable.to_exact_monomial`` of the j-th unit vector."""
    columns = [stable.to_exact_monomial(np.eye(degree + 1)[j]) for j in range(degree + 1)]
    return [[columns[j][i] for j in range(degree + 1)] for i in range(degree + 1)]


def _to_monomial_factor(stable: Basis, factor: np.ndarray) -> np.ndarray:
    """M = T·L, the products summed exactly in rationals and rounded once per entry."""
    p = factor.shape[0]
    t_exact = change_of_basis(stable, p - 1)
    l_exact = [[Fraction(float(v)) for v in row] for row in factor]
    out = np.empty((p, p))
    for i in range(p):
        row = t_exact[i]
        for k in range(p):
            out[i, k] = float(sum(row[j] * l_exact[j][k] for j in range(p) if row[j] and l_exact[j][k]))
    return out


def _far_from_zero(stable: Basis, covariance: np.ndarray) -> bool:
    """x range far from 0 relative to its width, or powers-of-x coefficients nearly collinear."""
    if abs(stable.centre) >= FAR_FROM_ZERO * stable.half_width:
        return True
    sd = np.sqrt(np.diag(covariance))
    if not np.all(sd > 0):
        return False
    correlation = covariance / np.outer(sd, sd)
    off = np.abs(correlation[~np.eye(len(sd), dtype=bool)])
    return bool(off.size and off.max() > HIGH_CORRELATION)


def _frozen(array):
    if array is None:
        return None
    array = np.array(array, dtype=np.float64)
    array.setflags(write=False)
    return array

"""What a statistics package prints under a nonlinear least-squares fit: standard errors, correlation, R², bands.

Everything comes from the Jacobian J = ∂r/∂θ at the solution (the linearisation of the model there):
Cov = s²·(JᵀJ)⁻¹ with s² = RSS/(N − P), computed from the SVD of J with its columns scaled to unit
length (never by inverting JᵀJ, which would square the condition number).  With uncertainties σ the
rows are divided by σ and s² is still estimated from the weighted residuals, as for polynomials
(``stats.py``): the weights are relative.

Bands by the delta method: at a new x the curve's variance is g·Cov·gᵀ with g = ∂ŷ(x)/∂θ, so the
confidence band of the mean curve is ŷ ± t·√(g·Cov·gᵀ) and the prediction band of a new (unit-weight)
observation ŷ ± t·√(g·Cov·gᵀ + s²), t the Student quantile on N − P degrees of freedom.  Residuals are
y − ŷ, as everywhere in the workbench.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .stats import WeightedScatter, sigma_profile, t_quantile

HIGH_CORRELATION = 0.9999


class CurveModel(Protocol):
    """What a fit needs of its model: the curve of parameters ``theta`` at any x."""

    def predict(self, theta, x) -> np.ndarray:
        """ŷ at ``x`` for the parameters ``theta``."""
        ...


@dataclass(frozen=True, eq=False)
class NonlinearFit(WeightedScatter):
    """A nonlinear least-squares fit and its statistics (arrays read-only)."""

    names: tuple[str, ...]
    params: np.ndarray
    standard_errors: np.ndarray | None  # None when they cannot be computed (see ``why``)
    covariance: np.ndarray | None
    correlation: np.ndarray | None
    rss: float  # Σ (residual/σ)²
    residual_sd: float  # √(RSS/dof); NaN when dof ≤ 0
    r_squared: float  # 1 − RSS/TSS (weighted when σ is given)
    dof: int
    n_points: int
    loss: float  # the problem's loss (MSE, SSE, with its penalty) at ``params``
    steps: int
    evaluations: int
    stop_reason: str  # converged, stalled, max_steps, stopped
    message: str
    fitted: np.ndarray  # ŷ at the data's x
    residuals: np.ndarray  # y − ŷ
    weighted: bool
    warnings: tuple[str, ...]
    why: str | None
    model: CurveModel  # the model, for the curve and its bands at any x
    sigma_x: np.ndarray | None = None  # weighted: the distinct data x, ascending …
    sigma_at_x: np.ndarray | None = None  # … and the data's σ there (as ``FitReport``'s: a new point's σ)

    def new_point_sigma(self, x) -> np.ndarray:
        """σ of a new observation at ``x``: the data's σ interpolated linearly in x (held constant beyond the
        data), as for polynomial fits; 1 for an unweighted fit (whose scatter s is in y units already)."""
        x = np.asarray(x, dtype=np.float64)
        if self.sigma_x is None or self.sigma_at_x is None:
            return np.ones_like(x)
        return np.interp(x, self.sigma_x, self.sigma_at_x)

    @property
    def rmse(self) -> float:
        """√(RSS/N) (in units of σ when weighted)."""
        return float(np.sqrt(self.rss / self.n_points)) if self.n_points else float("nan")

    @property
    def adjusted_r_squared(self) -> float:
        """1 − (1 − R²)(N − 1)/dof; NaN when dof ≤ 0."""
        return 1.0 - (1.0 - self.r_squared) * (self.n_points - 1) / self.dof if self.dof > 0 else float("nan")

    @property
    def t_values(self) -> np.ndarray | None:
        """parameter / standard error (None without standard errors)."""
        if self.standard_errors is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.standard_errors

    @property
    def coefficients(self) -> np.ndarray:
        """The fitted parameters (the name the exact optimum of a polynomial uses: both are landmarks)."""
        return self.params

    @property
    def is_interpolating(self) -> bool:
        """True when there are no more points than parameters: the curve may pass through every one."""
        return self.dof <= 0

    def parameters(self) -> dict[str, float]:
        """Name → fitted value."""
        return {name: float(v) for name, v in zip(self.names, self.params)}

    def errors(self) -> dict[str, float | None]:
        """Name → standard error (None where there is none)."""
        if self.standard_errors is None:
            return dict.fromkeys(self.names)
        return {name: float(e) for name, e in zip(self.names, self.standard_errors)}

    def evaluate(self, x) -> np.ndarray:
        """The fitted curve at any x."""
        return self.model.predict(self.params, np.asarray(x, dtype=np.float64))

    def bands(self, x_new, level: float = 0.95, *, sigma_new=None):
        """(fitted, conf_lo, conf_hi, pred_lo, pred_hi) at ``x_new`` (NaN edges without standard errors).

        As for polynomial fits (``stats.bands``): a weighted fit's prediction band is for a new point with σ
        ``sigma_new`` (default: the data's σ interpolated at x_new)."""
        from .jacobian import prediction_jacobian

        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, got {level!r}")
        x_new = np.asarray(x_new, dtype=np.float64)
        fitted, gradient = prediction_jacobian(self.model, x_new.ravel())(self.params)
        fitted = fitted.reshape(x_new.shape)
        if self.covariance is None or not self.dof > 0:
            nan = np.full_like(fitted, np.nan)
            return fitted, nan, nan.copy(), nan.copy(), nan.copy()
        variance = np.maximum(np.einsum("ij,jk,ik->i", gradient, self.covariance, gradient), 0.0)
        t = t_quantile(0.5 + 0.5 * level, self.dof)
        conf = (t * np.sqrt(variance)).reshape(x_new.shape)
        new_sigma = (
            self.new_point_sigma(x_new) if sigma_new is None else np.broadcast_to(sigma_new, x_new.shape)
        ).ravel()
        pred = (t * np.sqrt(variance + (self.residual_sd * new_sigma) ** 2)).reshape(x_new.shape)
        return fitted, fitted - conf, fitted + conf, fitted - pred, fitted + pred

    def as_dict(self) -> dict:
        """The numbers a ``--json`` report holds (plain Python types)."""
        return {
            "parameters": self.parameters(),
            "standard_errors": self.errors(),
            "residual_sd": _plain(self.residual_sd),
            "r_squared": _plain(self.r_squared),
            "rss": self.rss,
            "loss": self.loss,
            "dof": self.dof,
            "stop_reason": self.stop_reason,
            "message": self.message,
            "steps": self.steps,
            "warnings": list(self.warnings),
        }


def _plain(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def covariance_from_jacobian(jacobian: np.ndarray, residual_variance: float) -> tuple[np.ndarray | None, str | None]:
    """s²·(JᵀJ)⁻¹ from the SVD of J with unit-length columns, or (None, why) when J is rank-deficient."""
    n, p = jacobian.shape
    norms = np.linalg.norm(jacobian, axis=0)
    if n < p or np.any(norms == 0) or not np.all(np.isfinite(jacobian)):
        return None, "the data do not determine every parameter (a parameter has no effect on the curve)"
    _, s, vt = np.linalg.svd(jacobian / norms, full_matrices=False)
    if s[-1] <= s[0] * max(n, p) * np.finfo(np.float64).eps:
        return (
            None,
            "the parameters are not all determined by the data: some combination of them leaves the curve unchanged",
        )
    factor = (vt.T / s) / norms[:, None]  # (JᵀJ)⁻¹ = F·Fᵀ
    return residual_variance * (factor @ factor.T), None


def nonlinear_report(
    names,
    params,
    prediction,
    residuals_scaled,
    jacobian,
    y,
    weights,
    loss: float,
    outcome,
    model,
    penalised: bool,
    x=None,
) -> NonlinearFit:
    """The statistics of a fit at ``params`` from the data's scaled residuals (ŷ − y)/σ and their Jacobian.

    ``outcome`` is the Levenberg–Marquardt result (steps, evaluations, stop reason, message).
    """
    params = np.asarray(params, dtype=np.float64)
    n, p = jacobian.shape
    rss = float(residuals_scaled @ residuals_scaled)
    dof = n - p
    residual_sd = float(np.sqrt(rss / dof)) if dof > 0 else float("nan")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    centre = float(np.sum(w * y) / np.sum(w)) if n else 0.0
    tss = float(np.sum(w * (y - centre) ** 2))
    r_squared = 1.0 - rss / tss if tss > 0 else float("nan")
    notes: list[str] = []
    covariance: np.ndarray | None
    why: str | None
    covariance, why = (None, f"{n} points for {p} parameters leave no degrees of freedom") if dof <= 0 else (None, None)
    if dof > 0:
        covariance, why = covariance_from_jacobian(jacobian, rss / dof)
    errors: np.ndarray | None = None
    correlation: np.ndarray | None = None
    if covariance is not None:
        errors = np.sqrt(np.maximum(np.diag(covariance), 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            correlation = covariance / np.outer(errors, errors)
        strong = [
            f"{names[i]} and {names[j]}"
            for i in range(p)
            for j in range(i + 1, p)
            if abs(correlation[i, j]) > HIGH_CORRELATION
        ]
        if strong:
            notes.append(
                f"{', '.join(strong)} are correlated beyond {HIGH_CORRELATION}: the data pin down a combination "
                f"of them much better than each one"
            )
    if outcome.stop_reason != "converged":
        notes.append(f"Levenberg–Marquardt did not converge ({outcome.message}): the numbers describe where it stopped")
    if penalised:
        notes.append("the parameters minimise the loss with its L2 penalty; the statistics are those of the data alone")
    return NonlinearFit(
        names=tuple(names),
        params=_frozen(params),
        standard_errors=_frozen(errors),
        covariance=_frozen(covariance),
        correlation=_frozen(correlation),
        rss=rss,
        residual_sd=residual_sd,
        r_squared=r_squared,
        dof=dof,
        n_points=n,
        loss=float(loss),
        steps=outcome.steps,
        evaluations=outcome.evaluations,
        stop_reason=outcome.stop_reason,
        message=outcome.message,
        fitted=_frozen(np.asarray(prediction, dtype=np.float64)),
        residuals=_frozen(y - np.asarray(prediction, dtype=np.float64)),
        weighted=weights is not None,
        warnings=tuple(notes),
        why=why,
        model=model,
        **({} if x is None else sigma_profile(np.asarray(x, dtype=np.float64), weights)),
    )


def _frozen(array):
    if array is None:
        return None
    array = np.array(array, dtype=np.float64)
    array.flags.writeable = False
    return array

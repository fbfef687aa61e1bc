"""How hard the loss surface is for gradient descent: Hessian eigenvalues and the stable step size.

For squared error the loss is quadratic in the coefficients with Hessian H = (2/N)·XᵀX (MSE) or 2·XᵀX
(SSE).  Plain gradient descent converges only if lr < 2/λ_max, and crawls along the direction of λ_min:
the condition number λ_max/λ_min tells how badly.  Raw powers of a wide x range make it astronomical.
With uncertainties σ the loss is that of residuals/σ, so X becomes W^½·X (each row divided by its σ) and
H = (2/N)·XᵀWX: precise points steepen the valley along the directions they pin down.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import Loss


@dataclass(frozen=True)
class Conditioning:
    """The Hessian's spectrum and what it means for gradient descent."""

    eigenvalues: np.ndarray  # ascending

    @property
    def lambda_max(self) -> float:
        """Largest eigenvalue: the steepest curvature."""
        return float(self.eigenvalues[-1]) if self.eigenvalues.size else 0.0

    @property
    def lambda_min(self) -> float:
        """Smallest eigenvalue: the flattest curvature (0 when the problem is degenerate)."""
        return float(self.eigenvalues[0]) if self.eigenvalues.size else 0.0

    @property
    def condition_number(self) -> float:
        """λ_max / λ_min; infinite when some direction has no curvature at all.

        "No curvature" means below what rounding can resolve: n·ε·λ_max.
        """
        resolution = max(self.eigenvalues.size, 1) * np.finfo(np.float64).eps * self.lambda_max
        if self.lambda_min <= resolution or self.lambda_min <= 0:
            return float("inf")
        return self.lambda_max / self.lambda_min

    @property
    def max_stable_lr(self) -> float:
        """2/λ_max: plain gradient descent diverges above this learning rate."""
        return 2.0 / self.lambda_max if self.lambda_max > 0 else float("inf")


def weighted_design(design: np.ndarray, sigma=None) -> np.ndarray:
    """X with each row divided by its σ (X itself when ``sigma`` is None): the design of residuals/σ."""
    if sigma is None:
        return design
    return design * (1.0 / np.asarray(sigma, dtype=np.float64))[:, None]


def squared_error_hessian(design: np.ndarray, loss: Loss = Loss(), penalty_mask=None, sigma=None) -> np.ndarray:
    """The exact Hessian of MSE or SSE (plus the L2 penalty) in the coefficients, weighted by 1/σ²."""
    design = weighted_design(design, sigma)
    n = max(design.shape[0], 1)
    scale = 2.0 / n if loss.kind != "sse" else 2.0
    hessian = scale * design.T @ design
    if loss.l2:
        mask = np.ones(design.shape[1]) if penalty_mask is None else np.asarray(penalty_mask, float)
        hessian = hessian + 2.0 * loss.l2 * np.diag(mask)
    return hessian


def conditioning(design: np.ndarray, loss: Loss = Loss(), penalty_mask=None, sigma=None) -> Conditioning:
    """Spectrum of the squared-error Hessian for this design matrix (MAE/Huber: that of MSE, as a guide),
    of the weighted loss when ``sigma`` is given."""
    design = weighted_design(design, sigma)
    if loss.l2:
        eig = np.linalg.eigvalsh(squared_error_hessian(design, loss, penalty_mask))
    else:
        # Singular values of X give the eigenvalues of XᵀX without squaring the condition number.
        s = np.linalg.svd(design, compute_uv=False) if design.size else np.zeros(0)
        s = np.concatenate([s, np.zeros(max(design.shape[1] - s.size, 0))])
        n = max(design.shape[0], 1)
        eig = (2.0 / n if loss.kind != "sse" else 2.0) * s * s
    return Conditioning(np.sort(np.maximum(eig, 0.0)))

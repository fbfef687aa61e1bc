"""How hard the loss surface is for gradient descent: Hessian eigenvalues and the stable step size.

For squared error the loss is quadratic in the coefficients with Hessian H = (2/N)·XᵀX (MSE) or 2·XᵀX
(SSE).  Plain gradient descent converges only if lr < 2/λ_max, and crawls along the direction of λ_min:
the condition number λ_max/λ_min tells how badly.  Raw powers of a wide x range make it astronomical.
With uncertainties σ the loss is that of residuals/σ, so X becomes W^½·X (each row divided by its σ) and
H = (2/N)·XᵀWX: precise points steepen the valley along the directions they pin down.

The basis decides the valley's shape: ``basis_ladder`` tells the conditioning lab's story, monomial →
scaled → Legendre → orthonormal, with the condition number falling to 1 and the steps gradient descent
needs falling with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .basis import Basis
from .learning_rates import curvature_lr
from .losses import Loss

LADDER = ("monomial", "scaled", "legendre", "orthonormal")
LADDER_REDUCTION = 1e-10  # the ladder counts the steps that shrink the loss gap this many times


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

    @property
    def best_lr(self) -> float:
        """2/(λ_max + λ_min): the single rate that shrinks the slowest and the fastest direction alike."""
        total = self.lambda_max + max(self.lambda_min, 0.0)
        return 2.0 / total if total > 0 else float("inf")

    def contraction(self, lr: float) -> float:
        """max_i |1 − lr·λ_i|: how much gradient descent at ``lr`` shrinks the worst error direction per step
        (1 or more: never converges; a direction without curvature counts as never shrinking)."""
        if not self.eigenvalues.size or not math.isfinite(self.condition_number):
            return 1.0
        return float(np.max(np.abs(1.0 - lr * self.eigenvalues)))

    def gd_steps(self, lr: float, reduction: float = LADDER_REDUCTION) -> float:
        """Steps of gradient descent at ``lr`` that shrink the loss gap by ``reduction`` in the worst case
        (the gap shrinks by contraction² a step); ``inf`` when it never gets there in double precision."""
        rate = self.contraction(lr)
        if rate >= 1.0 or not 0 < reduction < 1:
            return float("inf")
        if rate <= 0.0:
            return 1.0
        return float(max(1, math.ceil(math.log(reduction) / (2.0 * math.log(rate)))))


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


@dataclass(frozen=True)
class LadderRung:
    """One basis of the conditioning story: its Hessian's conditioning, the rate GD would run at, and how
    many steps that rate needs (worst case, to shrink the loss gap ``LADDER_REDUCTION`` times)."""

    kind: str
    conditioning: Conditioning
    lr: float
    gd_steps: float

    @property
    def condition_number(self) -> float:
        """λ_max/λ_min of this basis's loss Hessian."""
        return self.conditioning.condition_number


def basis_ladder(x, degree: int, sigma=None, loss: Loss = Loss(), kinds=LADDER) -> tuple[LadderRung, ...]:
    """The same fit in each basis of ``kinds``: conditioning, gradient descent's default rate, steps needed.

    Bases are built on ``x`` (orthonormal: on these x and σ), as a fitting problem would build them.
    A design matrix that overflows (raw powers of huge x) gets an infinite condition number.
    """
    rungs = []
    for kind in kinds:
        basis = Basis.for_data(kind, x, sigma)
        with np.errstate(all="ignore"):
            design = basis.design_matrix(np.asarray(x, dtype=np.float64), degree)
            finite = bool(np.all(np.isfinite(design)))
        mask = np.ones(degree + 1)
        mask[0] = 0.0
        cond = conditioning(design, loss, mask, sigma) if finite else Conditioning(np.zeros(degree + 1))
        lr = curvature_lr("gd", cond)
        rungs.append(LadderRung(kind, cond, lr, cond.gd_steps(lr)))
    return tuple(rungs)

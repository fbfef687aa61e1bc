"""The exact least-squares optimum: the landmark every hand-tuned or gradient-descent fit is judged by.

Solved on Legendre polynomials of x scaled to [−1, 1] (well conditioned even where raw powers of x are
hopeless) with the R factor of their QR factorisation, never by forming the normal equations' AᵀA, then
polished by iterative refinement whose
residuals are computed in extended precision (``np.longdouble``), which carries the fitted values to
full double precision even where they are tiny beside the data's scale (NIST Wampler1–5).  Fitted
values come from that stable basis; coefficients in any other basis, or as powers of the user's x,
come from an exact rational change of basis, so the only rounding is in the stable solve itself.

With uncertainties σ it is weighted least squares (weights 1/σ²): the rows of the design and y are
scaled by 1/σ before the same solve, and ``rss``, R² and the loss are the weighted ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .basis import Basis, check_degree
from .legendre import legendre_columns
from .losses import Loss
from .models import inverse_sigma
from .orthonormal import independent_columns, pivot_floor, qr_r


@dataclass(frozen=True)
class ExactFit:
    """The least-squares solution and what a fitting tool reports about it."""

    degree: int
    basis: Basis  # the basis ``coefficients`` are expressed in
    coefficients: np.ndarray  # in ``basis`` (what the knobs would be set to)
    monomial: np.ndarray  # k0..kD as powers of the user's original x
    stable_basis: Basis  # Legendre on the data range: where the solve happened
    stable_coefficients: np.ndarray
    fitted: np.ndarray  # ŷ at the data x, in file order, from the stable basis
    residuals: np.ndarray  # y − ŷ (not divided by σ), as everywhere in the workbench
    rss: float  # Σ w·residual² (w = 1/σ², or 1 when unweighted): χ² when weighted
    loss: float  # the chosen loss at this solution (on residuals/σ when weighted)
    rank: int  # numerical rank of the design matrix
    n_points: int
    weights: np.ndarray | None = None  # 1/σ² per point, or None when unweighted

    @property
    def dof(self) -> int:
        """Residual degrees of freedom: points minus coefficients."""
        return self.n_points - (self.degree + 1)

    @property
    def residual_sd(self) -> float:
        """sqrt(RSS / (N − p)); NaN when there are no residual degrees of freedom."""
        return float(np.sqrt(self.rss / self.dof)) if self.dof > 0 else float("nan")

    @property
    def r_squared(self) -> float:
        """1 − RSS/TSS (both weighted when weighted); NaN when y does not vary."""
        y = self.fitted + self.residuals
        if self.weights is None:
            tss = float(np.sum((y - np.mean(y)) ** 2)) if y.size else 0.0
        else:
            w = self.weights
            tss = float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2)) if y.size else 0.0
        return 1.0 - self.rss / tss if tss > 0 else float("nan")

    @property
    def is_interpolating(self) -> bool:
        """True when degree ≥ N − 1: the curve can pass through every point, a perfect but empty fit."""
        return self.degree >= self.n_points - 1

    def evaluate(self, x) -> np.ndarray:
        """The optimum curve at any x, computed in the stable basis."""
        return self.stable_basis.evaluate(self.stable_coefficients, x)


def solve_exact(x, y, degree: int, basis: Basis | None = None, loss: Loss = Loss(), sigma=None) -> ExactFit:
    """Least-squares polynomial of ``degree`` through (x, y), reported in ``basis`` (default monomial).

    With an L2 penalty the minimiser of penalised MSE/SSE in ``basis`` is returned instead (ridge).
    For MAE or Huber the least-squares solution is still returned (their optimum has no closed form)
    and ``loss`` is that loss evaluated at it.  ``sigma`` (one uncertainty per point, finite and > 0)
    makes every one of these weighted: residuals are divided by σ, as in the engine's loss graph.
    """
    check_degree(degree)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("x and y must be 1-D arrays of the same length")
    if x.size == 0:
        raise ValueError("no data points: add at least one point to fit a curve")
    root_weights = inverse_sigma(sigma, x.size)
    basis = basis or Basis.for_data("monomial", x)
    stable = Basis.for_data("legendre", x)
    if loss.l2 and loss.is_squared_error:
        stable_coefficients, rank = _solve_ridge(x, y, degree, basis, stable, loss, root_weights)
        low_part, fitted = None, stable.evaluate(stable_coefficients, x)
    else:
        stable_coefficients, low_part, fitted, rank = _solve_refined(x, y, stable, degree, root_weights=root_weights)
    exact_monomial = stable.to_exact_monomial(stable_coefficients, low_part)
    monomial = np.array([float(c) for c in exact_monomial])
    coefficients = basis.from_exact_monomial(exact_monomial)
    residuals = y - fitted
    scaled = residuals if root_weights is None else residuals * root_weights
    penalised = coefficients[1:] if loss.l2 else None
    return ExactFit(
        degree=degree,
        basis=basis,
        coefficients=coefficients,
        monomial=monomial,
        stable_basis=stable,
        stable_coefficients=stable_coefficients,
        fitted=fitted,
        residuals=residuals,
        rss=float(np.sum(scaled**2)),
        loss=loss.value(scaled, penalised),
        rank=rank,
        n_points=int(x.size),
        weights=None if root_weights is None else root_weights * root_weights,
    )


def _solve_stable(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """Column-equilibrated SVD least squares plus one step of iterative refinement."""
    norms = np.linalg.norm(design, axis=0)
    norms[norms == 0] = 1.0
    scaled = design / norms
    solution, _, rank, _ = np.linalg.lstsq(scaled, y, rcond=None)
    correction, *_ = np.linalg.lstsq(scaled, y - scaled @ solution, rcond=None)
    return (solution + correction) / norms, int(rank)


def _solve_ridge(x, y, degree, basis: Basis, stable: Basis, loss: Loss, root_weights=None) -> tuple[np.ndarray, int]:
    """Penalised least squares: the penalty lives in ``basis``, so solve there with extra rows.

    ``root_weights`` (1/σ per point) scale the data rows, so the data term is that of residuals/σ.
    """
    design = basis.design_matrix(x, degree)
    if root_weights is not None:
        design, y = design * root_weights[:, None], y * root_weights
    weight = np.sqrt(loss.l2 * (x.size if loss.kind == "mse" else 1.0))
    penalty_rows = weight * np.eye(degree + 1)[1:]
    augmented = np.vstack([design, penalty_rows])
    target = np.concatenate([y, np.zeros(degree)])
    coefficients, rank = _solve_stable(augmented, target)
    return basis.convert(coefficients, stable), rank


def _solve_refined(x, y, stable: Basis, degree: int, rounds: int = 3, root_weights=None):
    """Least squares in the Legendre basis, polished by Björck's augmented-system refinement.

    Refining the residual r together with the coefficients c in [I A; Aᵀ 0]·[r; c] = [y; 0] (not c
    alone) is what converges for large-residual problems.  Corrections are solved in double with the
    R factor of A (corrected semi-normal equations); the system's residuals are computed in extended
    precision (``np.longdouble``) up to ``EXTENDED_PRECISION_POINTS`` points, where it costs < 0.1 s,
    and in double beyond.  Returns (hi, lo, fitted, rank): coefficients as a double ``hi`` plus a small
    double ``lo`` (together the extended value), and fitted values rounded from extended precision.
    The first solution comes from the semi-normal equations with QR's R, and a column counts as dependent
    by the rule the orthonormal basis uses (its new direction below max(N, D+1)·ε of its size): an SVD's
    rank cut, relative to the largest singular value, discarded directions that nearly clustered x still
    pin down, and the "optimum" was then up to 2 % above what gradient descent reached.  Designs with
    dependent columns are
    returned as the SVD's minimum-norm solution, unrefined.
    ``root_weights`` (√w per point) turns it into weighted least squares: rows and y are scaled, and
    the fitted values are those of the unweighted curve.
    """
    wide = np.longdouble if x.size <= EXTENDED_PRECISION_POINTS else np.float64
    t = (x.astype(wide) - wide(stable.centre)) / wide(stable.half_width)
    plain_wide = legendre_columns(t, degree)
    design_wide, y_wide = plain_wide, y.astype(wide)
    if root_weights is not None:
        scale = np.asarray(root_weights).astype(wide)
        design_wide, y_wide = plain_wide * scale[:, None], y_wide * scale
    design = design_wide.astype(np.float64, copy=False)
    norms = np.linalg.norm(design, axis=0)
    norms[norms == 0] = 1.0
    scaled = design / norms
    r_factor = qr_r(scaled)
    independent = independent_columns(r_factor, np.ones(degree + 1), pivot_floor(x.size, degree + 1))
    if len(independent) == degree + 1:
        # Semi-normal equations RᵀR·c = Aᵀy (R from QR, so AᵀA is never formed); the refinement below
        # corrects them to the QR solution's accuracy without keeping Q (N × (D+1) more memory).
        rhs = scaled.T @ y_wide.astype(np.float64)
        start, rank = np.linalg.solve(r_factor, np.linalg.solve(r_factor.T, rhs)), degree + 1
    else:
        start, _, rank, _ = np.linalg.lstsq(scaled, y_wide.astype(np.float64), rcond=None)
        rank = min(int(rank), len(independent))
    solution = (start / norms).astype(wide)
    if rank == degree + 1:
        residual = y_wide - design_wide @ solution
        previous = np.inf
        for done in range(MAX_REFINEMENT_ROUNDS):
            f = (y_wide - residual - design_wide @ solution).astype(np.float64)
            g = (-(design_wide.T @ residual)).astype(np.float64) / norms
            step = np.linalg.solve(r_factor, np.linalg.solve(r_factor.T, scaled.T @ f - g))
            solution = solution + (step / norms).astype(wide)
            residual = residual + (f - scaled @ step).astype(wide)
            # ``rounds`` always; more while an ill-conditioned start is still being corrected.
            size = float(np.linalg.norm(step))
            magnitude = float(np.linalg.norm((solution * norms).astype(np.float64)))
            if done + 1 >= rounds and (size >= 0.5 * previous or size <= 4 * np.finfo(float).eps * magnitude):
                break
            previous = size
    hi = solution.astype(np.float64)
    lo = (solution - hi.astype(wide)).astype(np.float64)
    fitted = (plain_wide @ solution).astype(np.float64)
    return hi, lo, fitted, int(rank)


EXTENDED_PRECISION_POINTS = 200_000
MAX_REFINEMENT_ROUNDS = 10

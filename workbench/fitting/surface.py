"""The loss over a grid of two coefficients, the others held fixed: the landscape the knobs move on.

Returned grids are indexed ``[row, column] = [j-value, i-value]``: rows follow the second coefficient
(drawn vertically), columns the first (drawn horizontally), ready for an image item in row-major order.
With uncertainties ``sigma`` the loss is that of residuals/σ; only the residual and the two varied
columns are divided by σ (O(N) extra work, no copy of the whole design matrix).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .losses import Loss
from .stop_signal import StopSignal


def quadratic_surface(
    design: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    i: int,
    j: int,
    a_values: np.ndarray,
    b_values: np.ndarray,
    loss: Loss = Loss(),
    penalty_mask: np.ndarray | None = None,
    sigma=None,
) -> np.ndarray:
    """Exact MSE/SSE surface in closed form: L(θ + a·e_i + b·e_j) is a quadratic in (a, b).

    L = L₀ + a·g_i + b·g_j + a²·H_ii/2 + a·b·H_ij + b²·H_jj/2, with g and H the gradient and Hessian at
    θ.  Grid values are offsets from θ_i and θ_j removed: ``a_values`` and ``b_values`` are the
    absolute coefficient values to show.  A 200×200 grid costs a handful of array operations.
    """
    if not loss.is_squared_error:
        raise ValueError("the closed-form surface needs a squared-error loss; use numeric_surface")
    if i == j:
        raise ValueError("choose two different coefficients for the surface")
    theta = np.asarray(theta, dtype=np.float64)
    n = max(design.shape[0], 1)
    scale = 1.0 / n if loss.kind == "mse" else 1.0
    mask = np.zeros(theta.size) if penalty_mask is None or not loss.l2 else np.asarray(penalty_mask, float)
    residual, ci, cj = _scaled(design @ theta - y, design[:, i], design[:, j], sigma=sigma)
    base = loss.value(residual, (theta * mask) if loss.l2 else None)
    grad_i = 2 * scale * (ci @ residual) + 2 * loss.l2 * mask[i] * theta[i]
    grad_j = 2 * scale * (cj @ residual) + 2 * loss.l2 * mask[j] * theta[j]
    h_ii = scale * (ci @ ci) + loss.l2 * mask[i]
    h_jj = scale * (cj @ cj) + loss.l2 * mask[j]
    h_ij = scale * (ci @ cj)
    da = (np.asarray(a_values, dtype=np.float64) - theta[i])[None, :]
    db = (np.asarray(b_values, dtype=np.float64) - theta[j])[:, None]
    surface = base + da * grad_i + db * grad_j + da * da * h_ii + 2 * da * db * h_ij + db * db * h_jj
    return np.maximum(surface, 0.0)  # rounding must never show a negative squared error


def quadratic_surface_at(
    value: float,
    grad: np.ndarray,
    hessian: np.ndarray,
    theta: np.ndarray,
    i: int,
    j: int,
    a_values: np.ndarray,
    b_values: np.ndarray,
) -> np.ndarray:
    """The same closed form as ``quadratic_surface`` from the loss, gradient and (constant) Hessian at θ.

    The window has the engine's loss and gradient at the knobs already, and the Hessian of a squared
    error never changes: the grid then costs its own 200×200 points, not a pass over 10⁶ data points.
    """
    if i == j:
        raise ValueError("choose two different coefficients for the surface")
    theta = np.asarray(theta, dtype=np.float64)
    da = (np.asarray(a_values, dtype=np.float64) - theta[i])[None, :]
    db = (np.asarray(b_values, dtype=np.float64) - theta[j])[:, None]
    h_ii, h_jj, h_ij = 0.5 * hessian[i, i], 0.5 * hessian[j, j], 0.5 * hessian[i, j]
    surface = value + da * grad[i] + db * grad[j] + da * da * h_ii + 2 * da * db * h_ij + db * db * h_jj
    return np.maximum(surface, 0.0)  # rounding must never show a negative squared error


def numeric_surface(
    loss_at: Callable[[np.ndarray], float],
    theta: np.ndarray,
    i: int,
    j: int,
    a_values: np.ndarray,
    b_values: np.ndarray,
    stop: StopSignal | None = None,
) -> np.ndarray | None:
    """Any model and loss: evaluate ``loss_at`` at every grid point (run it off the GUI thread).

    Returns None if ``stop`` was set before the grid was complete.
    """
    if i == j:
        raise ValueError("choose two different coefficients for the surface")
    probe = np.array(theta, dtype=np.float64)
    out = np.empty((len(b_values), len(a_values)))
    for row, b in enumerate(b_values):
        if stop is not None and stop.is_set():
            return None
        probe[j] = b
        for col, a in enumerate(a_values):
            probe[i] = a
            out[row, col] = loss_at(probe)
    return out


def polynomial_surface(
    design: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    i: int,
    j: int,
    a_values: np.ndarray,
    b_values: np.ndarray,
    loss: Loss = Loss(),
    penalty_mask: np.ndarray | None = None,
    sigma=None,
) -> np.ndarray:
    """Polynomial models with any loss: closed form for squared error, else vectorised row by row."""
    if loss.is_squared_error:
        return quadratic_surface(design, y, theta, i, j, a_values, b_values, loss, penalty_mask, sigma)
    theta = np.asarray(theta, dtype=np.float64)
    a_values = np.asarray(a_values, dtype=np.float64)
    ci, cj = design[:, i], design[:, j]
    rest, ci, cj = _scaled(design @ theta - y - ci * theta[i] - cj * theta[j], ci, cj, sigma=sigma)
    mask = np.zeros(theta.size) if penalty_mask is None else np.asarray(penalty_mask, float)
    fixed_penalty = float(np.sum((theta * mask) ** 2) - (theta[i] * mask[i]) ** 2 - (theta[j] * mask[j]) ** 2)
    out = np.empty((len(b_values), len(a_values)))
    for row, b in enumerate(b_values):
        residual = rest[None, :] + a_values[:, None] * ci[None, :] + b * cj[None, :]
        if loss.kind == "mae":
            data = np.mean(np.abs(residual), axis=1)
        else:
            r, d = np.abs(residual), loss.huber_delta
            data = np.mean(np.where(r <= d, 0.5 * residual * residual, d * (r - 0.5 * d)), axis=1)
        penalty = fixed_penalty + (a_values * mask[i]) ** 2 + (b * mask[j]) ** 2
        out[row] = data + loss.l2 * penalty
    return out


def _scaled(*vectors: np.ndarray, sigma=None) -> tuple[np.ndarray, ...]:
    """Each vector times 1/σ (as the engine scales residuals), or a contiguous copy when ``sigma`` is None
    (so that σ ≡ 1 sums in the same order and gives bit for bit the unweighted surface)."""
    if sigma is None:
        return tuple(np.ascontiguousarray(v) for v in vectors)
    inverse = 1.0 / np.asarray(sigma, dtype=np.float64)
    return tuple(v * inverse for v in vectors)

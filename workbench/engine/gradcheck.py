"""Central-difference gradient checks: the independent witness that backprop got the calculus right."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ROUNDING = np.finfo(np.float64).eps


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6, return_noise: bool = False, floor: float = 1.0
):
    """∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h for every element, with h = eps·max(floor, |x_i|).

    The default ``floor`` of 1 keeps h from vanishing at x_i = 0; near a singular point (log or √ near
    0, a quotient near a zero denominator) pass ``floor=0``, so the step stays inside the domain.
    With ``return_noise`` also returns, per element, the size of the rounding error such a difference
    can carry (64·ε·|f| / 2h): below it a central difference cannot tell a gradient from zero.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    noise = np.zeros_like(x)
    flat, gflat, nflat = x.reshape(-1), grad.reshape(-1), noise.reshape(-1)
    for i in range(flat.size):
        h = eps * max(floor, abs(flat[i]))
        saved = flat[i]
        flat[i] = saved + h
        up = f(x)
        flat[i] = saved - h
        down = f(x)
        flat[i] = saved
        gflat[i] = (up - down) / (2.0 * h)
        nflat[i] = 64 * ROUNDING * max(abs(up), abs(down)) / (2.0 * h)
    return (grad, noise) if return_noise else grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor=1e-8) -> np.ndarray:
    """|a − n| / max(|a|, |n|, floor), element-wise: 0 is perfect, ~1e-9 is typical of float64."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    return np.abs(analytic - numeric) / scale


def check_gradient(
    f_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray, eps: float = 1e-6, floor: float = 1.0
) -> float:
    """Largest relative error between the analytic gradient of ``f_and_grad`` and central differences.

    Each element is judged relative to its own size, but never finer than 1e-3 of the largest element
    or the central difference's rounding noise: a difference of f values carries rounding error of the
    size of f, so an entry that nearly cancels (1e-4 beside entries of 1) cannot be checked to six of its
    own digits.  Errors in small entries still show, measured against the gradient's scale, and the
    part of a difference within that rounding noise is not counted.
    ``floor`` is passed to ``numerical_gradient`` (0: steps relative to each |x_i|).
    """
    _, analytic = f_and_grad(np.array(x, dtype=np.float64))
    numeric, noise = numerical_gradient(lambda v: f_and_grad(v)[0], x, eps, return_noise=True, floor=floor)
    largest = float(np.max(np.abs(analytic), initial=0.0))
    resolvable = np.maximum(noise, max(1e-8, 1e-3 * largest))
    # The part of a difference that the rounding of f alone can make is no error of the gradient: an
    # entry of 1e-7 beside an f of 7 can only be checked to a few digits, not to six.
    unexplained = np.maximum(np.abs(analytic - numeric) - noise, 0.0)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), resolvable)
    return float(np.max(unexplained / scale, initial=0.0))

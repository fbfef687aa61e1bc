"""Central-difference gradient checks: the independent witness that backprop got the calculus right."""

from __future__ import annotations

from typing import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h for every element, with h scaled to |x_i|."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        h = eps * max(1.0, abs(flat[i]))
        saved = flat[i]
        flat[i] = saved + h
        up = f(x)
        flat[i] = saved - h
        down = f(x)
        flat[i] = saved
        gflat[i] = (up - down) / (2.0 * h)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """|a − n| / max(|a|, |n|, floor), element-wise: 0 is perfect, 1e-6 is float64 finite differences."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    return np.abs(analytic - numeric) / scale


def check_gradient(f_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray,
                   eps: float = 1e-6) -> float:
    """Largest relative error between the analytic gradient of ``f_and_grad`` and central differences."""
    _, analytic = f_and_grad(np.array(x, dtype=np.float64))
    numeric = numerical_gradient(lambda v: f_and_grad(v)[0], x, eps)
    return float(np.max(relative_error(analytic, numeric), initial=0.0))

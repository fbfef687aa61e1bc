"""Optimisers: rules that turn a gradient into a knob update.  Each keeps its own small state.

State is reset with ``reset()``, so a run can start from any coefficients (for example the user's
hand-tuned ones) without momentum left over from a previous run.
"""

from __future__ import annotations

import numpy as np

OPTIMIZER_KINDS = ("gd", "momentum", "nesterov", "adam")
OPTIMIZER_NAMES = {"gd": "Gradient descent", "momentum": "Momentum", "nesterov": "Nesterov", "adam": "Adam"}


class Optimizer:
    """Base class: ``update(params, grad)`` returns new params and never modifies its arguments."""

    kind = ""

    def __init__(self, lr: float):
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a positive number, got {lr!r}")
        self.lr = float(lr)
        self.reset()

    def reset(self) -> None:
        """Forget accumulated state (velocities, moment estimates)."""

    def update(self, params: np.ndarray, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class GradientDescent(Optimizer):
    """k ← k − lr·∂L/∂k: the articles' rule."""

    kind = "gd"

    def update(self, params, grad):
        return params - self.lr * grad


class Momentum(Optimizer):
    """Heavy ball: v ← μ·v + g; k ← k − lr·v.  Keeps rolling along a long valley."""

    kind = "momentum"

    def __init__(self, lr: float, beta: float = 0.9):
        self.beta = float(beta)
        super().__init__(lr)

    def reset(self):
        self.velocity = None

    def update(self, params, grad):
        self.velocity = grad.copy() if self.velocity is None else self.beta * self.velocity + grad
        return params - self.lr * self.velocity


class Nesterov(Momentum):
    """Nesterov momentum in the look-ahead-free form: k ← k − lr·(g + μ·v), with v ← μ·v + g."""

    kind = "nesterov"

    def update(self, params, grad):
        self.velocity = grad.copy() if self.velocity is None else self.beta * self.velocity + grad
        return params - self.lr * (grad + self.beta * self.velocity)


class Adam(Optimizer):
    """Adam: per-knob step sizes from running averages of the gradient and its square (bias-corrected)."""

    kind = "adam"

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        super().__init__(lr)

    def reset(self):
        self.m = None
        self.v = None
        self.t = 0

    def update(self, params, grad):
        if self.m is None:
            self.m = np.zeros_like(grad)
            self.v = np.zeros_like(grad)
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad * grad
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        return params - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


_CLASSES = {cls.kind: cls for cls in (GradientDescent, Momentum, Nesterov, Adam)}


def make_optimizer(kind: str, lr: float) -> Optimizer:
    """An optimiser by its short name (gd, momentum, nesterov, adam)."""
    try:
        return _CLASSES[kind](lr)
    except KeyError:
        raise ValueError(f"unknown optimizer {kind!r}: choose one of {', '.join(OPTIMIZER_KINDS)}") from None

"""Optimisers: rules that turn a gradient into a knob update.  Each keeps its own small state.

State is reset with ``reset()``, so a run can start from any coefficients (for example the user's
hand-tuned ones) without momentum left over from a previous run.

Gradient descent, momentum, Nesterov and Adam use one gradient per step.  Conjugate gradient and L-BFGS
choose a direction and then how far to go along it: exactly, when the loss is a quadratic whose Hessian
they were given (``attach``), else by a Wolfe line search that evaluates the loss a few more times
(``line_search``).  Those extra passes are counted in ``evaluations``, and the point the search ended on
is remembered (``evaluated_at``), so the next step does not compute it again.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .line_search import ValueAndGrad, exact_step, wolfe_search

OPTIMIZER_KINDS = ("gd", "momentum", "nesterov", "adam", "cg", "lbfgs")
OPTIMIZER_NAMES = {
    "gd": "Gradient descent",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adam": "Adam",
    "cg": "Conjugate gradient",
    "lbfgs": "L-BFGS",
}


class Optimizer:
    """Base class: ``update(params, grad, loss)`` returns new params and never modifies its arguments."""

    kind = ""
    uses_hessian = False  # True: give ``attach`` the Hessian of a quadratic loss (exact step lengths)

    def __init__(self, lr: float):
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a positive number, got {lr!r}")
        self.lr = float(lr)
        self.value_and_grad: ValueAndGrad | None = None
        self.hessian: np.ndarray | None = None
        self.evaluations = 0  # loss evaluations of the last update beyond the step's own
        self.reset()

    def attach(self, value_and_grad: ValueAndGrad, hessian: np.ndarray | None = None) -> None:
        """Give the optimiser the loss (for line searches) and, for a quadratic loss, its constant Hessian."""
        self.value_and_grad = value_and_grad
        self.hessian = None if hessian is None else np.asarray(hessian, dtype=np.float64)

    def reset(self) -> None:
        """Forget accumulated state (velocities, moment estimates, search directions)."""

    def evaluated_at(self, params: np.ndarray) -> tuple[float, np.ndarray] | None:
        """(loss, gradient) at ``params`` if the last update computed them there already, else None."""
        return None

    def update(self, params: np.ndarray, grad: np.ndarray, loss: float | None = None) -> np.ndarray:
        raise NotImplementedError


class GradientDescent(Optimizer):
    """k ← k − lr·∂L/∂k: the articles' rule."""

    kind = "gd"

    def update(self, params, grad, loss=None):
        return params - self.lr * grad


class Momentum(Optimizer):
    """Heavy ball: v ← μ·v + g; k ← k − lr·v.  Keeps rolling along a long valley."""

    kind = "momentum"

    def __init__(self, lr: float, beta: float = 0.9):
        self.beta = float(beta)
        super().__init__(lr)

    def reset(self):
        self.velocity = None

    def update(self, params, grad, loss=None):
        self.velocity = grad.copy() if self.velocity is None else self.beta * self.velocity + grad
        return params - self.lr * self.velocity


class Nesterov(Momentum):
    """Nesterov momentum in the look-ahead-free form: k ← k − lr·(g + μ·v), with v ← μ·v + g."""

    kind = "nesterov"

    def update(self, params, grad, loss=None):
        self.velocity = grad.copy() if self.velocity is None else self.beta * self.velocity + grad
        return params - self.lr * (grad + self.beta * self.velocity)


class Adam(Optimizer):
    """Adam: per-knob step sizes from running averages of the gradient and its square (bias-corrected).

    ε (which keeps the division finite) is relative to the size of the first gradient, so that Adam
    behaves the same whatever the units of y: an absolute 1e-8 would swamp gradients of data near 1e-12.
    """

    kind = "adam"

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        super().__init__(lr)

    def reset(self):
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None
        self.t = 0
        self.eps_abs = 0.0

    def update(self, params, grad, loss=None):
        if self.m is None or self.v is None:
            self.m = np.zeros_like(grad)
            self.v = np.zeros_like(grad)
            scale = float(np.max(np.abs(grad))) if grad.size else 0.0
            self.eps_abs = self.eps * scale if scale > 0 and np.isfinite(scale) else self.eps
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad * grad
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        return params - self.lr * m_hat / (np.sqrt(v_hat) + self.eps_abs)


class _SearchOptimizer(Optimizer):
    """A direction, then a step length along it: exact on a known quadratic, a Wolfe line search otherwise.

    ``lr`` is the length of the first trial step of the first search (later searches start from the
    last accepted length, or 1 for L-BFGS's scaled directions).
    """

    wolfe_c2 = 0.9
    uses_hessian = True

    def reset(self):
        self._cached: tuple[bytes, float, np.ndarray] | None = None
        self._last_alpha: float | None = None

    def evaluated_at(self, params):
        cached = self._cached
        if cached is not None and cached[0] == params.tobytes():
            return cached[1], cached[2]
        return None

    def direction(self, params: np.ndarray, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def first_trial(self, grad: np.ndarray, direction: np.ndarray) -> float:
        return self.lr if self._last_alpha is None else self._last_alpha

    def update(self, params, grad, loss=None):
        self.evaluations = 0
        self._cached = None
        d = self.direction(params, grad)
        if not float(grad @ d) < 0:  # not downhill (a lost conjugacy): start again from steepest descent
            self.restart()
            d = -grad
        if self.hessian is not None:
            alpha = exact_step(grad, d, self.hessian)
            if alpha is not None:
                self._last_alpha = alpha
                return self.accepted(params, grad, params + alpha * d, d)
        if self.value_and_grad is None:
            raise ValueError(f"{OPTIMIZER_NAMES[self.kind]} needs the loss for its line search: attach it first")
        if loss is None:
            loss = float(self.value_and_grad(params)[0])
            self.evaluations += 1
        step = wolfe_search(self.value_and_grad, params, d, loss, grad, self.first_trial(grad, d), c2=self.wolfe_c2)
        self.evaluations += step.evaluations
        if step.alpha == 0.0:  # nothing lower along d: forget the history, so the next step is steepest
            self.restart()
            return params.copy()
        self._last_alpha = step.alpha
        new = params + step.alpha * d
        if step.grad is not None:
            self._cached = (new.tobytes(), step.loss, step.grad)
        return self.accepted(params, grad, new, d)

    def restart(self) -> None:
        """Forget the directions remembered so far (the next direction is steepest descent)."""

    def accepted(self, params: np.ndarray, grad: np.ndarray, new: np.ndarray, direction: np.ndarray) -> np.ndarray:
        """Remember what the next direction needs; returns ``new``."""
        return new


class ConjugateGradient(_SearchOptimizer):
    """Nonlinear conjugate gradient (Polak–Ribière+): each direction conjugate to the ones before.

    On a quadratic loss with its Hessian known the step length is exact and this is the linear CG of
    Hestenes and Stiefel: it reaches the optimum of D+1 knobs in at most D+1 steps (in exact arithmetic).
    """

    kind = "cg"
    wolfe_c2 = 0.1  # CG needs a nearly exact line search to keep its directions conjugate

    def reset(self):
        super().reset()
        self.restart()

    def restart(self):
        self._previous: tuple[np.ndarray, np.ndarray] | None = None  # (gradient, direction)

    def direction(self, params, grad):
        if self._previous is None:
            return -grad
        old_grad, old_direction = self._previous
        denominator = float(old_grad @ old_grad)
        beta = max(0.0, float(grad @ (grad - old_grad)) / denominator) if denominator > 0 else 0.0
        return -grad + beta * old_direction

    def accepted(self, params, grad, new, direction):
        self._previous = (grad.copy(), direction)
        return new


class LBFGS(_SearchOptimizer):
    """Limited-memory BFGS: a Newton-like direction from the last ``memory`` steps and gradient changes."""

    kind = "lbfgs"

    def __init__(self, lr: float, memory: int = 10):
        self.memory = int(memory)
        super().__init__(lr)

    def reset(self):
        super().reset()
        self.restart()

    def restart(self):
        self._pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=self.memory)
        self._last: tuple[np.ndarray, np.ndarray] | None = None  # (params, grad) where the last step began

    def direction(self, params, grad):
        if self._last is not None:
            s, y = params - self._last[0], grad - self._last[1]
            curvature = float(s @ y)
            if curvature > 1e-12 * float(np.linalg.norm(s) * np.linalg.norm(y)):
                self._pairs.append((s, y, 1.0 / curvature))
        if not self._pairs:
            return -grad
        q = grad.copy()
        alphas = []
        for s, y, rho in reversed(self._pairs):
            a = rho * float(s @ q)
            alphas.append(a)
            q -= a * y
        s, y, _ = self._pairs[-1]
        q *= float(s @ y) / float(y @ y)  # the initial inverse Hessian: the last step's curvature
        for (s, y, rho), a in zip(self._pairs, reversed(alphas)):
            q += (a - rho * float(y @ q)) * s
        return -q

    def first_trial(self, grad, direction):
        return 1.0 if self._pairs else super().first_trial(grad, direction)

    def accepted(self, params, grad, new, direction):
        self._last = (params.copy(), grad.copy())
        return new


_CLASSES = {cls.kind: cls for cls in (GradientDescent, Momentum, Nesterov, Adam, ConjugateGradient, LBFGS)}


def make_optimizer(kind: str, lr: float) -> Optimizer:
    """An optimiser by its short name (gd, momentum, nesterov, adam, cg, lbfgs)."""
    try:
        return _CLASSES[kind](lr)
    except KeyError:
        raise ValueError(f"unknown optimizer {kind!r}: choose one of {', '.join(OPTIMIZER_KINDS)}") from None

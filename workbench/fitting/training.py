"""The training loop: forward, backward, update, repeat, from any starting knobs, on any thread.

``Trainer.step()`` is one step (for teaching: one forward pass, one backward pass, one update).
``Trainer.run()`` is a generator of ``StepRecord``s that ends by itself on convergence, on the step
limit, on divergence, or when another thread sets ``stop_event``; ``Trainer.result`` then says why.
On divergence (or at any stop) the best finite coefficients seen are kept, never NaNs.

A ``monitor`` (the loss on held-out validation points, say) is evaluated at the knobs each step is
taken from, every ``monitor_every`` steps, and recorded beside the training loss.  With
``StopRules.patience`` the run stops early once the monitored loss has not improved for that many
steps, and ends at the knobs where it was lowest (Keras's ``restore_best_weights``): over-fitting is
visible in the history, and the user is left with the model that generalised best.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

import numpy as np

from .optimizers import Optimizer

STOPPED_BY_USER = "stopped by the user"  # the message of a run the user (or a stop flag) ended

ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


class StopReason(str, Enum):
    """Why a run ended."""

    CONVERGED = "converged"
    MAX_STEPS = "max_steps"
    DIVERGED = "diverged"
    STOPPED = "stopped"
    EARLY_STOP = "early_stop"  # the monitored (validation) loss stopped improving
    STALLED = "stalled"  # no step lowers the loss, yet the gradient is not small (far from an optimum)


@dataclass(frozen=True)
class StepRecord:
    """One step: the loss and gradient at ``params_before``, and the knobs after the update.

    The arrays are copies: whoever receives a record may keep or change them without touching the run.
    """

    step: int  # 1-based step number
    loss: float  # L(params_before)
    grad: np.ndarray  # ∂L/∂k at params_before
    params_before: np.ndarray
    params: np.ndarray  # after the update
    finite: bool = True  # loss and gradient were finite
    val_loss: float | None = None  # the monitor at params_before (None on steps it was not evaluated)
    batch_loss: float | None = None  # mini-batch steps: the loss of the batch whose gradient ``grad`` is


@dataclass(frozen=True)
class TrainResult:
    """How a run ended: the coefficients it leaves behind, their loss, and why it stopped."""

    params: np.ndarray
    loss: float
    steps: int
    stop_reason: StopReason
    elapsed_s: float
    message: str = ""


@dataclass(frozen=True)
class StopRules:
    """When a run ends by itself.

    ``tol``: converged when the relative loss change of a step is at most tol (0 disables);
    ``grad_tol``: converged when the gradient norm is at most grad_tol (0 disables);
    ``divergence_factor``: diverged when the loss exceeds this multiple of the starting loss;
    ``patience``: stop early when the monitored loss has not improved for this many steps (None: never).
    """

    max_steps: int = 1000
    tol: float = 1e-10
    grad_tol: float = 0.0
    divergence_factor: float = 1e8
    patience: int | None = None

    def __post_init__(self):
        if int(self.max_steps) < 0:
            raise ValueError(f"step limit must be zero or more, got {self.max_steps!r}")
        if not (self.tol >= 0 and self.grad_tol >= 0):
            raise ValueError("tolerances must be zero or positive numbers")
        if not self.divergence_factor > 1:
            raise ValueError("divergence factor must be greater than 1")
        patience = self.patience
        if patience is not None and (
            isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1
        ):
            raise ValueError(
                f"early-stopping patience must be a whole number of steps, 1 or more, "
                f"got {patience!r} (use None for no early stopping)"
            )


class Trainer:
    """Drives an optimiser over a loss from given starting knobs; stoppable from another thread.

    ``monitor(params) -> float`` (optional) is evaluated at step 1 and every ``monitor_every``-th step
    after it (steps 1, 1 + k, 1 + 2k, …); early stopping (``rules.patience``) needs one.
    """

    def __init__(
        self,
        value_and_grad: ValueAndGrad,
        optimizer: Optimizer,
        params: np.ndarray,
        rules: StopRules = StopRules(),
        stop_event: threading.Event | None = None,
        monitor: Callable[[np.ndarray], float] | None = None,
        monitor_every: int = 1,
    ):
        self.value_and_grad = value_and_grad
        self.optimizer = optimizer
        self.params = np.array(params, dtype=np.float64)
        if not np.all(np.isfinite(self.params)):
            raise ValueError("starting coefficients must be finite numbers")
        self.rules = rules
        self.stop_event = stop_event or threading.Event()
        self.steps = 0
        self.best_params = self.params.copy()
        self.best_loss = np.inf
        self.start_loss: float | None = None
        self.last_loss: float | None = None
        self.result: TrainResult | None = None
        if rules.patience is not None and monitor is None:
            raise ValueError(
                "early stopping needs a validation loss to watch: hold out some points "
                "for validation, or switch early stopping off"
            )
        if isinstance(monitor_every, bool) or not isinstance(monitor_every, (int, np.integer)) or monitor_every < 1:
            raise ValueError(f"monitor_every must be a whole number of steps, 1 or more, got {monitor_every!r}")
        self.monitor = monitor
        self.monitor_every = int(monitor_every)
        self.best_val_loss = np.inf
        self.best_val_step = 0  # the step whose starting knobs had the lowest monitored loss
        self.best_val_params = self.params.copy()
        self.last_val_step = 0  # the last step the monitor was evaluated at

    def stop(self) -> None:
        """Ask the run to end after the step in progress (safe from any thread)."""
        self.stop_event.set()

    def step(self) -> StepRecord:
        """Exactly one forward pass, one backward pass and one update of the knobs."""
        before = self.params
        loss, grad = self.value_and_grad(before)
        loss = float(loss)
        if self.start_loss is None:
            self.start_loss = loss
        finite = math.isfinite(loss) and bool(np.isfinite(grad).all())
        if finite and loss < self.best_loss:
            # Optimisers return new arrays and never modify ``before``: keeping it needs no copy.
            self.best_loss, self.best_params = loss, before
        val_loss = self._watch(before)
        self.params = self.optimizer.update(before, grad)
        self.steps += 1
        self.last_loss = loss
        return StepRecord(self.steps, loss, grad.copy(), before.copy(), self.params.copy(), finite, val_loss)

    def _watch(self, before: np.ndarray) -> float | None:
        """The monitor at ``before`` when this step is one it watches; remembers the best."""
        if self.monitor is None or self.steps % self.monitor_every:
            return None
        val = float(self.monitor(before))
        self.last_val_step = self.steps + 1
        if val < self.best_val_loss:  # False for NaN: a broken value is never the best
            self.best_val_loss, self.best_val_step, self.best_val_params = val, self.steps + 1, before
        return val

    def run(self) -> Iterator[StepRecord]:
        """Step until a stop rule fires, yielding every step; sets ``result`` when it ends."""
        started = time.perf_counter()
        previous: float | None = None
        reason, message = StopReason.MAX_STEPS, ""
        while True:
            if self.stop_event.is_set():
                reason, message = StopReason.STOPPED, STOPPED_BY_USER
                break
            if self.steps >= self.rules.max_steps:
                reason, message = StopReason.MAX_STEPS, f"reached the step limit of {self.rules.max_steps}"
                break
            record = self.step()
            yield record
            diverged = self._divergence(record)
            if diverged:
                reason, message = StopReason.DIVERGED, diverged
                break
            if self._stalled():
                reason, message = StopReason.EARLY_STOP, self._early_stop_text()
                break
            if self._converged(previous, record):
                reason, message = StopReason.CONVERGED, "the loss stopped changing"
                break
            previous = record.loss
        self.result = self._finish(reason, message, time.perf_counter() - started)

    def run_to_end(self, on_step: Callable[[StepRecord], None] | None = None) -> TrainResult:
        """Run without a consumer loop; ``on_step`` (if given) sees every record."""
        for record in self.run():
            if on_step is not None:
                on_step(record)
        assert self.result is not None
        return self.result

    def _divergence(self, record: StepRecord) -> str:
        if not record.finite:
            return "the loss became infinite or not a number"
        if not np.all(np.isfinite(record.params)):
            return "the coefficients overflowed"
        start = self.start_loss if self.start_loss else 0.0
        bound = self.rules.divergence_factor * max(start, np.finfo(float).tiny)
        if record.loss > bound and record.loss > self.best_loss:
            return f"the loss grew more than {self.rules.divergence_factor:g} times its starting value"
        return ""

    def _stalled(self) -> bool:
        """True when the monitored loss has not improved for ``patience`` steps (judged on the steps it
        was evaluated at, so with ``monitor_every`` = k the patience is rounded up to a multiple of k)."""
        patience = self.rules.patience
        return patience is not None and self.last_val_step - self.best_val_step >= patience

    def _early_stop_text(self) -> str:
        patience = self.rules.patience
        if not math.isfinite(self.best_val_loss):
            return f"the validation loss was not a finite number for {patience} steps"
        return (
            f"the validation loss has not improved for {patience} steps; the knobs are back at step "
            f"{self.best_val_step}, where it was lowest ({self.best_val_loss:.6g})"
        )

    def _converged(self, previous: float | None, record: StepRecord) -> bool:
        rules = self.rules
        if rules.grad_tol and float(np.linalg.norm(record.grad)) <= rules.grad_tol:
            return True
        if rules.tol and previous is not None:
            change = abs(previous - record.loss)
            return change <= rules.tol * max(abs(previous), np.finfo(float).tiny)
        return False

    def _finish(self, reason: StopReason, message: str, elapsed: float) -> TrainResult:
        """Evaluate where the run ended; fall back to the best finite knobs if that is worse or broken.

        An early stop ends at the knobs with the lowest validation loss instead (when there are any).
        """
        params = self.params
        if reason is StopReason.EARLY_STOP and math.isfinite(self.best_val_loss):
            params = self.best_val_params.copy()
            self.params = params
            return TrainResult(
                params.copy(), float(self.value_and_grad(params)[0]), self.steps, reason, elapsed, message
            )
        if self.steps == 0:
            loss, _ = self.value_and_grad(params)
            loss = float(loss)
        else:
            loss = float(self.value_and_grad(params)[0]) if np.all(np.isfinite(params)) else np.inf
        if not np.isfinite(loss) or (reason is StopReason.DIVERGED and loss > self.best_loss):
            params, loss = self.best_params.copy(), float(self.best_loss)
        elif loss > self.best_loss:
            # A last overshoot (momentum, Adam) is not what the user should be left with.
            params, loss = self.best_params.copy(), float(self.best_loss)
        self.params = params
        return TrainResult(params.copy(), loss, self.steps, reason, elapsed, message)

"""The training loop: forward, backward, update, repeat, from any starting knobs, on any thread.

``Trainer.step()`` is one step (for teaching: one forward pass, one backward pass, one update).
``Trainer.run()`` is a generator of ``StepRecord``s that ends by itself on convergence, when the loss
stalls, on the step limit, on divergence, or when another thread sets ``stop_event``; ``Trainer.result``
then says why.  On divergence (or at any stop) the best finite coefficients seen are kept, never NaNs.

Stopping tells the truth.  A run is ``converged`` only when it is at the optimum within the tolerance:
when the optimum is known (squared error on a polynomial: a ``Yardstick`` carries it) the gap to it must
be within ``tol`` of it (plus the loss's own rounding); otherwise the gradient must be small relative to
the loss scale.  A loss that stops moving anywhere else is ``stalled``, with the gap in the result.

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
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

import numpy as np

from .optimizers import Optimizer
from .stop_signal import StopSignal

STOPPED_BY_USER = "stopped by the user"  # the message of a run the user (or a stop flag) ended

ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


class StopReason(str, Enum):
    """Why a run ended."""

    CONVERGED = "converged"  # at the optimum, within the tolerance
    STALLED = "stalled"  # the loss stopped moving short of the optimum (or no step lowers it, far from one)
    MAX_STEPS = "max_steps"
    DIVERGED = "diverged"
    STOPPED = "stopped"
    EARLY_STOP = "early_stop"  # the monitored (validation) loss stopped improving


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
    """How a run ended: the coefficients it leaves behind, their loss, and why it stopped.

    ``optimum`` is the lowest loss there is when it is known (then ``gap`` = loss − optimum), and
    ``evaluations`` counts the loss evaluations (a line search makes several per step).
    """

    params: np.ndarray
    loss: float
    steps: int
    stop_reason: StopReason
    elapsed_s: float
    message: str = ""
    optimum: float | None = None
    evaluations: int = 0

    @property
    def gap(self) -> float | None:
        """loss − optimum (None when the optimum is not known)."""
        return None if self.optimum is None else self.loss - self.optimum


@dataclass(frozen=True, eq=False)
class Yardstick:
    """What a run's progress is measured against (a ``FitProblem`` makes one for its loss).

    ``optimum``: the lowest loss there is, when known; ``resolution``: how finely a loss near it can be
    told apart from it in double precision; ``typical_knobs``: each knob's natural size, for the relative
    gradient (None: 1); ``true_loss``: the loss of given knobs computed in a stable basis, for the result
    (None: the engine's own).
    """

    optimum: float | None = None
    resolution: float = 0.0
    typical_knobs: np.ndarray | None = None
    true_loss: Callable[[np.ndarray], float] | None = None

    def within(self, loss: float, tol: float) -> bool:
        """True when ``loss`` is at the optimum within the relative ``tol`` (False when none is known)."""
        if self.optimum is None or not math.isfinite(loss):
            return False
        return loss - self.optimum <= tol * max(self.optimum, 0.0) + self.resolution


STALL_WINDOW = 100
"""Steps over which the loss's progress is judged: long enough that the ripples of momentum and Adam are
not taken for a halt."""

STALL_HORIZON = 1e6
"""A run whose pace would need more steps than this to reach the optimum has stalled."""


@dataclass(frozen=True)
class StopRules:
    """When a run ends by itself.

    ``tol``: converged when the loss is within ``tol`` (relative) of a known optimum; stalled when, at
    its pace over the last ``STALL_WINDOW`` steps, it would need more than ``STALL_HORIZON`` steps to
    get there (without a known optimum: when it improved by less than ``tol`` per step, relative);
    0 disables both (every step runs);
    ``grad_tol``: without a known optimum, converged when the gradient is below this relative to the
    loss scale, max_i |∂L/∂k_i|·max(|k_i|, typical_i) / L_start (0 disables);
    ``divergence_factor``: diverged when the loss exceeds this multiple of the starting loss;
    ``patience``: stop early when the monitored loss has not improved for this many steps (None: never).
    """

    max_steps: int = 1000
    tol: float = 1e-10
    grad_tol: float = 1e-5
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
    after it (steps 1, 1 + k, 1 + 2k, …); early stopping (``rules.patience``) needs one.  ``yardstick``
    (optional) is what convergence is judged against (see ``StopRules``).
    """

    def __init__(
        self,
        value_and_grad: ValueAndGrad,
        optimizer: Optimizer,
        params: np.ndarray,
        rules: StopRules = StopRules(),
        stop_event: StopSignal | None = None,
        monitor: Callable[[np.ndarray], float] | None = None,
        monitor_every: int = 1,
        yardstick: Yardstick | None = None,
    ):
        self.value_and_grad = value_and_grad
        self.optimizer = optimizer
        if optimizer.value_and_grad is None:
            optimizer.attach(value_and_grad)
        self.yardstick = yardstick or Yardstick()
        self.evaluations = 0
        self._recent_best: deque[float] = deque(maxlen=STALL_WINDOW + 1)
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
        known = self.optimizer.evaluated_at(before)  # a line search may have computed it already
        if known is None:
            loss, grad = self.value_and_grad(before)
            self.evaluations += 1
        else:
            loss, grad = known
        loss = float(loss)
        if self.start_loss is None:
            self.start_loss = loss
        finite = math.isfinite(loss) and bool(np.isfinite(grad).all())
        if finite and loss < self.best_loss:
            # Optimisers return new arrays and never modify ``before``: keeping it needs no copy.
            self.best_loss, self.best_params = loss, before
        val_loss = self._watch(before)
        self.params = self.optimizer.update(before, grad, loss)
        self.evaluations += self.optimizer.evaluations
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
            verdict = self._verdict(record)
            if verdict is not None:
                reason, message = verdict
                break
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

    def _verdict(self, record: StepRecord) -> tuple[StopReason, str] | None:
        """(CONVERGED or STALLED, why) when the run should end here, else None."""
        rules, yardstick = self.rules, self.yardstick
        if not record.finite:
            return None
        if rules.tol and yardstick.within(record.loss, rules.tol):
            return StopReason.CONVERGED, f"the loss is within {rules.tol:g} of the optimum"
        if rules.grad_tol and yardstick.optimum is None:
            relative = self.relative_gradient(record.params_before, record.grad)
            if relative <= rules.grad_tol:
                return StopReason.CONVERGED, f"the gradient is below {rules.grad_tol:g} of the loss scale"
        if not rules.tol:
            return None
        recent = self._recent_best
        recent.append(self.best_loss)
        if len(recent) <= STALL_WINDOW or not self._stopped_moving(recent[0] - recent[-1], recent[-1]):
            return None
        return StopReason.STALLED, self._stall_text()

    def _stopped_moving(self, improvement: float, best: float) -> bool:
        """Whether the best loss's ``improvement`` over the last ``STALL_WINDOW`` steps means it has stopped.

        With a known optimum: when, at that pace (a geometric approach), closing the gap would take more
        than ``STALL_HORIZON`` steps.  Without one: when it improved by less than ``tol`` per step,
        relative to the loss.
        """
        tol, yardstick = self.rules.tol, self.yardstick
        if yardstick.optimum is None:
            return improvement <= tol * STALL_WINDOW * max(abs(best), np.finfo(float).tiny)
        gap = best - yardstick.optimum
        target = tol * max(yardstick.optimum, 0.0) + yardstick.resolution
        if improvement <= 0:
            return True
        pace = STALL_WINDOW * gap / improvement  # steps per e-fold of the gap
        return pace * max(math.log(gap / target) if target > 0 and gap > target else 1.0, 1.0) > STALL_HORIZON

    def relative_gradient(self, params: np.ndarray, grad: np.ndarray) -> float:
        """max_i |∂L/∂k_i|·max(|k_i|, typical_i) / max(L_start, L_best): how much any knob, moved by its own
        size, could still lower the loss, as a fraction of the loss scale."""
        typical = self.yardstick.typical_knobs
        sizes = np.abs(params) if typical is None else np.maximum(np.abs(params), typical)
        if typical is None:
            sizes = np.maximum(sizes, 1.0)
        scale = max(abs(self.start_loss or 0.0), abs(self.best_loss) if math.isfinite(self.best_loss) else 0.0)
        scale = max(scale, np.finfo(float).tiny)
        return float(np.max(np.abs(grad) * sizes)) / scale if grad.size else 0.0

    def _stall_text(self) -> str:
        window = f"over the last {STALL_WINDOW} steps"
        if self.yardstick.optimum is None:
            return f"the loss stopped moving {window} before the gradient became small"
        return (
            f"the loss stopped moving short of the optimum: at its pace {window} it would need more "
            f"than {STALL_HORIZON:,.0f} steps to get there"
        )

    def _finish(self, reason: StopReason, message: str, elapsed: float) -> TrainResult:
        """Evaluate where the run ended; fall back to the best finite knobs if that is worse or broken.

        An early stop ends at the knobs with the lowest validation loss instead (when there are any).
        The loss reported is the yardstick's stable one when it has one, and a convergence claimed on
        the engine's loss is checked against it (rounding in an ill-conditioned basis can fake one).
        """
        params = self.params
        if reason is StopReason.EARLY_STOP and math.isfinite(self.best_val_loss):
            params = self.best_val_params.copy()
            loss = float(self.value_and_grad(params)[0])
        else:
            if self.steps == 0:
                loss, _ = self.value_and_grad(params)
                loss = float(loss)
            else:
                loss = float(self.value_and_grad(params)[0]) if np.all(np.isfinite(params)) else np.inf
            if not np.isfinite(loss) or loss > self.best_loss:
                # A last overshoot (momentum, Adam) is not what the user should be left with.
                params, loss = self.best_params.copy(), float(self.best_loss)
        self.params = params
        yardstick = self.yardstick
        if yardstick.true_loss is not None and np.all(np.isfinite(params)):
            loss = float(yardstick.true_loss(params))
        if (
            reason is StopReason.CONVERGED
            and yardstick.optimum is not None
            and not yardstick.within(loss, self.rules.tol)
        ):
            reason = StopReason.STALLED
            message = (
                f"the engine's loss reached the optimum, but computed stably these knobs are "
                f"{loss - yardstick.optimum:.3g} above it: rounding in this basis hides the rest"
            )
        return TrainResult(
            params.copy(), loss, self.steps, reason, elapsed, message, yardstick.optimum, self.evaluations
        )

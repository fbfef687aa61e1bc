"""Gradient descent on a worker thread: drives the core's ``Trainer`` and emits throttled snapshots.

The worker never touches widgets or the document.  It owns its own ``FitProblem`` (its own engine
graph), so the GUI thread can keep evaluating the knobs while it runs.  Stopping is a
``threading.Event`` checked every step (a queued "stop" signal would never reach a busy loop).
Progress is throttled at the source (~30 emits a second, always including the final state), with at
most one payload in flight: the run pauses until the GUI acknowledges it, so a slow redraw means fewer,
bigger payloads, never a backlog.  Every payload is an immutable snapshot of copies.

With a train/validation split the worker also owns a validation ``FitProblem`` (built on the GUI
thread, like the training one) and the trainer evaluates it, a forward pass only, at step 1 and every
``VALIDATION_EVERY``-th step after; the payload carries those losses with their step numbers.  Measured
(tests/benchmarks/bench_validation.py: degree 5, 20 % held out, N = 20 … 10⁵): a validation pass at
every step costs 13–21 % of the steps/s on a quiet machine and up to ~35 % on a busy one, every 4th
step 3–6 %.  A run the user watches slowly (a pause after each step) validates every step.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from workbench.fitting.optimizers import make_optimizer
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import StopReason, StopRules, Trainer, TrainResult

EMIT_INTERVAL_S = 1.0 / 50.0
MAX_DRAW_WAIT_S = 0.5      # the longest a run pauses for the GUI to take in a payload
MAX_TRAJECTORY_POINTS = 4000  # per payload chunk; the view decimates further
VALIDATION_EVERY = 4       # steps between validation losses at full speed (see the module docstring)


@dataclass(frozen=True)
class RunProgress:
    """What the GUI needs to redraw: the latest knobs and the losses/trajectory since the last emit."""

    run_id: int
    step: int
    loss: float
    theta: np.ndarray
    losses: np.ndarray        # losses of the steps since the previous payload
    trajectory: np.ndarray    # knob positions since the previous payload (rows), possibly decimated
    elapsed_s: float
    val_steps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # 1-based steps …
    val_losses: np.ndarray = field(default_factory=lambda: np.empty(0))  # … and their validation losses
    # ∂L/∂θ at ``theta`` (then ``loss`` is L(θ)): the engine computed both for the step it takes from
    # there, so the window shows them without a pass of its own over every point.  None: not known.
    grad: np.ndarray | None = None


@dataclass(frozen=True)
class RunOutcome:
    """How the run ended (the core's ``TrainResult``), tagged with its run id."""

    run_id: int
    result: TrainResult


class SpeedSetting:
    """Seconds to pause after each step (0 = full speed); written by the GUI, read by the worker."""

    def __init__(self, delay_s: float = 0.0):
        self.delay_s = float(delay_s)


class PacedWorker(QObject):
    """What every background worker shares: a stop flag checked each step, and a delivery flag.

    ``delivered`` keeps at most one payload in flight: the worker clears it when it emits and waits
    for the GUI's ``acknowledge()`` before computing on (both threads need the GIL, and a queue of
    payloads growing faster than the GUI draws them starves the GUI's input, timers and Stop).
    """

    def __init__(self):
        super().__init__()
        self.stop_event = threading.Event()
        self.delivered = threading.Event()
        self.delivered.set()

    def stop(self) -> None:
        """Ask the work to end after the current step (callable from any thread)."""
        self.stop_event.set()
        self.delivered.set()

    def acknowledge(self) -> None:
        """The GUI has taken in the last payload: computing and sending resume (callable from any thread)."""
        self.delivered.set()


class FitWorker(PacedWorker):
    """Runs one gradient-descent run when its thread starts; emits ``progressed`` and ``finished``."""

    progressed = Signal(object)  # RunProgress
    finished = Signal(object)    # RunOutcome

    def __init__(self, run_id: int, problem: FitProblem, optimizer: str, lr: float, theta0: np.ndarray,
                 rules: StopRules, speed: SpeedSetting, validation: FitProblem | None = None,
                 validation_every: int | None = None):
        super().__init__()
        self.run_id = run_id
        self.speed = speed
        if validation_every is None:   # the cost matters only at full speed
            validation_every = VALIDATION_EVERY if speed.delay_s == 0 else 1
        monitor = validation.loss_at if validation is not None else None
        self.trainer = Trainer(problem.value_and_grad, make_optimizer(optimizer, lr), theta0, rules,
                               self.stop_event, monitor, validation_every)
        self.outcome: RunOutcome | None = None

    @Slot()
    def run(self) -> None:
        """Drive the trainer to its end (runs on the worker thread)."""
        started = last_emit = time.perf_counter()
        losses: list[float] = []
        trajectory: list[np.ndarray] = []
        validation: tuple[list[int], list[float]] = ([], [])
        record = None
        try:
            for record in self.trainer.run():
                losses.append(record.loss)
                if record.step > 1:        # where this step started (the run's start is known already)
                    trajectory.append(record.params_before)
                if record.val_loss is not None:
                    validation[0].append(record.step)
                    validation[1].append(record.val_loss)
                now = time.perf_counter()
                # At most one payload in flight, and none computed while the GUI takes it in: both
                # threads need the GIL, and a worker that never lets go of it (or a queue of payloads
                # growing faster than the GUI draws them) starves the GUI's input, timers and Stop.
                if now - last_emit >= EMIT_INTERVAL_S and self.delivered.is_set():
                    # The knobs this step started from, with the loss and gradient computed there: the
                    # view is one step behind the engine and exact (the final payload is the end itself).
                    self._emit(record.step, record.loss, record.params_before, losses, trajectory, now - started,
                               validation, record.grad if record.finite else None)
                    losses, trajectory, validation = [], [], ([], [])
                    self.delivered.wait(MAX_DRAW_WAIT_S)
                    last_emit = time.perf_counter()
                delay = self.speed.delay_s
                if delay > 0:
                    self.stop_event.wait(delay)
        finally:
            if record is not None:
                trajectory.append(record.params)   # where the last step ended
            result = self.trainer.result
            if result is None:  # the loop raised: keep the knobs where they were
                result = TrainResult(self.trainer.best_params, float(self.trainer.best_loss),
                                     self.trainer.steps, StopReason.STOPPED, time.perf_counter() - started,
                                     "the run failed")
            self._emit(result.steps, result.loss, result.params, losses, trajectory,
                       time.perf_counter() - started, validation)
            self.outcome = RunOutcome(self.run_id, result)
            self.finished.emit(self.outcome)

    def _emit(self, step, loss, theta, losses, trajectory, elapsed, validation, grad=None) -> None:
        self.delivered.clear()
        traj = np.array(trajectory) if trajectory else np.empty((0, theta.size))
        if len(traj) > MAX_TRAJECTORY_POINTS:
            traj = traj[np.linspace(0, len(traj) - 1, MAX_TRAJECTORY_POINTS).astype(int)]
        self.progressed.emit(RunProgress(self.run_id, int(step), float(loss), np.array(theta, copy=True),
                                         np.array(losses, dtype=np.float64), traj, float(elapsed),
                                         np.array(validation[0], dtype=np.int64),
                                         np.array(validation[1], dtype=np.float64),
                                         None if grad is None else np.array(grad, dtype=np.float64)))


class WorkerThread:
    """A parentless QObject worker and its QThread, kept referenced from start until the thread ends.

    Any worker with a ``run`` slot, a ``finished`` signal and a thread-safe ``stop()`` fits: the
    gradient-descent run, the learning-rate sweep and the optimiser race all use it.
    """

    def __init__(self, worker: QObject, name: str):
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # Direct: the GUI thread may be blocked in wait() and could not deliver a queued quit.
        worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        """Begin the work."""
        self.thread.start()

    def stop_and_wait(self, timeout_ms: int = 5000) -> bool:
        """Stop the work and wait (bounded) for its thread to end; True if it ended."""
        self.worker.stop()
        if self.thread.isRunning():
            return self.thread.wait(timeout_ms)
        return True

    @property
    def running(self) -> bool:
        """True while the worker thread is alive."""
        return self.thread.isRunning()


def RunHandle(worker: FitWorker) -> WorkerThread:  # noqa: N802 - reads as the type it makes
    """The thread of one gradient-descent run."""
    return WorkerThread(worker, f"fit-run-{worker.run_id}")

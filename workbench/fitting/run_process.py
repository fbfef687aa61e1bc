"""Gradient descent in a process of its own: the loop that turns the knobs, and the reports it sends.

Why a process and not a thread: the engine is NumPy driven from Python, so it holds the GIL for most of
a step, and so does the window while it draws.  On a thread, the run and the window took turns with one
GIL: the run reached 27–37 % of its headless speed while the window drew 21 frames a second, and letting
both compute at once made it worse (the window waited up to 5 ms for the GIL at every call into Qt, so
redraws fell to 9 a second and the event loop stalled for 0.4 s).  A process has its own interpreter and
its own GIL: the run takes one core at full speed and the window the other (tests/benchmarks/bench_gui.py).

What crosses between the processes is small and one way: the run's definition once (a ``RunRequest``; a
``FitProblem`` pickles as its data and model), then ``RunProgress`` reports (the latest knobs, and the
losses and trajectory since the previous report), then one ``RunOutcome``.  Three numbers in shared
memory go the other way, read by the loop at every step for the price of a memory read: stop, "the window
has taken in the last report", and the pause after each step the user chose (``SharedFlag``,
``SharedNumber``).

The loop sends at most ~50 reports a second and only when the window has acknowledged the previous
one, so reports never queue up however slowly the window draws; it never waits for the window: the
steps in between are carried by the next report.  The final report is always sent.

Nothing here imports Qt: ``run_gradient_descent`` is the whole loop and runs in any process or thread
(the tests drive it in-process); ``process_main`` is the worker process's entry point.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .problem import FitProblem
from .training import StopReason, StopRules, TrainResult

EMIT_INTERVAL_S = 1.0 / 50.0
MAX_TRAJECTORY_POINTS = 4000  # per report; the view decimates further
VALIDATION_EVERY = 4  # steps between validation losses at full speed (see ``RunRequest``)
PAUSE_SLICE_S = 0.01  # a paused loop looks at the stop flag this often


def run_context():
    """The multiprocessing context runs start in: a fork server where there is one (POSIX).

    The server is a small clean process, started once, that has already imported NumPy and the core, so a
    run starts in milliseconds, and forking it is safe (forking the window's own process, with Qt's
    threads in it, is not).  Elsewhere (Windows): a fresh interpreter per run.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # The launching script too (multiprocessing imports it in every child otherwise; a script that
        # starts runs needs the ``if __name__ == "__main__":`` idiom, as with any multiprocessing).
        context.set_forkserver_preload(["__main__", __name__])
        return context
    return multiprocessing.get_context("spawn")


def warm_up() -> None:
    """Start the fork server now (it imports in its own process), so the first run starts at once."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        run_context()
        from multiprocessing import forkserver

        forkserver.ensure_running()


class SharedFlag:
    """A yes/no that every process of a run sees at once: one byte of shared memory.

    Has the part of ``threading.Event``'s interface the trainer uses (``is_set``) and checking it costs a
    memory read, so the loop can look at it every step.  Made before the run's process starts and handed
    to it as an argument (how shared memory travels to a child).
    """

    def __init__(self, context=None, value: bool = False):
        self._value = (context or run_context()).RawValue(ctypes.c_bool, bool(value))

    def is_set(self) -> bool:
        return bool(self._value.value)

    def set(self) -> None:
        self._value.value = True

    def clear(self) -> None:
        self._value.value = False


class SharedNumber:
    """A float that every process of a run sees at once (the pause after each step, in seconds)."""

    def __init__(self, value: float = 0.0, context=None):
        self._value = (context or run_context()).RawValue(ctypes.c_double, float(value))

    @property
    def value(self) -> float:
        return float(self._value.value)

    @value.setter
    def value(self, value: float) -> None:
        self._value.value = float(value)


@dataclass(frozen=True)
class RunProgress:
    """What the window needs to redraw: the latest knobs and the losses/trajectory since the last report."""

    run_id: int
    step: int
    loss: float
    theta: np.ndarray
    losses: np.ndarray  # losses of the steps since the previous report
    trajectory: np.ndarray  # knob positions since the previous report (rows), possibly decimated
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


@dataclass(frozen=True)
class RunRequest:
    """Everything a run needs, sent to its process once.

    With a ``validation`` problem (the held-out points) the loop evaluates it, a forward pass only, at
    step 1 and every ``validation_every``-th step after.  Measured (tests/benchmarks/bench_validation.py:
    degree 5, 20 % held out, N = 20 … 10⁵): a validation pass at every step costs 13–21 % of the steps/s
    on a quiet machine and up to ~35 % on a busy one, every 4th step 3–6 %.
    """

    run_id: int
    problem: FitProblem
    optimizer: str
    lr: float
    theta0: np.ndarray
    rules: StopRules
    validation: FitProblem | None = None
    validation_every: int = VALIDATION_EVERY


def run_gradient_descent(
    request: RunRequest,
    send: Callable[[RunProgress], None],
    stop: SharedFlag,
    delivered: SharedFlag,
    pause: SharedNumber,
) -> RunOutcome:
    """Drive one run to its end, sending throttled ``RunProgress`` reports; returns how it ended.

    ``delivered`` is set by the receiver when it has taken in the last report; it is cleared here as each
    report goes out.  ``pause`` is read every step (the user may change it mid-run).
    """
    problem = request.problem
    monitor = request.validation.loss_at if request.validation is not None else None
    trainer = problem.trainer(
        request.optimizer, request.lr, request.theta0, request.rules, stop, monitor, request.validation_every
    )
    started = last_emit = time.perf_counter()
    losses: list[float] = []
    trajectory: list[np.ndarray] = []
    validation: tuple[list[int], list[float]] = ([], [])

    def emit(step, loss, theta, grad=None) -> None:
        delivered.clear()
        traj = np.array(trajectory) if trajectory else np.empty((0, np.size(theta)))
        if len(traj) > MAX_TRAJECTORY_POINTS:
            traj = traj[np.linspace(0, len(traj) - 1, MAX_TRAJECTORY_POINTS).astype(int)]
        send(
            RunProgress(
                request.run_id,
                int(step),
                float(loss),
                np.array(theta, copy=True),
                np.array(losses, dtype=np.float64),
                traj,
                time.perf_counter() - started,
                np.array(validation[0], dtype=np.int64),
                np.array(validation[1], dtype=np.float64),
                None if grad is None else np.array(grad, dtype=np.float64),
            )
        )

    record = None
    try:
        for record in trainer.run():
            losses.append(record.loss)
            if record.step > 1:  # where this step started (the run's start is known already)
                trajectory.append(record.params_before)
            if record.val_loss is not None:
                validation[0].append(record.step)
                validation[1].append(record.val_loss)
            now = time.perf_counter()
            pause_s = pause.value
            # A paced run (the user watching step by step) reports every step before it pauses.
            if (pause_s > 0 or now - last_emit >= EMIT_INTERVAL_S) and delivered.is_set():
                # The knobs this step started from, with the loss and gradient computed there: the view
                # is one step behind the engine and exact (the final report is the end itself).
                emit(record.step, record.loss, record.params_before, record.grad if record.finite else None)
                losses, trajectory, validation = [], [], ([], [])
                last_emit = now
            if pause_s > 0:
                _pause(pause, stop)
        failure = ""
    except Exception as exc:  # noqa: BLE001 - the run ends with the best knobs it found, and says why
        failure = f"the run failed ({type(exc).__name__}: {exc})"
    if record is not None:
        trajectory.append(record.params)  # where the last step ended
    result = trainer.result
    if result is None:  # the loop raised: keep the best knobs seen, with a note of what went wrong
        result = TrainResult(
            trainer.best_params,
            float(trainer.best_loss),
            trainer.steps,
            StopReason.STOPPED,
            time.perf_counter() - started,
            failure or "the run failed",
        )
    emit(result.steps, result.loss, result.params)
    return RunOutcome(request.run_id, result)


def _pause(pause: SharedNumber, stop: SharedFlag) -> None:
    """Sleep as long as the user's pace says, waking early when the run is stopped or the pace is
    shortened (the value is read again at every slice: a long pause must not outlive a faster setting)."""
    started = time.perf_counter()
    while not stop.is_set():
        left = pause.value - (time.perf_counter() - started)
        if left <= 0:
            return
        time.sleep(min(left, PAUSE_SLICE_S))


def process_main(connection, request: RunRequest, stop: SharedFlag, delivered: SharedFlag, pause: SharedNumber) -> None:
    """The run's process: run, send ("progress", RunProgress)… then ("finished", RunOutcome).

    Anything that goes wrong is sent as ("failed", text) rather than printed to a console nobody sees.
    """
    try:
        outcome = run_gradient_descent(
            request, lambda progress: connection.send(("progress", progress)), stop, delivered, pause
        )
        connection.send(("finished", outcome))
    except BaseException as exc:  # noqa: BLE001 - reported to the window, which decides what to show
        try:
            connection.send(("failed", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        except (OSError, ValueError):
            pass  # the window has gone: nobody to tell
    finally:
        connection.close()

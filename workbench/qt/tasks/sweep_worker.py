"""The learning-rate sweep on a worker thread: a plain QThread plus a parentless QObject (DESIGN §5).

The worker owns its own ``FitProblem`` (its own engine graph), drives the core's ``lr_sweep`` and emits
immutable ``SweepPoint``s, throttled at the source, then the ``SweepResult``.  Stopping is a
``threading.Event`` that ``lr_sweep`` checks every step.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from workbench.fitting.losses import Loss
from workbench.fitting.problem import FitProblem, Model
from workbench.fitting.sweep import SweepPoint, SweepResult, lr_sweep
from workbench.qt.tasks.worker import WorkerThread

THREAD_WAIT_MS = 5000
EMIT_INTERVAL_S = 1.0 / 30.0
WORK_SLICE_S, REST_S = 0.008, 0.002  # the sweep works 8 ms, then leaves the GIL to the GUI for 2 ms


class YieldingProblem(FitProblem):
    """A problem whose passes pause now and then, so that the GUI thread gets the GIL in good time.

    Small passes are pure Python and hold the GIL.  The GUI thread gives it up at every call into Qt
    and then waits a whole switch interval (5 ms) to get it back, so a repaint of a plot, hundreds of
    such calls, would take seconds.  A short rest after every slice of work lets it run unhindered.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._slice_started = time.perf_counter()

    def value_and_grad(self, theta):
        now = time.perf_counter()
        if now - self._slice_started >= WORK_SLICE_S:
            time.sleep(REST_S)
            self._slice_started = time.perf_counter()
        return super().value_and_grad(theta)


class SweepWorker(QObject):
    """Runs one learning-rate sweep when its thread starts; emits finished rates, then the result.

    Rates that diverge end within a few steps, so they finish in bursts: they are sent in batches at
    most ~30 times a second (the final result always carries every point).
    """

    progressed = Signal(object)  # (sweep_id, tuple of SweepPoints finished since the last emit)
    finished = Signal(object)  # (sweep_id, SweepResult)

    def __init__(
        self,
        sweep_id: int,
        x: np.ndarray,
        y: np.ndarray,
        model: Model,
        loss: Loss,
        theta0: np.ndarray,
        rates: np.ndarray,
        optimizer: str,
        steps: int,
        sigma: np.ndarray | None = None,
    ):
        super().__init__()
        self.sweep_id = sweep_id
        # The worker's own problem (its own engine graph, built on first use on the worker thread):
        # nothing is shared with the GUI thread but immutable data, model and loss.
        self.problem = YieldingProblem(x, y, model, loss, sigma=sigma)
        self.theta0 = np.array(theta0, dtype=np.float64)
        self.rates = np.array(rates, dtype=np.float64)
        self.optimizer = optimizer
        self.steps = int(steps)
        self.stop_event = threading.Event()
        self.result: SweepResult | None = None
        self.error = ""
        self._points: list[SweepPoint] = []
        self._pending: list[SweepPoint] = []
        self._last_emit = 0.0

    def stop(self) -> None:
        """Ask the sweep to end within one step (callable from any thread)."""
        self.stop_event.set()

    @Slot()
    def run(self) -> None:
        """Sweep every rate (runs on the worker thread)."""
        result = None
        try:
            result = lr_sweep(
                self.problem, self.theta0, self.rates, self.optimizer, self.steps, self.stop_event, self._on_point
            )
        except Exception as exc:  # noqa: BLE001 - reported in the view, never lost on a thread
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            if result is None:
                result = SweepResult(tuple(self._points), self.rates, stopped=True)
            self.result = result
            self.finished.emit((self.sweep_id, result))

    def _on_point(self, point: SweepPoint) -> None:
        self._points.append(point)
        self._pending.append(point)
        now = time.perf_counter()
        if now - self._last_emit >= EMIT_INTERVAL_S:
            self.progressed.emit((self.sweep_id, tuple(self._pending)))
            self._pending, self._last_emit = [], now


def SweepHandle(worker: SweepWorker) -> WorkerThread:  # noqa: N802 - reads as the type it makes
    """The thread of one learning-rate sweep."""
    return WorkerThread(worker, f"lr-sweep-{worker.sweep_id}")


class SweepControl:
    """The current sweep, stoppable by the view or when the view is destroyed without ``shutdown()``."""

    def __init__(self):
        self.handle: WorkerThread | None = None

    def shutdown(self, *_args) -> bool:
        """Stop the current sweep, if any, and wait for its thread; True if it ended (or none ran)."""
        handle, self.handle = self.handle, None
        return handle.stop_and_wait() if handle is not None else True

"""Background work for the window: gradient descent in its own process, relayed by a thread; the pacing
and thread handling every background worker shares.

A gradient-descent run computes in a process of its own (``workbench.fitting.run_process`` says why: on a
thread it shared one GIL with the window and ran at a third of its speed).  ``FitWorker`` lives on a
``QThread`` of the window's process: it starts the run's process, waits on the pipe (without the GIL)
and re-emits each report as the ``progressed`` signal, then ``finished`` with how the run ended.  So the
controller sees the same worker as before, and the worker never touches widgets or the document.

Stopping is a flag in shared memory that the run reads every step.  A step that does not end within
``STOP_GRACE_S`` of a stop (a huge network, say) is not waited for: the process is ended and the run
keeps the knobs of its last report.  A process that dies (killed, out of memory) ends the run the same
way, with a message saying so.

The sweep, the race and the file reader stay on threads (``PacedWorker``): their work is short or waits
on the disk, and the window paces them the same way, with at most one payload in flight.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from workbench.fitting.problem import FitProblem
from workbench.fitting.run_process import (
    EMIT_INTERVAL_S,
    VALIDATION_EVERY,
    RunOutcome,
    RunProgress,
    RunRequest,
    SharedFlag,
    SharedNumber,
    process_main,
    run_context,
)
from workbench.fitting.training import StopReason, StopRules, TrainResult

__all__ = [
    "EMIT_INTERVAL_S",
    "VALIDATION_EVERY",
    "RunOutcome",
    "RunProgress",
    "FitWorker",
    "SpeedSetting",
    "PacedWorker",
    "WorkerThread",
    "RunHandle",
]

MAX_DRAW_WAIT_S = 0.5  # the longest a threaded worker pauses for the GUI to take in a payload
STOP_GRACE_S = 1.0  # how long a stopped run's step may take before its process is ended
POLL_S = 0.05  # how often the relay looks at the stop flag while the run is quiet


class SpeedSetting:
    """Seconds to pause after each step (0 = full speed); written by the GUI, read by the run every step.

    Kept in shared memory so that a change reaches a run in its own process at once.
    """

    def __init__(self, delay_s: float = 0.0):
        self.shared = SharedNumber(max(0.0, float(delay_s)))

    @property
    def delay_s(self) -> float:
        return self.shared.value

    @delay_s.setter
    def delay_s(self, value: float) -> None:
        self.shared.value = value


class PacedWorker(QObject):
    """What the threaded workers share: a stop flag checked each step, and a delivery flag.

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


class FitWorker(QObject):
    """Runs one gradient-descent run in its own process when its thread starts; relays ``progressed``
    (``RunProgress``) and ends with ``finished`` (``RunOutcome``), exactly once."""

    progressed = Signal(object)  # RunProgress
    finished = Signal(object)  # RunOutcome

    def __init__(
        self,
        run_id: int,
        problem: FitProblem,
        optimizer: str,
        lr: float,
        theta0: np.ndarray,
        rules: StopRules,
        speed: SpeedSetting,
        validation: FitProblem | None = None,
        validation_every: int | None = None,
    ):
        super().__init__()
        self.run_id = run_id
        self.speed = speed
        if validation_every is None:  # the cost matters only at full speed
            validation_every = VALIDATION_EVERY if speed.delay_s == 0 else 1
        self.request = RunRequest(
            run_id,
            problem,
            optimizer,
            float(lr),
            np.array(theta0, dtype=np.float64),
            rules,
            validation,
            validation_every,
        )
        context = run_context()
        self._context = context
        self.stop_flag = SharedFlag(context)
        self.delivered = SharedFlag(context, True)
        self.outcome: RunOutcome | None = None
        self.process = None  # the run's process once started (its ``pid``, for diagnostics and tests)
        self._latest: RunProgress | None = None

    def stop(self) -> None:
        """Ask the run to end after the current step (callable from any thread)."""
        self.stop_flag.set()

    def acknowledge(self) -> None:
        """The GUI has taken in the last report: the run may send the next (callable from any thread)."""
        self.delivered.set()

    @Slot()
    def run(self) -> None:
        """Start the run's process and relay its reports until it ends (runs on the worker thread)."""
        started = time.perf_counter()
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=process_main,
            name=f"workbench-fit-run-{self.run_id}",
            args=(sender, self.request, self.stop_flag, self.delivered, self.speed.shared),
            daemon=True,
        )
        self.process = process
        outcome, why = None, ""
        try:
            process.start()
        except Exception as exc:  # noqa: BLE001 - no process (out of resources): the run ends, saying why
            why = f"the run could not start ({type(exc).__name__}: {exc})"
            process = None
        finally:
            sender.close()  # ours: the pipe then reports EOF when the run's process ends, whatever the cause
        stopped_at = None
        while process is not None:
            try:
                ready = receiver.poll(POLL_S)
                message = receiver.recv() if ready else None
            except (EOFError, OSError):
                why = why or "the run's process ended unexpectedly"
                break
            if message is not None:
                kind = message[0]
                if kind == "progress":
                    self._latest = message[1]
                    self.progressed.emit(message[1])
                elif kind == "finished":
                    outcome = message[1]
                    break
                else:  # "failed": the text of what went wrong
                    why = f"the run failed ({message[1]})"
                    break
            if self.stop_flag.is_set():
                stopped_at = stopped_at or time.perf_counter()
                if time.perf_counter() - stopped_at > STOP_GRACE_S:
                    why = "stopped in the middle of a long step"
                    break
        if process is not None:
            process.join(0.0 if why else STOP_GRACE_S)
            if process.is_alive():
                process.kill()
                process.join()
        receiver.close()
        self.outcome = outcome or self._ended_without_outcome(why, time.perf_counter() - started)
        self.finished.emit(self.outcome)

    def _ended_without_outcome(self, why: str, elapsed_s: float) -> RunOutcome:
        """The run's process did not say how it ended: keep the knobs of its last report, and say why."""
        latest = self._latest
        if latest is None:
            params, loss, steps = self.request.theta0.copy(), float("nan"), 0
        else:
            params, loss, steps = latest.theta.copy(), latest.loss, latest.step
        stopped_by_user = self.stop_flag.is_set() and why.startswith("stopped")
        return RunOutcome(
            self.run_id, TrainResult(params, loss, steps, StopReason.STOPPED, elapsed_s, "" if stopped_by_user else why)
        )


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

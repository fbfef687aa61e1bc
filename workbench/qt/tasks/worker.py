"""The threaded file reader's pacing and thread (``load_worker``): a stop flag, at most one payload in flight,
and a QThread kept referenced until it has finished.  (Every other piece of background work goes through
the task runner, ``runner.py``.)"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QThread

EMIT_INTERVAL_S = 1.0 / 50.0
MAX_DRAW_WAIT_S = 0.5  # the longest a threaded worker pauses for the GUI to take in a payload


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

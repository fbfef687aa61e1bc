"""Reading a data file off the GUI thread, with progress and cancel, so a 10⁶-row file never freezes the window.

``LoadWorker`` drives the core's ``read_table`` on a worker thread: its progress callback checks the
stop flag (the read ends within one chunk of rows, ~10 ms, of a cancel) and emits throttled progress.
``TableLoader`` is the GUI-thread side: it starts loads, keeps every worker thread referenced until the
thread has ended, ignores what an abandoned load still reports, and turns the outcome into signals.
``LoadProgress`` is a compact progress bar with a Cancel button for a status bar.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from workbench.fitting.table import DataError, Table
from workbench.fitting.table_reader import read_table
from workbench.qt.tasks.worker import PacedWorker, WorkerThread

PROGRESS_INTERVAL_S = 1.0 / 20.0
BACKGROUND_LOAD_BYTES = 1 << 20  # files this big (~25,000 rows) are read off the GUI thread


class LoadCancelled(Exception):
    """Raised inside the read by the progress callback once a cancel was asked for."""


@dataclass(frozen=True)
class LoadOutcome:
    """How one read ended: a table, or an error, or cancelled (then both are None)."""

    load_id: int
    path: str
    table: Table | None
    error: DataError | None
    elapsed_s: float

    @property
    def cancelled(self) -> bool:
        """True when the read was abandoned before it finished."""
        return self.table is None and self.error is None


class LoadWorker(PacedWorker):
    """Reads one file when its thread starts; emits ``progressed`` (throttled) and ``finished`` once."""

    progressed = Signal(int, float)  # load id, fraction done (0 to 1)
    finished = Signal(object)  # LoadOutcome

    def __init__(self, load_id: int, path: str):
        super().__init__()
        self.load_id = load_id
        self.path = path
        self._last_emit = 0.0

    @Slot()
    def run(self) -> None:
        """Read and parse the file (runs on the worker thread); never raises."""
        started = time.perf_counter()
        table = error = None
        try:
            table = read_table(self.path, progress=self._on_progress)
        except LoadCancelled:
            pass
        except DataError as exc:
            error = exc
        except MemoryError:
            error = DataError(
                "not enough memory to read the file (close other programs, or split the file)", path=self.path
            )
        except Exception as exc:  # noqa: BLE001 - a worker must always finish, and say why it failed
            error = DataError(f"unexpected error while reading the file ({type(exc).__name__}: {exc})", path=self.path)
        self.finished.emit(LoadOutcome(self.load_id, self.path, table, error, time.perf_counter() - started))

    def _on_progress(self, fraction: float) -> None:
        if self.stop_event.is_set():
            raise LoadCancelled
        now = time.perf_counter()
        if now - self._last_emit >= PROGRESS_INTERVAL_S and self.delivered.is_set():
            self._last_emit = now
            self.delivered.clear()  # at most one progress report in flight
            self.progressed.emit(self.load_id, float(fraction))


class TableLoader(QObject):
    """Loads one table at a time in the background; a new ``start`` or ``cancel`` abandons the current one.

    Exactly one of ``loaded``, ``failed`` or ``cancelled`` follows every ``start``; ``progressed``
    reports the fraction done in between.
    """

    started = Signal(str)  # path
    progressed = Signal(float)  # fraction done
    loaded = Signal(object, str)  # Table, path
    failed = Signal(object)  # DataError (file, line, column, reason)
    cancelled = Signal(str)  # path

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._active = 0
        self._path = ""
        self._threads: dict[int, WorkerThread] = {}  # every live thread, abandoned ones included
        self._unfinished: list[WorkerThread] = []  # threads that did not end in time (kept referenced)
        self.last_elapsed_s = float("nan")

    @property
    def loading(self) -> bool:
        """True from ``start`` until the outcome of that load has been reported."""
        return self._active != 0

    @property
    def path(self) -> str:
        """The file being (or last) loaded."""
        return self._path

    def threads(self) -> list[QThread]:
        """The worker threads not yet ended and cleaned up (abandoned loads included)."""
        return [handle.thread for handle in self._threads.values()]

    def start(self, path: str | os.PathLike[str]) -> None:
        """Begin reading ``path`` on a worker thread (abandoning any load in progress)."""
        self.cancel()
        load_id = next(self._ids)
        self._active, self._path = load_id, str(path)
        worker = LoadWorker(load_id, self._path)
        worker.progressed.connect(self._on_worker_progressed)
        worker.finished.connect(self._on_worker_finished)
        handle = WorkerThread(worker, f"load-{load_id}")
        self._threads[load_id] = handle
        self.started.emit(self._path)
        handle.start()

    def cancel(self) -> None:
        """Abandon the current load: its thread stops within a chunk of rows and its result is ignored."""
        if not self._active:
            return
        handle = self._threads.get(self._active)
        self._active = 0
        if handle is not None:
            handle.worker.stop()
        self.cancelled.emit(self._path)

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel and wait (bounded) for every worker thread to end (window or dialog closing)."""
        self._active = 0
        for load_id, handle in list(self._threads.items()):
            handle.stop_and_wait(timeout_ms)
            self._forget(load_id)

    @Slot(int, float)
    def _on_worker_progressed(self, load_id: int, fraction: float) -> None:
        handle = self._threads.get(load_id)
        if handle is not None:
            handle.worker.acknowledge()
        if load_id == self._active:
            self.progressed.emit(fraction)

    @Slot(object)
    def _on_worker_finished(self, outcome: LoadOutcome) -> None:
        self._forget(outcome.load_id)
        if outcome.load_id != self._active:
            return  # abandoned: its cancel was reported already
        self._active = 0
        self.last_elapsed_s = outcome.elapsed_s
        if outcome.table is not None:
            self.loaded.emit(outcome.table, outcome.path)
        elif outcome.error is not None:
            self.failed.emit(outcome.error)
        else:
            self.cancelled.emit(outcome.path)

    def _forget(self, load_id: int) -> None:
        handle = self._threads.pop(load_id, None)
        if handle is None:
            return
        if not handle.thread.wait(2000):  # it has emitted its last signal and is quitting
            self._unfinished = [h for h in self._unfinished if h.running] + [handle]  # keep it referenced
            return
        # The worker is Python's and goes with this last reference.  Not deleteLater: that posts the
        # deletion to the worker's own thread, which has ended, so it would never happen (and every file
        # read would stay in memory with its worker).
        handle.thread.deleteLater()


class LoadProgress(QWidget):
    """ "Reading file.csv… [=====  ] Cancel": shown in a status bar while a ``TableLoader`` reads."""

    def __init__(self, loader: TableLoader, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("loadProgress")
        self._loader = loader
        self.label = QLabel(objectName="loadProgressLabel")
        self.bar = QProgressBar(objectName="loadProgressBar")
        self.bar.setRange(0, 100)
        self.bar.setFixedWidth(160)
        self.bar.setToolTip("How much of the file has been read")
        self.cancel_button = QPushButton("Cancel", objectName="cancelLoadButton")
        self.cancel_button.setToolTip("Stop reading the file; the current data stays as it is")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(loader.cancel)
        loader.started.connect(self._on_loader_started)
        loader.progressed.connect(self._on_loader_progressed)
        for signal in (loader.loaded, loader.failed, loader.cancelled):
            signal.connect(self._on_loader_ended)
        self.setVisible(False)

    @Slot(str)
    def _on_loader_started(self, path: str) -> None:
        self.label.setText(f"Reading {os.path.basename(path)}…")
        self.bar.setValue(0)
        self.setVisible(True)

    @Slot(float)
    def _on_loader_progressed(self, fraction: float) -> None:
        self.bar.setValue(round(100 * fraction))

    @Slot()
    def _on_loader_ended(self) -> None:
        self.setVisible(False)

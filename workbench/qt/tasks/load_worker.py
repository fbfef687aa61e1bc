"""Reading a data file off the GUI thread, with progress and cancel, so a 10⁶-row file never freezes the window.

``TableLoader`` runs the core's ``ReadTableTask`` on a thread of the task runner (it stops within one chunk of
rows, ~10 ms, of a cancel), ignores what an abandoned load still reports, and turns the outcome into signals.
``LoadProgress`` is a compact progress bar with a Cancel button for a status bar.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from workbench.fitting.table import DataError
from workbench.qt.tasks.runner import TaskHandle, TaskRunner
from workbench.tasks.table_read import ReadProgress, ReadTableTask, TableRead

BACKGROUND_LOAD_BYTES = 1 << 20  # files this big (~25,000 rows) are read off the GUI thread


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

    def __init__(self, runner: TaskRunner, parent: QObject | None = None):
        super().__init__(parent)
        self._runner = runner
        self._handle: TaskHandle | None = None
        self._path = ""
        self.last_elapsed_s = float("nan")

    @property
    def loading(self) -> bool:
        """True from ``start`` until the outcome of that load has been reported."""
        return self._handle is not None

    @property
    def path(self) -> str:
        """The file being (or last) loaded."""
        return self._path

    def handles(self) -> list[TaskHandle]:
        """The runner's read tasks not yet ended (an abandoned one until its thread has returned)."""
        return [handle for handle in self._runner.live if isinstance(handle.task, ReadTableTask)]

    def start(self, path: str | os.PathLike[str]) -> None:
        """Begin reading ``path`` on a thread (abandoning any load in progress)."""
        self.cancel()
        self._path = str(path)
        handle = self._runner.create(ReadTableTask(self._path), "thread", name=f"read {os.path.basename(self._path)}")
        handle.progressed.connect(self._on_progressed)
        handle.finished.connect(self._on_finished)
        handle.failed.connect(self._on_failed)
        self._handle = handle
        self.started.emit(self._path)
        handle.start()

    def cancel(self) -> None:
        """Abandon the current load: its thread stops within a chunk of rows and nothing more is reported."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        handle.cancel()
        self.cancelled.emit(self._path)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel and wait (bounded) for every read's thread to end (window or dialog closing)."""
        self.cancel()
        for handle in self.handles():
            if handle.thread is not None:
                handle.thread.join(timeout_s)

    @Slot(object)
    def _on_progressed(self, progress: ReadProgress) -> None:
        self.progressed.emit(progress.fraction)

    @Slot(object)
    def _on_finished(self, outcome: TableRead) -> None:
        self._handle = None
        self.last_elapsed_s = outcome.elapsed_s
        if outcome.table is not None:
            self.loaded.emit(outcome.table, outcome.path)
        elif outcome.error is not None:
            self.failed.emit(outcome.error)

    @Slot(str)
    def _on_failed(self, why: str) -> None:
        self._handle = None
        if why.startswith("MemoryError"):
            why = "not enough memory to read the file (close other programs, or split the file)"
        else:
            why = f"unexpected error while reading the file ({why})"
        self.failed.emit(DataError(why, path=self._path))


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

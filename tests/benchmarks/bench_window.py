"""What the GUI benchmarks share: the real window built as the app builds it, an event-loop probe, waiting,
paint counting and the memory of the window's and the compute processes.

Import ``bench_setup`` before this module (it sets one BLAS thread before NumPy loads).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from workbench.fitting.data import Dataset
from workbench.qt.app import configure_application
from workbench.qt.window.main_window import MainWindow
from workbench.qt.window.session_manager import RECOVERY_ENV, SessionManager

GIB = 1024**3
MIB = 1024**2


def verdict(ok: bool) -> str:
    """How a figure compares with its target."""
    return "ok" if ok else "MISSED"


class PaintCounter(QObject):
    """Counts paint events of one widget (a redraw is a paint of the fit plot's viewport) and when the last
    one began."""

    def __init__(self, widget):
        super().__init__()
        self.count = 0
        self.last_at = 0.0
        widget.installEventFilter(self)

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Paint:
            self.count += 1
            self.last_at = time.perf_counter()
        return False


def spin(app: QApplication, seconds: float) -> None:
    """Run the event loop for ``seconds`` (timers fire, views redraw)."""
    loop = QEventLoop()
    QTimer.singleShot(max(0, round(seconds * 1000)), loop.quit)
    loop.exec()


def wait_until(app: QApplication, condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Run the event loop until ``condition()`` holds (looked at every 2 ms); fail loudly after ``timeout_s``.
    Returns the seconds it took."""
    started = time.perf_counter()
    deadline = started + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what} took longer than {timeout_s:g} s")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 2)
        time.sleep(0.001)
    return time.perf_counter() - started


def use_fresh_settings() -> str:
    """Point QSettings (and XDG_CONFIG_HOME, for a start-up subprocess) at an empty temporary folder, and
    autosave's recovery files at another.

    Every benchmark then measures the window as built, whatever layout (a dock tab raised, a panel
    closed) a user's own preferences hold, and never writes into them.  Returns the settings folder.
    """
    folder = tempfile.mkdtemp(prefix="workbench-bench-settings-")
    os.environ["XDG_CONFIG_HOME"] = folder
    os.environ.setdefault(RECOVERY_ENV, tempfile.mkdtemp(prefix="workbench-bench-recovery-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, folder)
    SessionManager.ask_unsaved_changes = lambda self: "discard"  # never a modal question in a benchmark
    return folder


def start_app() -> QApplication:
    """The QApplication, configured as the app configures it, with fresh settings."""
    app = QApplication.instance() or QApplication([os.path.basename(__file__)])
    use_fresh_settings()
    configure_application(app)
    return app


def make_dataset(n: int, seed: int = 0) -> Dataset:
    """``n`` noisy points of sin(x) on [−3, 3], sorted by x."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3.0, 3.0, n))
    y = np.sin(x) + 0.1 * rng.standard_normal(n)
    return Dataset(x, y, f"bench-{n}")


def open_window(dataset: Dataset | None = None) -> MainWindow:
    """The real window (as the app builds it) on ``dataset`` (default: the app's sample), shown and exposed."""
    window = MainWindow(dataset)
    window.show()
    QTest.qWaitForWindowExposed(window)
    return window


def close_window(app: QApplication, window: MainWindow) -> None:
    """Stop its work and close it without a question."""
    window.shutdown()
    window.session_manager.mark_clean()  # no unsaved-changes prompt in a benchmark (edits and settings)
    window.close()
    window.deleteLater()
    app.processEvents()


def facts_ready(window: MainWindow) -> bool:
    """True when the document knows the facts of its current state (always, for small data)."""
    return not window.document.pending and not window.facts_controller.busy


def run_button_idle(window: MainWindow) -> bool:
    """True when the Run button says Run again (no run in progress)."""
    return not window.document.running and window.run_controls.run_button.text() == "Run gradient descent"


def memory_mib(pid: int | str = "self") -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` (peak resident) of a process, in MiB, from /proc (Linux)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024.0
    return values


def reset_peak_memory(pid: int | str = "self") -> bool:
    """Start ``VmHWM`` afresh at the current resident size (Linux: "5" into /proc/PID/clear_refs), so that the
    peak read later belongs to what happened since; False where that is not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def compute_pids(window: MainWindow) -> list[int]:
    """The pids of the window's live compute processes."""
    return [worker.pid for worker in window.runner.pool.processes]


def summary_ms(values: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (ms) of durations in seconds."""
    ms = np.asarray(values) * 1000.0
    return float(statistics.median(ms)), float(np.percentile(ms, 95))

"""Shared pieces of the stress tests (tests/gui/test_stress_*.py): sizes, thread checks, every view drawn.

Each stress test has a short version, run by the plain ``python -m pytest`` (CI), and a long one marked
``slow``, run by ``python -m pytest -m slow`` or with ``WORKBENCH_STRESS=long`` (see tests/conftest.py).
An exception in a slot or a Qt virtual method fails the test through pytest-qt's exception capture,
and a Qt warning through ``qt_log_level_fail``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QDockWidget
from stress_sizes import sizes  # noqa: F401 - re-exported for the GUI stress tests


def compute_processes() -> list[int]:
    """The live compute processes started by this process (``workbench.tasks.worker_process``)."""
    me, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == me and fields[0] != "Z" and b"workbench.tasks.worker_process" in command:
            found.append(int(entry.name))
    return found


def assert_no_background_work(qtbot, baseline_threads: int, timeout_ms: int = 5000) -> None:
    """No Python thread beyond ``baseline_threads``, no busy QThreadPool thread and no compute process remain."""
    pool = QThreadPool.globalInstance()
    qtbot.waitUntil(
        lambda: (
            threading.active_count() <= baseline_threads and pool.activeThreadCount() == 0 and not compute_processes()
        ),
        timeout=timeout_ms,
    )
    assert threading.active_count() == baseline_threads, [t.name for t in threading.enumerate()]
    assert not compute_processes()  # (gradient descent computes in a process of its own)


def assert_run_thread_gone(qtbot, handle) -> None:
    """A finished run's task has ended: its process answered (or was ended) and the runner let it go."""
    assert not handle.running
    qtbot.waitUntil(lambda: handle.done, timeout=3000)


DOCKS = (
    "dataDock",
    "modelDock",
    "knobDock",
    "lossDock",
    "surfaceDock",
    "compareDock",
    "graphDock",
    "conditioningDock",
    "raceDock",
    "gradCheckDock",
    "reportDock",
)


def render_every_view(window, qtbot) -> None:
    """Raise every dock (so each tab is the visible one once) and paint the whole window each time.

    ``grab`` paints every visible widget synchronously: a view that fails to draw raises here (or, in
    a paint event, is caught by pytest-qt's exception capture and fails the test).
    """
    for name in DOCKS:
        dock = window.findChild(QDockWidget, name)
        assert dock is not None, name
        dock.show()
        dock.raise_()
        QApplication.processEvents()
        image = window.grab()
        assert not image.isNull(), name


def assert_finite_knobs(window) -> None:
    theta = window.document.theta
    assert np.all(np.isfinite(theta)), theta

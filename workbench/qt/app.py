"""Start the desktop app: one QApplication, one main window, a sample dataset already loaded."""

from __future__ import annotations

import ctypes
import sys
from functools import partial

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from workbench import __version__
from workbench.desktop import APP_ID, ORGANIZATION_DOMAIN
from workbench.fitting.data import DataError
from workbench.paths import default_sample
from workbench.qt.app_state.preferences import apply_saved_look, apply_saved_theme
from workbench.qt.binding_check import binding_fault
from workbench.qt.style.icons import app_icon
from workbench.qt.window.main_window import MainWindow, is_big_file, load_initial_dataset

GIL_SWITCH_INTERVAL_S = 0.001
M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc's malloc.h)
BIG_BLOCK_BYTES = 4 * 1024 * 1024  # blocks this big or bigger are mapped on their own and unmapped when freed
WARM_UP_DELAY_MS = 300  # the first compute process starts this long after the window appears


def set_application_names() -> None:
    """The names QSettings files its preferences under, the version shown by Qt, and the desktop entry
    the window belongs to (Wayland compositors find the window's icon and name through it)."""
    QCoreApplication.setOrganizationName("CurveFitterWorkbench")
    QCoreApplication.setOrganizationDomain(ORGANIZATION_DOMAIN)
    QCoreApplication.setApplicationName("Curve Fitter Workbench")
    QCoreApplication.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName(APP_ID)


def release_big_blocks_promptly() -> None:
    """Have glibc's malloc give every block of ``BIG_BLOCK_BYTES`` or more its own mapping (Linux only).

    By default glibc raises its mmap threshold to the size of each mapped block freed (up to 32 MiB), so
    once a dataset's arrays are freed the next ones of that size come from the heap, where fragments stay
    resident: opening and closing 10⁶ points twenty times grew the window's RSS by 44 MiB, against 12 MiB
    with a fixed threshold (tests/benchmarks/bench_memory.py).  Arrays that big are few in the window's
    process (the run computes in its own), so mapping each one costs nothing noticeable.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, BIG_BLOCK_BYTES)
    except (OSError, AttributeError):
        pass  # another C library (musl): it has no such threshold to tune


def configure_application(app: QApplication) -> None:
    """Names for QSettings, the app icon, the saved theme (palette, style sheet, pyqtgraph's colours), the
    saved look (text size, presentation mode), and a GIL fair to the GUI thread.

    A worker thread computing in Python (the learning-rate sweep, the optimiser race; gradient descent
    has a process of its own) holds the GIL; each time the GUI thread comes back from Qt it waits
    for it up to the switch interval (5 ms by default), and a redraw crosses into Qt hundreds of times.
    At 1 ms the window's timers keep a ~11 ms median instead of ~37 ms during a full-speed run, for
    about a fifth of the worker's speed (measured with a 10 ms QTimer probe).
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    release_big_blocks_promptly()
    set_application_names()
    app.setWindowIcon(app_icon())
    pg.setConfigOptions(antialias=True)
    apply_saved_theme(app)  # after the names: the preference lives in QSettings
    apply_saved_look(app)  # the text size and presentation mode, before any window is built


def create_main_window(argv: list[str]) -> MainWindow:
    """The window with the file from ``argv`` (or the default sample); a bad file leaves a notice.

    A ``.json`` file is a saved session: the window opens it over the sample (a bad one leaves a notice).
    A data file of 1 MiB or more is read in the background after the window appears.
    """
    if argv and str(argv[0]).lower().endswith(".json"):
        window = MainWindow(load_initial_dataset(default_sample())[0])
        window.session_manager.open_path(argv[0])
        return window
    if argv and is_big_file(argv[0]):
        # Read in the background once the window is up (progress and Cancel in the status bar), not
        # before it appears: 10⁶ rows take over a second to parse.  The sample shows meanwhile.
        window = MainWindow(load_initial_dataset(default_sample())[0])
        QTimer.singleShot(0, partial(window.open_path, argv[0], at_launch=True))
        return window
    path = argv[0] if argv else default_sample()
    dataset, error = load_initial_dataset(path)
    if dataset is None and argv:
        dataset, _ = load_initial_dataset(default_sample())
    try:
        window = MainWindow(dataset)
    except DataError as exc:  # numbers no fit can compute with (workbench.fitting.computable)
        window, error = MainWindow(load_initial_dataset(default_sample())[0]), f"Could not open {path}: {exc}"
    if error:
        message = error + " — showing the sample dataset instead."
        QTimer.singleShot(0, lambda: window.controller.notice.emit("error", message))
    return window


def run_app(argv: list[str]) -> int:
    """Run the event loop until the window closes; returns the exit code."""
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    fault = binding_fault()
    if fault is not None:  # the window would abort after a few dozen redraws: say why and what to install
        print(f"error: {fault}", file=sys.stderr)
        return 2
    configure_application(app)
    window = create_main_window([a for a in argv if not a.startswith("-")])
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    QTimer.singleShot(0, window.session_manager.offer_recovery)  # after a crash: offer the unsaved work
    # Gradient descent, races and sweeps compute in processes of their own (workbench.tasks.worker_process):
    # start the first once the window is up, so that the first Run starts at once and start-up does not wait.
    QTimer.singleShot(WARM_UP_DELAY_MS, window.runner.warm_up)
    return app.exec()

"""Start the desktop app: one QApplication, one main window, a sample dataset already loaded."""

from __future__ import annotations

import sys

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from workbench import __version__
from workbench.paths import default_sample, resources_dir

from .main_window import MainWindow, load_initial_dataset


GIL_SWITCH_INTERVAL_S = 0.001


def configure_application(app: QApplication) -> None:
    """Names for QSettings, the app icon, pyqtgraph's global look, and a GIL fair to the GUI thread.

    A worker computing in Python holds the GIL; each time the GUI thread comes back from Qt it waits
    for it up to the switch interval (5 ms by default), and a redraw crosses into Qt hundreds of times.
    At 1 ms the window's timers keep a ~11 ms median instead of ~37 ms during a full-speed run, for
    about a fifth of the worker's speed (measured with a 10 ms QTimer probe).
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    QCoreApplication.setOrganizationName("CurveFitterWorkbench")
    QCoreApplication.setApplicationName("Curve Fitter Workbench")
    QCoreApplication.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resources_dir() / "app_icon.svg")))
    style = resources_dir() / "style.qss"
    if style.is_file():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    pg.setConfigOptions(antialias=True, background="w", foreground="k")


def create_main_window(argv: list[str]) -> MainWindow:
    """The window with the file from ``argv`` (or the default sample); a bad file leaves a notice."""
    path = argv[0] if argv else default_sample()
    dataset, error = load_initial_dataset(path)
    if dataset is None and argv:
        dataset, _ = load_initial_dataset(default_sample())
    window = MainWindow(dataset)
    if error:
        message = error + " — showing the sample dataset instead."
        QTimer.singleShot(0, lambda: window.controller.notice.emit("error", message))
    return window


def run_app(argv: list[str]) -> int:
    """Run the event loop until the window closes; returns the exit code."""
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    configure_application(app)
    window = create_main_window([a for a in argv if not a.startswith("-")])
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    return app.exec()

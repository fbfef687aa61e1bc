"""``workbench.show``: the main window opened from a script, a notebook or another Qt program.

Whoever runs the Qt event loop decides whether ``show`` blocks.  When a QApplication exists already
(Jupyter after ``%gui qt``, an app of the caller's, pytest-qt), its loop is running or about to run, so
the window opens and ``show`` returns it at once; the window is kept alive until it is closed even if
the caller drops it.  Otherwise ``show`` makes the QApplication and runs the loop until the window is
closed, as the ``workbench`` command does.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from workbench.fitting.data import DataError, Dataset
from workbench.paths import default_sample
from workbench.qt.app import WARM_UP_DELAY_MS, configure_application
from workbench.qt.binding_check import binding_fault
from workbench.qt.window.main_window import MainWindow, load_initial_dataset

_open_windows: set[MainWindow] = set()  # windows shown without blocking: alive until closed


def show_window(dataset: Dataset | None, block: bool | None = None) -> MainWindow:
    """Open the window on ``dataset`` (None: the sample); block until it closes when ``block`` says so
    (None: block only when no QApplication existed before).  Returns the window."""
    app = QApplication.instance()
    if app is not None and not isinstance(app, QApplication):
        raise RuntimeError(
            f"a {type(app).__name__} is running, but the window needs a QApplication (Qt widgets): "
            "in Jupyter, run %gui qt before the first Qt import"
        )
    created = app is None
    if created:
        app = QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "workbench"])
    if block is None:
        block = created
    fault = binding_fault()
    if fault is not None:
        raise RuntimeError(fault)
    configure_application(app)
    if dataset is None:
        dataset = load_initial_dataset(default_sample())[0]
    try:
        window = MainWindow(dataset)
    except DataError as exc:  # numbers no fit can compute with (workbench.fitting.computable)
        raise ValueError(str(exc)) from None
    window.show()
    QTimer.singleShot(WARM_UP_DELAY_MS, window.runner.warm_up)  # the first Run then starts at once
    if block:
        app.aboutToQuit.connect(window.shutdown)
        app.exec()
        return window
    # Deleted when closed (its data with it: a notebook lives long), and held until then.
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open_windows.add(window)
    window.destroyed.connect(lambda _obj=None, w=window: _open_windows.discard(w))
    return window

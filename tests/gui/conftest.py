"""Shared set-up for the pytest-qt tests of the real windows (``qtbot`` comes from pytest-qt)."""

from __future__ import annotations

import gc

import pytest

# Qt's offscreen platform plugin (headless CI) warns whenever a top-level window with size limits is
# shown; it says nothing about our code, and qt_log_level_fail would otherwise fail every such test.
OFFSCREEN_NOISE = r"^This plugin does not support propagateSizeHints\(\)$"


def pytest_collection_modifyitems(items):
    """Ignore the offscreen plugin's noise in every GUI test that does not set its own qt_log_ignore."""
    for item in items:
        if "tests/gui/" in item.nodeid.replace("\\", "/") and item.get_closest_marker("qt_log_ignore") is None:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def make_main_window(qtbot):
    """Build the real ``MainWindow`` as the app does; at teardown stop its threads and close it.

    ``make_main_window()`` opens the default sample, ``make_main_window(argv=[path])`` a file (as the
    command line would), ``make_main_window(dataset=...)`` a given ``Dataset``.  The window is shown,
    exposed and active (keyboard shortcuts need an active window) unless ``show=False``.
    ``configure_application`` changes process-wide looks (style sheet, pyqtgraph colours); they are put
    back afterwards so that other tests see what they always saw.
    """
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from workbench.qt.app import configure_application, create_main_window
    from workbench.qt.window.main_window import MainWindow

    app = QApplication.instance()
    saved_style = app.styleSheet()
    saved_pg = {key: pg.getConfigOption(key) for key in ("antialias", "background", "foreground")}
    windows: list[MainWindow] = []

    def shut_down(window: MainWindow) -> None:
        window.shutdown()

    def factory(argv: list[str] | None = None, dataset=None, show: bool = True) -> MainWindow:
        configure_application(app)
        window = MainWindow(dataset) if dataset is not None else create_main_window(list(argv or []))
        qtbot.addWidget(window, before_close_func=shut_down)
        windows.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
            window.activateWindow()
            qtbot.waitUntil(window.isActiveWindow)
        return window

    yield factory
    for window in windows:
        shut_down(window)
        window.close()
    app.setStyleSheet(saved_style)
    pg.setConfigOptions(**saved_pg)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, qapp, monkeypatch):
    """Every GUI test reads and writes its own empty QSettings, never the user's real preferences.

    ``QSettings()`` (what the app uses) opens the default format's file under the user-scope path; both
    are pointed into the test's tmp_path (system scope too, so no machine-wide file leaks in), and so is
    XDG_CONFIG_HOME, where Qt on Linux puts them in an app launched by a test as a subprocess.  The theme
    a test may switch to is put back afterwards: palette and colour-scheme override are process-wide.
    """
    from PySide6.QtCore import QSettings

    from workbench.qt.app import set_application_names

    set_application_names()  # the names the app files its settings under, before a test writes any
    folder = str(tmp_path / "settings")
    monkeypatch.setenv("XDG_CONFIG_HOME", folder)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, folder)
    palette = qapp.palette()
    yield folder
    if qapp.palette() != palette:  # (setting it anyway sends every widget still alive a palette change)
        qapp.setPalette(palette)
    reset_look(qapp)
    hints = qapp.styleHints()
    if hasattr(hints, "unsetColorScheme"):
        hints.unsetColorScheme()


def reset_look(qapp) -> None:
    """The usual text size and no presentation mode: the application font is process-wide."""
    from workbench.qt.style.look import look_manager

    manager = look_manager(qapp)
    manager.set_presentation(False)
    manager.set_text_size(100)


LAPTOP_SCREEN = (1366, 768)  # the available screen every GUI test's window opens on, unless it says otherwise


@pytest.fixture(autouse=True)
def laptop_screen(monkeypatch):
    """Windows open as on a 1366×768 laptop (the offscreen platform's own screen is 800×800).

    ``laptop_screen(width, height)`` emulates another available screen size for the windows made after.
    """
    from PySide6.QtCore import QRect

    from workbench.qt.window import screen

    def emulate(width: int, height: int) -> None:
        monkeypatch.setattr(screen, "available_geometry", lambda window=None: QRect(0, 0, width, height))

    emulate(*LAPTOP_SCREEN)
    return emulate


@pytest.fixture(autouse=True)
def quiet_sessions(tmp_path, monkeypatch):
    """Autosave writes into the test's tmp_path, and the session prompts never open a modal dialog.

    A window closed with unsaved changes is discarded and a recovery file is never restored, unless a
    test replaces these answers itself (``monkeypatch.setattr(SessionManager, "ask_…", …)``).
    """
    from workbench.qt.window.session_manager import RECOVERY_ENV, SessionManager

    monkeypatch.setenv(RECOVERY_ENV, str(tmp_path / "recovery"))
    monkeypatch.setattr(SessionManager, "ask_unsaved_changes", lambda self: "discard")
    monkeypatch.setattr(SessionManager, "ask_restore_recovery", lambda self, path, when: False)
    return tmp_path / "recovery"


@pytest.fixture(scope="session", autouse=True)
def frozen_baseline(qapp):
    """Everything imported before the first GUI test is moved out of the garbage collector's sight.

    The modules, classes and constants of PySide6, pyqtgraph, NumPy and the app (~80,000 objects) live
    until the end; without this every full collection walks them again, after each of hundreds of tests.
    """
    import workbench.qt.window.main_window  # noqa: F401 - imported for what it imports

    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def collect_qt_garbage(qapp, frozen_baseline):
    """Collect reference cycles holding Qt wrappers after every GUI test, while the QApplication lives.

    Left for the interpreter's final collection (pytest runs gc at exit), a cycle holding a wrapper of
    a widget Qt has already deleted segfaults the whole run after every test has passed.
    """
    from PySide6.QtCore import QCoreApplication, QEvent

    yield
    qapp.processEvents()
    gc.collect()  # while the widgets live: a wrapper collected after its scene's items were freed segfaults
    # The windows pytest-qt closed are deleted now (deleteLater waits for an event loop, which the next
    # test would only run after building its own window): a process-wide change of palette or style sheet
    # made then reached every widget of the closed windows too, and once crashed a worker doing so.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)

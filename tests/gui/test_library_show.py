"""`workbench.show` from a script or a notebook, and what the app tells the desktop about itself."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

import workbench
from workbench.desktop import APP_ID, ORGANIZATION_DOMAIN
from workbench.qt import show as show_module


@pytest.fixture
def restore_looks(qapp):
    """``show`` configures the application as the app does (style sheet, pyqtgraph colours): put them back."""
    style = qapp.styleSheet()
    options = {key: pg.getConfigOption(key) for key in ("antialias", "background", "foreground")}
    yield
    qapp.setStyleSheet(style)
    pg.setConfigOptions(**options)


def test_with_an_event_loop_running_show_returns_the_window_at_once(qapp, qtbot, restore_looks):
    x = np.linspace(0.0, 2.0, 12)
    window = workbench.show(x, x**2, sigma=np.full(12, 0.1), name="squares")
    try:
        qtbot.waitExposed(window)
        assert window.isVisible() and window in show_module._open_windows
        data = window.document.dataset
        assert np.array_equal(data.x, x) and np.array_equal(data.y, x**2) and data.name == "squares"
        assert np.array_equal(data.sigma, np.full(12, 0.1))
    finally:
        window.close()
    qtbot.waitUntil(lambda: not show_module._open_windows)  # closed: deleted and let go


def test_show_refuses_bad_points_before_opening_anything(qapp):
    with pytest.raises(ValueError, match="x has 3 values but y has 2"):
        workbench.show([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="give both x and y"):
        workbench.show([1, 2, 3])
    assert not show_module._open_windows


def test_from_a_plain_script_show_blocks_until_the_window_closes(tmp_path):
    script = textwrap.dedent("""
        import sys, time
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        import workbench

        def close_it():
            (window,) = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]
            print("shown", window.isVisible(), window.document.dataset.n, flush=True)
            window.close()

        QTimer.singleShot(0, lambda: QTimer.singleShot(300, close_it))  # runs only inside show's event loop
        started = time.monotonic()
        window = workbench.show([0.0, 1.0, 2.0, 3.0], [1.0, 0.5, 2.0, 2.5])
        print("returned", window.isVisible(), flush=True)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env["WORKBENCH_RECOVERY_DIR"] = str(tmp_path / "recovery")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["shown True 4", "returned False"], result.stdout + result.stderr


def test_the_app_names_its_desktop_entry_and_domain(make_main_window):
    make_main_window(show=False)
    assert QGuiApplication.desktopFileName() == APP_ID
    assert QCoreApplication.organizationDomain() == ORGANIZATION_DOMAIN
    assert QCoreApplication.applicationVersion() == workbench.__version__


def test_the_about_box_shows_the_version(make_main_window, monkeypatch):
    window = make_main_window(show=False)
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda _parent, title, text: shown.append((title, text)))
    window.findChild(type(window.menuBar().actions()[0]), "aboutAction").trigger()
    ((title, text),) = shown
    assert title == "About Curve Fitter Workbench" and f"Curve Fitter Workbench</b> {workbench.__version__}" in text

"""Presentation mode (View › Presentation mode) and the window's part of the look.

Presentation mode is for the back row of a classroom: text ``PRESENTATION_TEXT`` times bigger, thicker
lines, bigger markers, the colour-blind-safe palette, and the Lesson layout.  Leaving it puts back the
preset used before.  It is a preference too: the next launch starts as this one was left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from workbench.qt.app_state.preferences import Preferences
from workbench.qt.style.look import Look, look_manager
from workbench.qt.style.plot_look import restyle_plots_for_look
from workbench.qt.style.themes import restyle_plots, theme_manager

if TYPE_CHECKING:
    from .main_window import MainWindow
    from .presets import LayoutPresets

SHORTCUT = "Ctrl+Shift+P"
RESTYLE_DELAY_MS = 250
TIP = (
    "Readable from the back row: text 1.6× bigger, thicker lines, bigger markers, colour-blind-safe colours, "
    "and the Lesson layout"
)


class PresentationMode(QObject):
    """The checkable View › Presentation mode action, its preference, and the layout that goes with it."""

    def __init__(self, window: MainWindow, presets: LayoutPresets, prefs: Preferences | None = None):
        super().__init__(window)
        self.setObjectName("presentationMode")
        self._window, self._presets = window, presets
        self._prefs = prefs or Preferences()
        self._before: str | None = None  # the preset to go back to
        self.action = QAction("&Presentation mode", window, checkable=True)
        self.action.setObjectName("presentationAction")
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setToolTip(f"{TIP} ({SHORTCUT})")
        self.action.setStatusTip(TIP)
        self.action.setChecked(look_manager().look.presentation)
        self.action.toggled.connect(self.set_on)
        look_manager().changed.connect(self._on_look_changed)
        # Views add plot items as the document changes (a run's curve, a snapshot): restyle them too, at
        # most a few times a second, and only when the look differs from the usual one in lines and markers.
        self._restyle_timer = QTimer(self, singleShot=True, interval=RESTYLE_DELAY_MS)
        self._restyle_timer.timeout.connect(self.restyle)
        doc = window.document
        for signal in (doc.modelChanged, doc.runChanged, doc.snapshotsChanged, doc.trailChanged, doc.raceChanged):
            signal.connect(self._schedule_restyle)

    @property
    def on(self) -> bool:
        """True while presentation mode is on."""
        return look_manager().look.presentation

    @Slot(bool)
    def set_on(self, on: bool) -> None:
        """Switch presentation mode on (bigger everything, the Lesson layout) or off (the layout before)."""
        self._prefs.set("presentation", bool(on))
        was = self.on
        look_manager().set_presentation(on)
        if on and not was:
            self._before = self._presets.current
            self._presets.apply("lesson")
        elif was and not on:
            self._presets.apply(self._before or self._presets.current)
            self._before = None
        status = "Presentation mode: on (Ctrl+Shift+P to leave)" if on else "Presentation mode: off"
        self._window.statusBar().showMessage(status, 6000)

    @Slot()
    def restyle(self) -> None:
        """Give the window's plots the look in effect (and their dark curves' halos the new widths), and its
        panels' titles the look's text size."""
        restyle_plots_for_look(self._window, look_manager().look)
        theme_manager().restyle(self._window)
        size_dock_titles(self._window)

    def restyle_new(self, widget: QWidget) -> None:
        """Give the plots of a panel built after the window (lazy_panel.py) the look and theme in effect."""
        restyle_plots_for_look(widget, look_manager().look)
        restyle_plots(widget, theme_manager().scheme)

    @Slot()
    def _schedule_restyle(self) -> None:
        if look_manager().look.presentation and not self._restyle_timer.isActive():
            self._restyle_timer.start()

    @Slot(object)
    def _on_look_changed(self, look: Look) -> None:
        if self.action.isChecked() != look.presentation:
            self.action.blockSignals(True)
            self.action.setChecked(look.presentation)
            self.action.blockSignals(False)
        self.restyle()


def size_dock_titles(window: MainWindow) -> None:
    """Draw the panels' titles at the look's text size.

    Qt draws a dock's title in a font fixed when the dock was made, unless the dock's own font differs from
    the one its class gets by default: so the class gets the system's font and each dock the look's.
    (The application font set by the look clears every class font, hence again at each change.)
    """
    app = QApplication.instance()
    QApplication.setFont(look_manager().base_font, "QDockWidget")
    for dock in window.findChildren(QDockWidget):
        dock.setFont(app.font())

"""The window on its screen: opened at the size the screen has room for, never bigger.

A 1366×768 laptop or a 1280×720 projector leaves no pixel to waste: the window takes the screen's
*available* geometry (without task bars and docks), and once shown, gives back what the window frame
takes on top, so that the title bar and the bottom edge both stay on screen.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QWidget

FALLBACK = QRect(0, 0, 1366, 768)  # with no screen at all (never on a desktop)


def available_geometry(window: QWidget | None = None) -> QRect:
    """The part of ``window``'s screen (or the primary one) that windows may use."""
    screen = window.screen() if window is not None else None
    screen = screen or QGuiApplication.primaryScreen()
    return QRect(screen.availableGeometry()) if screen is not None else QRect(FALLBACK)


def fit_to_screen(window: QMainWindow) -> QRect:
    """Give ``window`` the screen's available geometry; returns it.  Call before the window is shown (the
    frame is taken back by ``keep_inside_screen`` once it is)."""
    area = available_geometry(window)
    window.setGeometry(area)
    return area


def keep_inside_screen(window: QMainWindow) -> None:
    """Shrink and move ``window`` so that its frame (title bar included) lies within the available area."""
    area = available_geometry(window)
    frame = window.frameGeometry()
    extra_w = max(0, frame.width() - area.width())
    extra_h = max(0, frame.height() - area.height())
    if extra_w or extra_h:
        window.resize(window.width() - extra_w, window.height() - extra_h)
    frame = window.frameGeometry()
    if not area.contains(frame):
        # Never above or left of the area, even when the window cannot shrink enough: its title bar stays.
        window.move(
            max(area.x(), min(frame.x(), area.right() - frame.width() + 1)),
            max(area.y(), min(frame.y(), area.bottom() - frame.height() + 1)),
        )


def keep_inside_screen_when_shown(window: QMainWindow) -> None:
    """``keep_inside_screen`` once the window manager has framed the window (the next event-loop turns)."""
    QTimer.singleShot(0, window, lambda: keep_inside_screen(window))

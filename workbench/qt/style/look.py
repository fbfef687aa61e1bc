"""How big and in which colours the window draws: one style state that every view reads.

A ``Look`` is plain data: the text scale (the Preferences' text size, times ``PRESENTATION_TEXT`` in
presentation mode), how lines and markers grow, and the palette of the roles a lesson tells apart (the
knob arrows' two directions, the current curve, the residuals, the ghost curves).  The ``LookManager`` holds
the application's one look, applies its text scale to the application font (so every widget that does not
choose its own font follows, independent of the system's DPI) and emits ``changed`` so that the views that
draw text, lines or colours of their own redraw with it.  Plots are restyled generically by
``workbench.qt.style.plot_look``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication

MIN_TEXT_SIZE, MAX_TEXT_SIZE = 70, 250  # the Preferences' text size, percent of the system's font
PRESENTATION_TEXT = 1.6  # presentation mode multiplies the text size by this
PRESENTATION_MIN_LINE = 2.5  # every data line at least this wide (px) in presentation mode
PRESENTATION_LINE = 1.5  # … and every line this much wider than usual
PRESENTATION_MARKER = 1.5  # markers this much bigger


@dataclass(frozen=True)
class Palette:
    """The colours of the roles a lesson tells apart (RGB tuples)."""

    turn_up: tuple[int, int, int]  # knob arrow: turning the knob up lowers the loss
    turn_down: tuple[int, int, int]  # … turning it down does
    curve: tuple[int, int, int]  # the current curve
    points: tuple[int, int, int]  # the data points
    residual: tuple[int, int, int]  # residual segments and squares
    exact: tuple[int, int, int]  # the exact optimum's ghost curve
    manual: tuple[int, int, int]  # the best manual fit
    gd: tuple[int, int, int]  # the gradient-descent result
    pull: tuple[int, int, int]  # the pull arrows (−∂L/∂ŷ)


# The app's usual colours.  The knob arrows differ in shape too (see GradientBar), never by colour alone.
STANDARD = Palette(
    turn_up=(30, 110, 200),
    turn_down=(215, 110, 20),
    curve=(20, 60, 160),
    points=(40, 110, 220),
    residual=(220, 60, 60),
    exact=(40, 170, 80),
    manual=(230, 140, 20),
    gd=(150, 80, 200),
    pull=(230, 120, 0),
)
# Okabe and Ito's palette, distinguishable with every common colour-vision deficiency; identity is also
# carried by line style (the ghost curves are dashed, dash-dotted and dotted) and direction by shape.
COLOUR_BLIND_SAFE = Palette(
    turn_up=(0, 114, 178),  # blue
    turn_down=(213, 94, 0),  # vermillion
    curve=(0, 84, 147),  # a darker blue
    points=(86, 180, 233),  # sky blue
    residual=(213, 94, 0),  # vermillion
    exact=(0, 158, 115),  # bluish green
    manual=(230, 159, 0),  # orange
    gd=(204, 121, 167),  # reddish purple
    pull=(230, 159, 0),  # orange
)


@dataclass(frozen=True)
class Look:
    """The window's sizes and colours: text scale, line and marker growth, palette."""

    text_size: int = 100  # the Preferences' text size, percent of the system's font
    presentation: bool = False  # presentation mode: bigger text, lines and markers, the colour-blind-safe palette

    @property
    def text_scale(self) -> float:
        """Factor on every font size: the text size, times ``PRESENTATION_TEXT`` in presentation mode."""
        return self.text_size / 100 * (PRESENTATION_TEXT if self.presentation else 1.0)

    @property
    def palette(self) -> Palette:
        """The colours of the lesson's roles."""
        return COLOUR_BLIND_SAFE if self.presentation else STANDARD

    def line(self, width: float) -> float:
        """The width to draw a line the views draw ``width`` px wide normally."""
        if not self.presentation:
            return width
        return max(PRESENTATION_MIN_LINE, width * PRESENTATION_LINE)

    def marker(self, size: float) -> float:
        """The size to draw a marker the views draw ``size`` px normally."""
        return size * (PRESENTATION_MARKER if self.presentation else 1.0)

    def points(self, size: float) -> float:
        """A font size in points, for a view that draws text ``size`` pt at the usual text size."""
        return size * self.text_scale

    def colour(self, role: str, alpha: int = 255) -> QColor:
        """The palette's colour of ``role`` (a field of ``Palette``) as a QColor."""
        return QColor(*getattr(self.palette, role), alpha)


class LookManager(QObject):
    """The application's look: applies the text scale to the application font and says when it changes."""

    changed = Signal(object)  # the new Look

    def __init__(self, app: QApplication):
        super().__init__(app)
        self.setObjectName("lookManager")
        self._app = app
        self._base_font = QFont(app.font())  # the system's font: the text size is relative to it
        self._look = Look()

    @property
    def look(self) -> Look:
        """The look in effect."""
        return self._look

    @property
    def base_font(self) -> QFont:
        """The system's application font, before any text size was applied."""
        return QFont(self._base_font)

    def set_text_size(self, percent: int) -> None:
        """Draw text at ``percent`` of the system's size (ValueError outside the Preferences' range)."""
        if not MIN_TEXT_SIZE <= int(percent) <= MAX_TEXT_SIZE:
            raise ValueError(f"text size {percent}% is outside {MIN_TEXT_SIZE}–{MAX_TEXT_SIZE}%")
        self._set(replace(self._look, text_size=int(percent)))

    def set_presentation(self, on: bool) -> None:
        """Switch presentation mode on or off."""
        self._set(replace(self._look, presentation=bool(on)))

    def _set(self, look: Look) -> None:
        if look == self._look:
            return
        self._look = look
        font = QFont(self._base_font)
        if font.pointSizeF() > 0:
            font.setPointSizeF(self._base_font.pointSizeF() * look.text_scale)
        else:  # a font sized in pixels
            font.setPixelSize(max(1, round(self._base_font.pixelSize() * look.text_scale)))
        self._app.setFont(font)
        if self._app.styleSheet():  # widgets polished by a style sheet keep their font until repolished
            self._app.setStyleSheet(self._app.styleSheet())
        self.changed.emit(look)


_MANAGER: LookManager | None = None


def look_manager(app: QApplication | None = None) -> LookManager:
    """The application's one LookManager (created on first use)."""
    global _MANAGER
    app = app or QApplication.instance()
    if _MANAGER is None or not shiboken6.isValid(_MANAGER) or _MANAGER.parent() is not app:
        _MANAGER = LookManager(app)
    return _MANAGER


def current_look() -> Look:
    """The look in effect (the default one before a QApplication exists)."""
    if QApplication.instance() is None:
        return Look()
    return look_manager().look


def scaled_font(points: float, *, bold: bool = False, family: str | None = None) -> QFont:
    """The application's font at ``points`` × the look's text scale (``family``: e.g. "monospace")."""
    font = QFont(look_manager().base_font)
    if family is not None:
        font.setFamily(family)
        font.setStyleHint(QFont.StyleHint.Monospace if family == "monospace" else QFont.StyleHint.AnyStyle)
    font.setPointSizeF(points * current_look().text_scale)
    font.setBold(bold)
    return font


def base_points() -> float:
    """The system font's size in points (9 or 10 on most desktops)."""
    size = look_manager().base_font.pointSizeF()
    return size if size > 0 else 9.0

"""Keeping views cheap at any size: redraw once per event-loop turn, never while off screen.

Three habits every view can share (issue 6 measured each one):

* A view redraws from document signals, and one user action often emits several (a data edit emits
  ``dataChanged``, ``modelChanged``, ``knobsChanged`` and ``stateChanged``).  ``ScheduledRedraw`` turns
  any number of requests into one redraw when the event loop next runs (a 0 ms single-shot timer), and
  with ``min_interval_ms`` into at most one per interval: a run sends ~30 payloads a second, and a
  table of residuals or a panel of numbers need not follow every one.  (``FitDocument.live`` says a
  change is a run's payload, for views that draw a user's own changes at once and pace only the run.)
* A view that cannot be seen should not compute.  ``QWidget.isVisible`` is not the test: Qt does not
  hide the dock widgets of a tab group that are behind the current tab, it moves them off screen (so
  ``isVisible`` stays True and ``QDockWidget.visibilityChanged`` says when a tab comes to the front).
  ``on_screen`` asks whether any of the widget is actually visible, and ``watch_on_screen`` calls back
  when it becomes so, so that a deferred view catches up the moment it is shown.
* pyqtgraph repaints the axes (their tick labels replayed from a ``QPicture``, ~1 ms each) whenever
  anything in the plot changes.  ``cache_axes`` keeps each axis as a pixmap, repainted only when its
  range or style changes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QTimer, Slot
from PySide6.QtWidgets import QDockWidget, QGraphicsItem, QWidget

# How often a view that is not the curve or the loss follows the user's own changes (a knob drag): at most
# 30 times a second.  A knob turn must redraw the curve and the loss at once (issue 6: ≤ 16 ms at N = 10⁴);
# the residuals and the trails on the surface come on the next turn of the event loop, or, within a drag,
# every FOLLOW_MS, always ending on the latest state.
FOLLOW_MS = 33


def on_screen(widget: QWidget) -> bool:
    """True when some of ``widget`` can be seen: shown, and not in a dock tab behind another one.

    The test Qt itself uses for ``QDockWidget.visibilityChanged``: does the widget's rectangle meet its
    window's?  (``visibleRegion`` is no help: it is empty for a widget its own children cover.)
    """
    if not widget.isVisible():
        return False
    window = widget.window()
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size()).intersects(window.rect())


def enclosing_dock(widget: QWidget) -> QDockWidget | None:
    """The dock ``widget`` lives in (None outside any dock)."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QDockWidget):
        parent = parent.parentWidget()
    return parent


def cache_axes(plot_item, names=("left", "bottom")) -> None:
    """Keep the named axes of a pyqtgraph ``PlotItem`` as pixmaps, redrawn only when their ticks change.

    Exports are unaffected: the SVG export paints every item itself, and a PNG render gets a cache of
    its own device.
    """
    for name in names:
        plot_item.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


class OnScreenWatch(QObject):
    """Calls ``callback`` (on the next event-loop turn) whenever ``view`` comes on screen: when it is
    shown, or when the dock it lives in is raised to the front of its tab group; and ``hidden`` (if
    given) at once when it is hidden or its dock tab goes behind another."""

    def __init__(self, view: QWidget, callback: Callable[[], None], hidden: Callable[[], None] | None = None):
        super().__init__(view)
        self._view = view
        self._callback = callback
        self._hidden = hidden
        self._dock: QDockWidget | None = None
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._on_timer)
        view.installEventFilter(self)

    def attach(self) -> None:
        """Follow the dock the view now lives in (docks are assigned after a view is built)."""
        parent = enclosing_dock(self._view)
        if parent is self._dock:
            return
        if self._dock is not None:
            self._dock.visibilityChanged.disconnect(self._on_dock_visibility)
        self._dock = parent
        if parent is not None:
            parent.visibilityChanged.connect(self._on_dock_visibility)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if obj is self._view:
            kind = event.type()
            if kind in (QEvent.Type.Show, QEvent.Type.ParentChange):
                self.attach()
                if kind == QEvent.Type.Show:
                    self._timer.start()
            elif kind == QEvent.Type.Hide and self._hidden is not None:
                self._hidden()
        return False

    @Slot(bool)
    def _on_dock_visibility(self, visible: bool) -> None:
        if visible:
            self._timer.start()  # after Qt has moved the raised tab into place
        elif self._hidden is not None:
            self._hidden()

    @Slot()
    def _on_timer(self) -> None:
        if on_screen(self._view):
            self._callback()


def watch_on_screen(
    view: QWidget, callback: Callable[[], None], hidden: Callable[[], None] | None = None
) -> OnScreenWatch:
    """Call ``callback`` whenever ``view`` comes on screen, ``hidden`` when it leaves (see ``OnScreenWatch``)."""
    return OnScreenWatch(view, callback, hidden)


class ScheduledRedraw(QObject):
    """One call of ``redraw`` per event-loop turn however many times ``schedule`` is called, and at most
    one per ``min_interval_ms``; none while ``owner`` (when it is a widget) is off screen.

    The first request after a pause is served on the next turn, so a single change shows at once; a
    stream of them (a run, a drag) is served at a steady rate and always ends on the latest state.  A
    widget off screen catches up when it is shown or its dock tab is raised.  ``flush()`` redraws at
    once if a redraw is pending, for readers that must see the latest state.
    """

    def __init__(self, owner: QObject, redraw: Callable[[], None], *, min_interval_ms: int = 0):
        super().__init__(owner)
        self._view = owner if isinstance(owner, QWidget) else None
        self._redraw = redraw
        self.min_interval_ms = int(min_interval_ms)
        self.pending = False
        self._last = -math.inf
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._on_timer)
        if self._view is not None:
            self._watch = watch_on_screen(self._view, self._on_shown)

    def schedule(self) -> None:
        """Ask for a redraw on the next event-loop turn (or when ``min_interval_ms`` has passed)."""
        self.pending = True
        if not self._timer.isActive():
            wait_ms = self.min_interval_ms - (time.perf_counter() - self._last) * 1000.0
            self._timer.start(math.ceil(wait_ms) if wait_ms > 0 else 0)

    def cancel(self) -> None:
        """Forget a pending redraw (the caller has just drawn the latest state itself)."""
        self._timer.stop()
        self.pending = False

    def flush(self, force: bool = False) -> bool:
        """Redraw now if one is pending (and the view is on screen, unless ``force``); True if it did."""
        self._timer.stop()
        if not self.pending or not (force or self._view is None or on_screen(self._view)):
            return False
        self.pending = False
        self._last = time.perf_counter()
        self._redraw()
        return True

    @Slot()
    def _on_timer(self) -> None:
        self.flush()

    def _on_shown(self) -> None:
        if self.pending:
            self.flush()

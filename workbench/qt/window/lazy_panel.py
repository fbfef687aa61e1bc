"""Panels built the first time they are shown (or asked for): a panel behind a tab costs nothing at start.

A window of the Lesson shows the fit, the knobs, the loss and the surface; the lab, the race, the report
and the residual plot wait behind tabs or a menu toggle.  Building their plots and tables took about a
quarter of the time the window took to open.  A ``LazyPanel`` stands in their place (in a dock, in the
plot splitter) and builds its content when it is first shown, or when code asks for it: the content
always draws the document as it is then, so it shows the same as if it had been there from the start.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDockWidget, QVBoxLayout, QWidget

from workbench.qt.views.redraw import on_screen


class LazyPanel(QWidget):
    """Holds the place of the widget ``build()`` makes, and makes it when it first comes on screen or is
    asked for.

    In a dock that is a tab behind another, the panel counts as shown but sits off screen (Qt moves it
    away): it is built when its tab is raised (the dock's ``visibilityChanged``), not when the window is
    shown.  Anywhere else it is built when it is shown.
    """

    built = Signal(QWidget)  # the content, just made and put in place

    def __init__(self, build: Callable[[], QWidget], object_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self._build: Callable[[], QWidget] | None = build
        self._content: QWidget | None = None
        self._dock: QDockWidget | None = None
        self._check = QTimer(self, singleShot=True, interval=0)  # after Qt has put a shown tab in place
        self._check.timeout.connect(self._build_if_on_screen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    @property
    def is_built(self) -> bool:
        """True once the content exists."""
        return self._content is not None

    def content(self) -> QWidget:
        """The content, made now if it was not yet."""
        if self._content is None:
            build, self._build = self._build, None
            assert build is not None  # (a build that asks for its own panel would recurse)
            self._content = build()
            self.layout().addWidget(self._content)
            # Shown and laid out now, not on a later turn of the event loop (as a widget added to a shown
            # parent would be): whoever asked for it, or is about to paint it, sees it in place.
            self._content.setVisible(True)
            self.layout().activate()
            self._follow_dock(None)
            self.built.emit(self._content)
        return self._content

    def showEvent(self, event: QShowEvent) -> None:
        """Shown outside a dock: built now.  In a dock: built if it is on screen once Qt has placed it, and
        from then on whenever the dock's tab is raised."""
        if self._content is None:
            dock = self._enclosing_dock()
            self._follow_dock(dock)
            if dock is None:
                self.content()
            else:
                self._check.start()
        super().showEvent(event)

    def _enclosing_dock(self) -> QDockWidget | None:
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QDockWidget):
            parent = parent.parentWidget()
        return parent

    def _follow_dock(self, dock: QDockWidget | None) -> None:
        if dock is self._dock:
            return
        if self._dock is not None:
            self._dock.visibilityChanged.disconnect(self._on_dock_visibility)
        self._dock = dock
        if dock is not None:
            dock.visibilityChanged.connect(self._on_dock_visibility)

    @Slot(bool)
    def _on_dock_visibility(self, visible: bool) -> None:
        # Checked on the next turn, not built at once: while a preset re-arranges the docks, each tab is
        # in front for a moment on the way.
        if visible and self._content is None:
            self._check.start()

    @Slot()
    def _build_if_on_screen(self) -> None:
        if self._content is None and on_screen(self):
            self.content()

"""Panels built the first time they are shown (or asked for): a panel behind a tab costs nothing at start.

A window of the Lesson shows the fit, the knobs, the loss and the surface; the race, the report and the
residual plot wait behind tabs or a menu toggle.  Building their plots and tables took about a fifth of
the time the window took to open.  A ``LazyPanel`` stands in their place (in a dock, in the
plot splitter) and builds its content when it is first shown, or when code asks for it: the content
always draws the document as it is then, so it shows the same as if it had been there from the start.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from workbench.qt.views.redraw import enclosing_dock, watch_on_screen


class LazyPanel(QWidget):
    """Holds the place of the widget ``build()`` makes, and makes it when it first comes on screen or is
    asked for.

    In a dock that is a tab behind another, the panel counts as shown but sits off screen (Qt moves it
    away): it is built once its dock's tab is raised and Qt has put it in place (checked on the next turn
    of the event loop: while a preset re-arranges the docks each tab is in front for a moment on the way),
    so the first time a tab is raised it may show empty for one frame.  Anywhere else it is built as it is
    shown, before it is painted.  A view that must have watched the document before it is first shown
    (the lab: how a basis switch changed the condition number) is not one for a ``LazyPanel``.
    """

    def __init__(self, build: Callable[[], QWidget], object_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self._build: Callable[[], QWidget] | None = build
        self._content: QWidget | None = None
        self._watch = watch_on_screen(self, self.content)  # shown on screen, or its dock's tab raised
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
            self._take_my_place_in_the_tab_chain()
            # Shown and laid out now, not on a later turn of the event loop (as a widget added to a shown
            # parent would be): whoever asked for it, or is about to paint it, sees it in place.
            self._content.setVisible(True)
            self.layout().activate()
            self.removeEventFilter(self._watch)  # nothing left to watch for
        return self._content

    def showEvent(self, event: QShowEvent) -> None:
        """Shown outside a dock (the residual plot under the fit): built now, before it is painted."""
        if self._content is None and enclosing_dock(self) is None:
            self.content()
        super().showEvent(event)

    def _take_my_place_in_the_tab_chain(self) -> None:
        """Qt appends a widget new to the window at the end of the Tab chain: move the content's focusable
        widgets to where the holder is (after the last widget before it that takes focus: setTabOrder
        ignores widgets that take none)."""
        content = self._content
        assert content is not None
        chain, widget = [], content
        while widget is content or content.isAncestorOf(widget):
            chain.append(widget)
            widget = widget.nextInFocusChain()
        previous = self.previousInFocusChain()
        while previous.focusPolicy() == Qt.FocusPolicy.NoFocus and previous is not self.window():
            previous = previous.previousInFocusChain()
        for widget in (w for w in chain if w.focusPolicy() != Qt.FocusPolicy.NoFocus):
            QWidget.setTabOrder(previous, widget)
            previous = widget

"""Help › Quick tour: a non-modal card that walks a first-time user through the story, one widget at a time.

Add points, turn the knobs, read the gradient arrows, run gradient descent, compare.  Each step outlines
its widget, says what to do, watches the document to tick the step off when the user has done it, and
offers "Show me", which makes the app do the step through the controller (as a click would).  The card
and the outline are children of the main window: nothing blocks, and the tour can be left at any time.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, Slot
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from workbench.qt.dialogs.tour_steps import STEPS, Progress

CARD_WIDTH = 380
MARGIN = 12


def _clipped_rect(widget: QWidget, window: QWidget) -> QRect:
    """The part of ``widget`` its ancestors let show (a scroll area cuts off rows), in window coordinates.

    Not ``visibleRegion()``: that also subtracts the card and the outline lying on top of the widget.
    """
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        rect = rect.intersected(QRect(parent.mapTo(window, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return rect


def _scroll_into_view(widget: QWidget) -> None:
    """Scroll every scroll area around ``widget`` so that it is on screen (the Run button sits low)."""
    child, parent = widget, widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea) and parent.widget() is not None and parent.widget().isAncestorOf(child):
            parent.ensureWidgetVisible(child, 8, 8)
            child = parent
        parent = parent.parentWidget()


class TourHighlight(QWidget):
    """A coloured outline drawn over the step's widgets (clicks go through to them)."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("tourHighlight")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)

    def paintEvent(self, _ev):  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(255, 140, 0)
        painter.setPen(QPen(colour, 3))
        colour.setAlpha(28)
        painter.setBrush(colour)
        painter.drawRoundedRect(self.rect().adjusted(2, 2, -2, -2), 6, 6)
        painter.end()


class QuickTour(QFrame):
    """The tour's card: step text, whether it is done, and Back / Show me / Next / Close."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setObjectName("quickTour")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setFixedWidth(CARD_WIDTH)
        self.window_ = window
        self.index = 0
        self._progress: Progress | None = None
        self._targets: list[QWidget] = []
        self.highlight = TourHighlight(window)
        self.highlight.hide()
        self.title = QLabel(objectName="tourTitle")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() + 2)
        self.title.setFont(font)
        self.text = QLabel(objectName="tourText", wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.status = QLabel(objectName="tourStatus", wordWrap=True)
        self.back_button = self._button("Back", "tourBackButton", "The previous step", self.back)
        self.act_button = self._button("Show me", "tourActButton", "Let the app do this step for you", self.act)
        self.next_button = self._button("Next", "tourNextButton", "The next step", self.next)
        self.close_button = self._button(
            "Close", "tourCloseButton", "End the tour (Help › Quick tour brings it back)", self.close_tour
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        for button in (self.next_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.text, self.status):
            layout.addWidget(widget)
        layout.addWidget(self.act_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(buttons)
        doc = window.document
        for signal in (
            doc.dataChanged,
            doc.knobsChanged,
            doc.trailChanged,
            doc.overlaysChanged,
            window.controller.runningChanged,
            window.forces_action.toggled,
        ):
            signal.connect(self._on_progress)
        self.hide()

    def _button(self, text, name, tip, slot) -> QPushButton:
        button = QPushButton(text, objectName=name)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # -- navigation -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Show the tour from its first step."""
        self.window_.installEventFilter(self)  # follow resizes only while the tour is open
        self.show()
        self.raise_()
        self.go_to(0)

    def go_to(self, index: int) -> None:
        """Show step ``index`` (clamped to the tour)."""
        self.index = max(0, min(index, len(STEPS) - 1))
        step = STEPS[self.index]
        doc = self.window_.document
        self._progress = Progress(doc.dataset, doc.manual_moves, doc.last_run)
        self.title.setText(f"{step.title}   <span style='font-weight:normal'>({self.index + 1} of {len(STEPS)})</span>")
        self.text.setText(step.text)
        self.act_button.setVisible(step.act is not None)
        self.act_button.setText(step.act_text or "Show me")
        self.back_button.setEnabled(self.index > 0)
        self.next_button.setText("Finish" if self.index == len(STEPS) - 1 else "Next")
        for target in self._targets:
            target.removeEventFilter(self)
        self._targets = [t for t in step.targets(self.window_) if t is not None]
        for target in self._targets:
            target.installEventFilter(self)
        if self._targets:
            _scroll_into_view(self._targets[0])
        self._on_progress()
        self._place()

    def next(self) -> None:
        """The next step; Finish on the last one closes the tour."""
        if self.index == len(STEPS) - 1:
            self.close_tour()
        else:
            self.go_to(self.index + 1)

    def back(self) -> None:
        """The previous step."""
        self.go_to(self.index - 1)

    def act(self) -> None:
        """Make the app do the current step."""
        step = STEPS[self.index]
        if step.act is not None:
            step.act(self.window_)
            self._on_progress()

    def close_tour(self) -> None:
        """Hide the card and the outline."""
        for target in [self.window_, *self._targets]:
            target.removeEventFilter(self)
        self._targets = []
        self.highlight.hide()
        self.hide()

    def is_step_done(self) -> bool:
        """True when the user (or Show me) has done what the current step asks."""
        step = STEPS[self.index]
        return step.done is None or (self._progress is not None and step.done(self.window_, self._progress))

    # -- reactions ------------------------------------------------------------------------------------
    @Slot()
    def _on_progress(self, *_args) -> None:
        if self.isHidden():
            return
        step = STEPS[self.index]
        done = self.is_step_done()
        self.status.setText("" if step.done is None else "✓ Done — press Next." if done else step.waiting)
        self.status.setVisible(step.done is not None)
        self.status.setProperty("done", done)
        self.status.style().unpolish(self.status)  # re-read the style sheet's [done="true"] rule
        self.status.style().polish(self.status)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if (
            event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show, QEvent.Type.Hide)
            and self.isVisible()
        ):
            self._place()
        return False

    def _place(self) -> None:
        """Outline the targets and put the card beside them, inside the window."""
        window = self.window_
        rects = [_clipped_rect(t, window) for t in self._targets if t.isVisible() and t.window() is window]
        rects = [r for r in rects if not r.isEmpty()]
        area = window.rect().adjusted(MARGIN, MARGIN + window.menuBar().height(), -MARGIN, -MARGIN)
        # A child widget's adjustSize ignores word wrap: ask the layout how tall the card is at its width.
        self.setFixedHeight(self.layout().totalHeightForWidth(CARD_WIDTH))
        size = self.size()
        if rects:
            target = rects[0]
            for rect in rects[1:]:
                target = target.united(rect)
            self.highlight.setGeometry(target.adjusted(-4, -4, 4, 4))
            self.highlight.show()
            self.highlight.raise_()
            candidates = [
                QPoint(target.right() + MARGIN, target.top()),
                QPoint(target.left() - MARGIN - size.width(), target.top()),
                QPoint(target.left(), target.bottom() + MARGIN),
                QPoint(target.left(), target.top() - MARGIN - size.height()),
            ]
        else:
            self.highlight.hide()
            candidates = []
        candidates.append(QPoint(area.center().x() - size.width() // 2, area.center().y() - size.height() // 2))
        for corner in candidates:
            if area.contains(QRect(corner, size)):
                break
        else:
            corner = QPoint(area.right() - size.width(), area.bottom() - size.height())
        self.move(corner)
        self.raise_()

"""A compact legend for a plot: one or two lines of coloured names in a corner, on a see-through background.

pyqtgraph's ``LegendItem`` gives every entry a row of its own (about 20 pixels): five race contenders and
the validation curves took half of a small loss plot.  This legend writes the entries one after another,
each behind a mark in its curve's colour (a line, a dashed line, dots or a star), wrapping only when a
line is full, and lets the mouse through to the plot under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QPalette, QTextDocument
from PySide6.QtWidgets import QLabel, QWidget

MARKS = {"line": "━━", "dashed": "╍╍", "dots": "●", "star": "★"}
POINT_SIZE = 7.5
MARGIN = 4  # pixels between the legend and the plot area's edges
ALPHA = 0.72  # opacity of the background: the curves under it stay visible


@dataclass(frozen=True)
class LegendEntry:
    """One named curve: its name, its colour (r, g, b) and how it is drawn (a key of ``MARKS``)."""

    name: str
    colour: tuple[int, int, int]
    mark: str = "line"


class CompactLegend(QLabel):
    """Entries in a row that wraps, in the top right corner of a rectangle of its parent (``place``)."""

    def __init__(self, parent: QWidget, width_share: float = 0.6):
        super().__init__(parent)
        self.setObjectName("compactLegend")
        self._entries: tuple[LegendEntry, ...] = ()
        self._width_share = width_share
        self._area = QRect()
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # the plot keeps its mouse
        font = QFont(self.font())
        font.setPointSizeF(POINT_SIZE)
        self.setFont(font)
        self.setContentsMargins(3, 1, 3, 1)
        self.restyle()
        self.hide()

    def entries(self) -> tuple[LegendEntry, ...]:
        """The entries shown (or that would be, when hidden)."""
        return self._entries

    def names(self) -> list[str]:
        """The names of the entries, in order."""
        return [entry.name for entry in self._entries]

    def set_entries(self, entries) -> None:
        """Name these curves (an empty list leaves nothing to show)."""
        entries = tuple(entries)
        if entries == self._entries:
            return
        self._entries = entries
        # Lines break between entries, never inside one (its mark and its name stay together).
        self.setText(
            " &nbsp;".join(
                f'<span style="color: rgb{tuple(e.colour[:3])};">{MARKS.get(e.mark, MARKS["line"])}</span>'
                f"&nbsp;{escape(e.name).replace(' ', '&nbsp;')}"
                for e in entries
            )
        )
        self.place(self._area)

    def restyle(self) -> None:
        """A see-through background in the parent's colours (follows the light or dark theme)."""
        base = self.palette().color(QPalette.ColorRole.Base)
        mid = self.palette().color(QPalette.ColorRole.Mid)
        self.setStyleSheet(
            f"QLabel#compactLegend {{ background: rgba({base.red()}, {base.green()}, {base.blue()}, {ALPHA}); "
            f"border: 1px solid rgba({mid.red()}, {mid.green()}, {mid.blue()}, 0.6); border-radius: 3px; }}"
        )

    def place(self, area: QRect) -> None:
        """Sit in the top right corner of ``area`` (the plot's drawing area, in the parent's pixels)."""
        self._area = QRect(area)
        if area.width() <= 0 or not self._entries:
            return
        width = max(40, int(self._width_share * area.width()) - 2 * MARGIN)
        self.setFixedWidth(min(width, self._natural_width()))
        self.setFixedHeight(self.heightForWidth(self.width()))
        self.move(area.right() - self.width() - MARGIN + 1, area.top() + MARGIN)

    def _natural_width(self) -> int:
        """The width of the entries on one line (a word-wrapped label's size hint guesses narrower)."""
        document = QTextDocument()
        document.setDefaultFont(self.font())
        document.setDocumentMargin(0)
        document.setHtml(self.text())
        margins = self.contentsMargins()
        return int(document.idealWidth()) + margins.left() + margins.right() + 2 * self.frameWidth() + 12

"""The import dialog's preview: the first rows of a file as they will be read.

Numbers are shown as read under the convention in force (so 1.260 shows as 1260 once the file is known to
write thousands dots), dates as dates, text and unreadable cells as written, the latter in red in a
chosen column; the row labels are the file's line numbers and the headers say each column's role.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from workbench.fitting.dates import format_decimal_year
from workbench.fitting.number_format import Reading, apply_reading
from workbench.fitting.table import DATE, NUMBER, TEXT
from workbench.fitting.table_preview import TablePreview

__all__ = ["PreviewModel"]

_BAD_CELL = QBrush(QColor(200, 30, 30))
_KIND_NAMES = {NUMBER: "numbers", DATE: "dates, fitted as decimal years", TEXT: "text: not a choice for x, y or σ"}


class PreviewModel(QAbstractTableModel):
    """The preview rows as a read-only table: numbers as read (under the chosen convention), dates as
    dates, text and unreadable cells as written (in red in a chosen column); headers say each column's
    role."""

    def __init__(self, preview: TablePreview, parent=None):
        super().__init__(parent)
        self._table = preview.table
        self._cells = preview.cells
        self.roles: dict[int, str] = {}
        self._shown: dict[int, object] = {}
        self.set_reading(None)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._table.n_rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._table.n_columns

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        column = self._table.columns[col]
        values = self._shown.get(col)
        value = None if values is None else float(values[row])
        readable = value is not None and value == value  # NaN: a cell that is no number or date
        if role == Qt.ItemDataRole.DisplayRole:
            if not readable:
                return self._text(row, col)
            return format_decimal_year(value) if column.kind == DATE else format(value, ".10g")
        if role == Qt.ItemDataRole.ForegroundRole and values is not None and not readable and col in self.roles:
            return _BAD_CELL  # a chosen cell that will be refused or skipped
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self._text(row, col)
            if values is None:
                return f"{text!r}: a column of text"
            return f"{text!r} is read as {self.data(index)}" if readable else f"{text!r} is no usable number or date"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            align = Qt.AlignmentFlag.AlignLeft if values is None else Qt.AlignmentFlag.AlignRight
            return int(align | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: int, col: int) -> str:
        cells = self._cells[row] if row < len(self._cells) else ()
        return cells[col] if col < len(cells) else ""

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802 - Qt API
        role: int = Qt.ItemDataRole.DisplayRole,
    ):
        if orientation == Qt.Orientation.Horizontal:
            column = self._table.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                tag = self.roles.get(section)
                return f"{column.name}\n→ {tag}" if tag else f"{column.name}\n"
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"Column {section + 1}: {column.name} ({_KIND_NAMES[column.kind]})"
        elif role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            line = self._table.line_of(section)
            text = str(line if line is not None else section + 1)
            return text if role == Qt.ItemDataRole.DisplayRole else f"Line {text} of the file"
        return None

    def set_roles(self, roles: dict[int, str]) -> None:
        """Mark which column is x, y and σ in the headers."""
        self.roles = roles
        if self._table.n_columns:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self._table.n_columns - 1)

    def set_reading(self, reading: Reading | None) -> None:
        """Show the number columns as ``reading`` reads them (None: as first read, ambiguous cells as
        decimals)."""
        shown: dict[int, object] = {}
        for j, column in enumerate(self._table.columns):
            if column.values is None:
                continue
            shown[j] = (
                column.values
                if reading is None or column.kind != NUMBER
                else apply_reading(column.values, column.masks, reading)[0]
            )
        self._shown = shown
        if self._table.n_rows and self._table.n_columns:
            self.dataChanged.emit(self.index(0, 0), self.index(self._table.n_rows - 1, self._table.n_columns - 1))

"""The data table: the points as numbers, editable in place, with the residual of the current curve.

The model reads the document's arrays lazily in ``data()`` (only visible cells are ever formatted), so
a 10⁴-point dataset costs nothing until it is scrolled.  Edits are requests (signals); the table changes
only when the document says the data changed.  Pasting (Ctrl+V in the panel, the Paste button, or
Edit › Paste points) reads two columns of text, as copied from a spreadsheet or a text file (decimal
commas and dates included), with the same reader as File › Open data: one undo step, and text it cannot
read changes nothing.  The headers carry the data's column names; an x column of dates shows dates.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.fitting.data import Dataset, dataset_from_table
from workbench.fitting.dates import format_decimal_year, parse_date_text
from workbench.fitting.generate import GenerateSettings
from workbench.fitting.table import DataError
from workbench.fitting.table_reader import read_table
from workbench.qt.app_state.document import FitDocument
from workbench.qt.dialogs.generate_dialog import GenerateDialog
from workbench.qt.views.redraw import ScheduledRedraw

X_COLUMN, Y_COLUMN, RESIDUAL_COLUMN = 0, 1, 2
_HEADERS = ("x", "y", "residual ŷ−y")
_HEADER_LABELS = ("x", "y", "residual\nŷ−y")  # two lines: fits a narrow dock
_HEADER_TIPS = (
    "x of each point. Double-click (or F2) to type a new value.",
    "y of each point. Double-click (or F2) to type a new value.",
    "ŷ − y: the current curve's value minus the point's y (read-only; follows the knobs).",
)
_DISPLAY_DIGITS = 10  # significant digits shown when the column is wide enough
_RESIDUAL_DIGITS = 6  # a residual is read at a glance
_MIN_DIGITS = 3
# A run moves the knobs ~30 times a second; the residual column (unreadable at that rate anyway) is
# repainted at most this often, which saves a full table repaint on most of a run's frames.
RESIDUAL_REPAINT_MS = 200
VALUE_ROLE = Qt.ItemDataRole.UserRole  # the cell's float, for delegates and tests
DATE_ROLE = Qt.ItemDataRole.UserRole + 1  # True for a cell shown as a date (x read from dates)
# data() and flags() run for every visible cell on every repaint: build the enum values once.
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_READ_ONLY = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
_EDITABLE = _READ_ONLY | Qt.ItemFlag.ItemIsEditable


def _undo_text() -> str:
    return QKeySequence(QKeySequence.StandardKey.Undo).toString(QKeySequence.SequenceFormat.NativeText) or "Ctrl+Z"


class _NumberDelegate(QStyledItemDelegate):
    """Shows as many significant digits as the column has room for: rounded, never cut off with '…'."""

    def __init__(self, max_digits: int, parent: QObject | None = None):
        super().__init__(parent)
        self._max_digits = max_digits

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802 - Qt API
        super().initStyleOption(option, index)
        value = index.data(VALUE_ROLE)
        if value is None or option.rect.width() <= 0 or index.data(DATE_ROLE):
            return
        style = option.widget.style() if option.widget is not None else QApplication.style()
        room = option.rect.width() - 2 * (
            style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, option.widget) + 1
        )
        for digits in range(self._max_digits, _MIN_DIGITS - 1, -1):
            text = format(value, f".{digits}g")
            if option.fontMetrics.horizontalAdvance(text) <= room:
                break
        option.text = text


class DataTableModel(QAbstractTableModel):
    """The document's points as a table: x and y editable (as requests), residual read-only."""

    cellEditRequested = Signal(int, int, str)  # row, column (0: x, 1: y), the text typed

    def __init__(self, document: FitDocument, parent: QObject | None = None):
        super().__init__(parent)
        self._doc = document
        self._rows = document.dataset.n
        self._fitted: np.ndarray | None = None  # ŷ at the data x, computed on first paint after a change
        self._residual_repaint = ScheduledRedraw(
            self, self._emit_residuals_changed, min_interval_ms=RESIDUAL_REPAINT_MS
        )
        document.dataChanged.connect(self._on_document_data_changed)
        document.knobsChanged.connect(self._on_document_knobs_changed)
        document.factsChanged.connect(self._on_document_knobs_changed)

    # -- reading ------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(_HEADERS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        dataset = self._doc.dataset
        if row >= dataset.n:
            return None
        date = col == X_COLUMN and dataset.x_is_date
        if role == Qt.ItemDataRole.DisplayRole:
            if col == RESIDUAL_COLUMN:
                value = self.residual(row)
                return "…" if math.isnan(value) else format(value, f".{_RESIDUAL_DIGITS}g")
            if date:
                return format_decimal_year(self._value(row, col))
            return format(self._value(row, col), f".{_DISPLAY_DIGITS}g")
        if role == VALUE_ROLE:
            return self.residual(row) if col == RESIDUAL_COLUMN else self._value(row, col)
        if role == DATE_ROLE:
            return date
        if role == Qt.ItemDataRole.EditRole:
            if col == RESIDUAL_COLUMN:
                return repr(self.residual(row))
            return format_decimal_year(self._value(row, col)) if date else repr(self._value(row, col))
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == RESIDUAL_COLUMN:
                return f"ŷ − y = {self.residual(row)!r}"
            value = self._value(row, col)
            if date:
                return f"{dataset.x_name} = {format_decimal_year(value)} (decimal year {value!r})"
            return f"{(dataset.x_name, dataset.y_name)[col]} = {value!r}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN_RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and col == RESIDUAL_COLUMN:
            return QApplication.palette().brush(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText)
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802 - Qt API
        role: int = Qt.ItemDataRole.DisplayRole,
    ):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(_HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._header_label(section)
            if role == Qt.ItemDataRole.ToolTipRole:
                tip = _HEADER_TIPS[section]
                if section == X_COLUMN and self._doc.dataset.x_is_date:
                    tip += " x holds dates (fitted in decimal years): type a date like 2020-07-02."
                return tip
        elif orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole:
                return str(section + 1)
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"Point {section + 1}"
        return None

    def _header_label(self, section: int) -> str:
        """The column's name from the file, with its role under it ("x", "y") when the two differ."""
        if section == RESIDUAL_COLUMN:
            return _HEADER_LABELS[section]
        dataset = self._doc.dataset
        name = dataset.x_name if section == X_COLUMN else dataset.y_name
        role = _HEADERS[section]
        return role if name == role else f"{name}\n({role})"

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _READ_ONLY if index.column() == RESIDUAL_COLUMN else _EDITABLE

    def residual(self, row: int) -> float:
        """ŷ − y of point ``row`` at the current knobs (NaN while big data's curve is being computed)."""
        if self._fitted is None:
            self._fitted = self._doc.fitted()
            if self._fitted is None:
                return math.nan
        return float(self._fitted[row] - self._doc.dataset.y[row])

    def _value(self, row: int, col: int) -> float:
        dataset = self._doc.dataset
        return float((dataset.x if col == X_COLUMN else dataset.y)[row])

    # -- writing: a request; the document decides ----------------------------------------------------
    def setData(
        self,
        index: QModelIndex | QPersistentModelIndex,
        value,  # noqa: N802 - Qt API
        role: int = Qt.ItemDataRole.EditRole,
    ) -> bool:
        """Ask for x or y to be set from typed text (the table then shows what the document holds)."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() == RESIDUAL_COLUMN:
            return False
        if index.row() >= self._doc.dataset.n:
            return False
        text = str(value)
        if index.column() == X_COLUMN and self._doc.dataset.x_is_date:
            year = parse_date_text(text)  # a date typed into a date column; a plain number is a decimal year
            if year is not None:
                text = repr(year)
        before = self._doc.dataset
        self.cellEditRequested.emit(index.row(), index.column(), text)
        return self._doc.dataset is not before

    # -- following the document --------------------------------------------------------------------
    @Slot()
    def _on_document_data_changed(self) -> None:
        self._fitted = None
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, X_COLUMN, Y_COLUMN)  # the names may be new
        n = self._doc.dataset.n
        if n == self._rows:
            # Same number of points (a cell edit, a drag on the plot, undo of either): repaint in place,
            # which keeps the selection, the current cell and the scroll position.
            if n:
                self.dataChanged.emit(self.index(0, 0), self.index(n - 1, len(_HEADERS) - 1))
            return
        self.beginResetModel()
        self._rows = n
        self.endResetModel()

    @Slot()
    def _on_document_knobs_changed(self) -> None:
        self._fitted = None  # what data() returns is always current; only the repaint is paced
        if self._rows:
            self._residual_repaint.schedule()

    def _emit_residuals_changed(self) -> None:
        if self._rows:
            self.dataChanged.emit(
                self.index(0, RESIDUAL_COLUMN),
                self.index(self._rows - 1, RESIDUAL_COLUMN),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.EditRole],
            )


class DataPanel(QWidget):
    """The points as a table, with Add, Remove, Clear and Generate… buttons and a point count."""

    rowSelected = Signal(int)  # the current row changed (−1: none), so the plot can highlight it
    pointAddRequested = Signal(float, float)
    pointsRemoveRequested = Signal(list)  # row indices
    clearRequested = Signal()
    dataReplaceRequested = Signal(object, str)  # a Dataset (new data), and the undo step's name
    dataExtendRequested = Signal(object, str)  # the data with points pasted after them, and the step's name
    noticeRequested = Signal(str, str)  # level, message (what a paste did or why it did not)

    def __init__(self, document: FitDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self._doc = document
        self.generate_settings = GenerateSettings()  # the dialog opens where it was last accepted
        self._current_row = -1
        self.model = DataTableModel(document, self)
        undo = _undo_text()

        self.table = QTableView(objectName="dataTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setCornerButtonEnabled(False)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self._value_delegate = _NumberDelegate(_DISPLAY_DIGITS, self.table)
        self._residual_delegate = _NumberDelegate(_RESIDUAL_DIGITS, self.table)
        self.table.setItemDelegateForColumn(X_COLUMN, self._value_delegate)
        self.table.setItemDelegateForColumn(Y_COLUMN, self._value_delegate)
        self.table.setItemDelegateForColumn(RESIDUAL_COLUMN, self._residual_delegate)
        self.table.horizontalHeader().setHighlightSections(False)
        rows = self.table.verticalHeader()
        rows.setVisible(True)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform rows: 10⁴ points scroll freely
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        rows.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.setToolTip(
            f"The data points. Double-click a cell to edit x or y; Delete removes the "
            f"selected rows. Every change can be undone ({undo})."
        )
        self.table.installEventFilter(self)

        self.add_button = self._button(
            "Add", "addRowButton", f"Add a point after the last one, on the current curve ({undo} to undo)."
        )
        self.remove_button = self._button(
            "Remove", "removeRowsButton", f"Remove the selected points (Delete; {undo} to undo)."
        )
        self.clear_button = self._button("Clear", "clearDataButton", f"Remove every point ({undo} to undo).")
        self.generate_button = self._button(
            "Generate…",
            "generateButton",
            f"Replace the data with points sampled from a known curve plus noise ({undo} to undo).",
        )
        self.paste_button = self._button(
            "Paste",
            "pastePointsButton",
            f"Add the points copied to the clipboard: two columns x and y (numbers, or dates for x), "
            f"separated by tabs, commas, semicolons or spaces, with or without a header row ({undo} to undo).",
        )
        self._build_paste_actions(undo)
        self.count_label = QLabel(objectName="pointCountLabel")
        self.count_label.setToolTip("Number of data points.")

        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self.generate_button.clicked.connect(self._on_generate_clicked)
        self.paste_button.clicked.connect(self.paste_action.trigger)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(self._on_selection_changed)
        selection.currentRowChanged.connect(self._on_current_row_changed)
        self.model.modelReset.connect(self._on_model_reset)

        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for button in (self.add_button, self.remove_button, self.clear_button, self.paste_button, self.generate_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.count_label)
        self._update_controls()

    def _build_paste_actions(self, undo: str) -> None:
        """Paste and paste-replacing actions: Ctrl+V / Ctrl+Shift+V while the panel has focus (cell
        editors keep their own Ctrl+V), and entries for the window's Edit menu."""
        self.paste_action = QAction("&Paste points", self, objectName="pastePointsAction")
        self.paste_action.setShortcut(QKeySequence.StandardKey.Paste)
        tip = (
            f"Add the points on the clipboard after the last one: two columns x and y (tab, comma, semicolon "
            f"or space separated, optional header row, decimal points or commas); one undo step ({undo})"
        )
        self.paste_replace_action = QAction("Paste points, &replacing all", self, objectName="pasteReplacePointsAction")
        self.paste_replace_action.setShortcut(QKeySequence("Ctrl+Shift+V"))
        replace_tip = f"Replace every point with the points on the clipboard (two columns x and y; {undo} to undo)"
        for action, text in ((self.paste_action, tip), (self.paste_replace_action, replace_tip)):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(text)
            action.setStatusTip(text)
            self.addAction(action)
        self.paste_action.triggered.connect(self._on_paste_triggered)
        self.paste_replace_action.triggered.connect(self._on_paste_replace_triggered)

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text, objectName=name)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        # The style's 80 px minimum would make four buttons wider than a narrow dock: fit the text instead.
        button.setMinimumWidth(button.fontMetrics().horizontalAdvance(text) + 14)
        return button

    # -- public ------------------------------------------------------------------------------------
    def select_row(self, row: int) -> None:
        """Make ``row`` the current, selected row and scroll to it (−1 or out of range: clear).

        Emits ``rowSelected`` when the current row changes, like a click in the table would.
        """
        if not 0 <= row < self.model.rowCount():
            self.table.selectionModel().clearCurrentIndex()
            self.table.clearSelection()
            return
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def selected_rows(self) -> list[int]:
        """Indices of the selected points, ascending."""
        return sorted(index.row() for index in self.table.selectionModel().selectedRows())

    def next_point_position(self) -> tuple[float, float]:
        """Where Add puts a point: one mean spacing past the largest x, on the current curve."""
        dataset = self._doc.dataset
        if dataset.n == 0:
            x = 0.0
        else:
            lo, hi = dataset.x_range
            spacing = (hi - lo) / (dataset.n - 1) if dataset.n > 1 else 0.0
            x = hi + (spacing if spacing > 0 else 1.0)
        with np.errstate(all="ignore"):
            y = float(self._doc.curve([x])[0])
        return x, (y if np.isfinite(y) else 0.0)

    def paste_text(self, text: str, replace: bool = False) -> bool:
        """Add (or, with ``replace``, set) the points in ``text``: two columns x and y separated by tabs,
        commas, semicolons or spaces, with an optional header row, decimal points or commas, x numbers
        or dates.  One undo step; text that is not such a table changes nothing and a notice names the
        line and column to fix.  True if points were pasted."""
        if not text.strip():
            return self._refuse_paste("the clipboard holds no text: copy two columns of numbers (x and y) first")
        before = self._doc.dataset
        try:
            table = read_table(text.splitlines(), source="pasted text")
            if table.n_columns != 2:
                return self._refuse_paste(
                    f"the pasted text has {table.n_columns} column"
                    f"{'s' if table.n_columns != 1 else ''}; paste two, x and y (File › Open "
                    "data chooses x, y and σ among more columns)"
                )
            # Numbers that do not tell their convention (1.234) are read the way this system writes them:
            # that is how a spreadsheet here copied them.
            fallback = "comma" if QLocale().decimalPoint() == "," else "point"
            loaded = dataset_from_table(table, 0, 1, name=before.name, source="pasted text", fallback=fallback)
            pasted = loaded.dataset
            if replace:
                names = (pasted.x_name, pasted.y_name) if table.has_header else (before.x_name, before.y_name)
                dataset = Dataset(pasted.x, pasted.y, before.name, None, *names, pasted.x_is_date)
            else:
                if before.n and pasted.x_is_date != before.x_is_date:
                    kinds = ("dates", "numbers") if pasted.x_is_date else ("numbers", "dates")
                    return self._refuse_paste(
                        f"the pasted x are {kinds[0]} but the data's x are {kinds[1]}: paste them with "
                        "Paste points, replacing all, or as a new file (File › Open data)"
                    )
                if not before.n:
                    before = Dataset([], [], before.name, None, pasted.x_name, pasted.y_name, pasted.x_is_date)
                dataset = before.with_points(pasted.x, pasted.y)
        except DataError as exc:
            return self._refuse_paste(str(exc))
        points = f"{pasted.n:,} point{'s' if pasted.n != 1 else ''}"
        if replace:
            self.dataReplaceRequested.emit(dataset, f"Paste {points}, replacing all")
        else:
            self.dataExtendRequested.emit(dataset, f"Paste {points}")
        if self._doc.dataset is not dataset:
            return False  # refused (and the notice said why)
        self.select_row(0 if replace else before.n)
        message = f"Pasted {points}" + (" in place of the old data." if replace else f" after point {before.n}.")
        self.noticeRequested.emit("info", " ".join([message, *(f"Note: {n}." for n in loaded.notices)]))
        return True

    def _refuse_paste(self, why: str) -> bool:
        self.noticeRequested.emit("warning", f"Nothing pasted: {why}.")
        return False

    # -- handlers ----------------------------------------------------------------------------------
    @Slot()
    def _on_paste_triggered(self) -> None:
        self.paste_text(QApplication.clipboard().text())

    @Slot()
    def _on_paste_replace_triggered(self) -> None:
        self.paste_text(QApplication.clipboard().text(), replace=True)

    @Slot()
    def _on_add_clicked(self) -> None:
        before = self._doc.dataset.n
        self.pointAddRequested.emit(*self.next_point_position())
        if self._doc.dataset.n == before + 1:
            self.select_row(before)

    @Slot()
    def _on_remove_clicked(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        self.pointsRemoveRequested.emit(list(rows))
        if self._doc.dataset.n:
            self.select_row(min(rows[0], self._doc.dataset.n - 1))

    @Slot()
    def _on_clear_clicked(self) -> None:
        self.clearRequested.emit()

    @Slot()
    def _on_generate_clicked(self) -> None:
        dialog = GenerateDialog(self.generate_settings, self)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            self.generate_settings = dialog.settings()
            dataset = dialog.generated_dataset()
        finally:
            dialog.deleteLater()
        self.dataReplaceRequested.emit(dataset, "Generate points")

    @Slot()
    def _on_selection_changed(self) -> None:
        self._update_controls()

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.row() if current.isValid() else -1
        if row != self._current_row:
            self._current_row = row
            self.rowSelected.emit(row)

    @Slot()
    def _on_model_reset(self) -> None:
        # A reset clears selection and current index without signals: say so ourselves.
        if self._current_row != -1:
            self._current_row = -1
            self.rowSelected.emit(-1)
        self._update_controls()

    def _update_controls(self) -> None:
        n = self._doc.dataset.n
        self.count_label.setText("No points" if n == 0 else f"{n:,} point{'s' if n != 1 else ''}")
        self.remove_button.setEnabled(self.table.selectionModel().hasSelection())
        self.clear_button.setEnabled(n > 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Delete/Backspace in the table removes the selected rows (ahead of any window shortcut)."""
        if (
            watched is self.table
            and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
            and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
            and not event.modifiers()
        ):
            if event.type() == QEvent.Type.ShortcutOverride:
                event.accept()
            else:
                self._on_remove_clicked()
            return True
        return super().eventFilter(watched, event)

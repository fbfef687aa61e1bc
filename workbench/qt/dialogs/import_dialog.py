"""File › Open data: see a file's columns, choose x, y and σ, and open it — or read exactly why it cannot be.

The first rows show at once (``preview_table``); a file with more rows is read in full in the background
(``TableLoader``) with a progress bar, while the user already chooses columns.  Open is enabled only once
the whole file has been read without error and the choice makes a dataset, so every error (file, line,
column, reason) is seen here, before anything changes.  Cancel or closing stops the read; nothing changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.fitting.data import Dataset
from workbench.fitting.table import DataError, Table
from workbench.fitting.table_preview import TablePreview, preview_table, select_columns
from workbench.qt.tasks.load_worker import TableLoader

PLOT_POINTS = 2000  # the little plot thins larger sets: it only has to show the shape
_DELIMITERS = {
    ",": "Comma-separated",
    ";": "Semicolon-separated (decimal commas allowed)",
    "\t": "Tab-separated",
    " ": "Whitespace-separated",
}
_SIGMA_NAMES = re.compile(r"^(σ|sigma|s_?y|dy|err|error|yerr|y_?err|uncertainty|std|stdev|sd)\b", re.IGNORECASE)


def guess_columns(names: tuple[str, ...]) -> tuple[int, int, int | None]:
    """Default x, y and σ columns: headers named x, y and sigma/err/… if present, else the first two."""
    lowered = [n.strip().lower() for n in names]
    x = lowered.index("x") if "x" in lowered else 0
    y = lowered.index("y") if "y" in lowered and lowered.index("y") != x else (1 if x != 1 else 0)
    y = min(y, len(names) - 1)  # a single column: the choice then says it needs two
    sigma = next((j for j, n in enumerate(names) if j not in (x, y) and _SIGMA_NAMES.match(n.strip())), None)
    return x, y, sigma


class _PreviewModel(QAbstractTableModel):
    """The preview rows as a read-only table; column headers say which role (x, y, σ) a column has."""

    def __init__(self, table: Table, parent=None):
        super().__init__(parent)
        self._table = table
        self.roles: dict[int, str] = {}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._table.n_rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._table.n_columns

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return format(float(self._table.values[index.row(), index.column()]), ".10g")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802 - Qt API
        role: int = Qt.ItemDataRole.DisplayRole,
    ):
        if orientation == Qt.Orientation.Horizontal:
            name = self._table.names[section]
            if role == Qt.ItemDataRole.DisplayRole:
                tag = self.roles.get(section)
                return f"{name}\n→ {tag}" if tag else f"{name}\n"
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"Column {section + 1}: {name}"
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


class ImportDialog(QDialog):
    """Preview a data file, choose its x, y and optional σ columns, and (when all is well) open it."""

    def __init__(self, path, parent: QWidget | None = None, *, columns: tuple[int, int, int | None] | None = None):
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.path = str(path)
        self.setWindowTitle(f"Open data — {Path(self.path).name}")
        self.preview: TablePreview | None = None
        self.table: Table | None = None  # the whole file, once read
        self._error: DataError | None = None  # the file cannot be read
        self._choice_error: DataError | None = None
        self.result_dataset: Dataset | None = None  # what Open accepted
        self.loader = TableLoader(self)
        self._build()
        self.loader.progressed.connect(self._on_loader_progressed)
        self.loader.loaded.connect(self._on_loader_loaded)
        self.loader.failed.connect(self._on_loader_failed)
        self.finished.connect(self._on_finished)
        self._read(columns)

    # -- construction -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.path_label = QLabel(objectName="importPathLabel")
        self.path_label.setText(self.path)
        self.path_label.setToolTip(self.path)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.format_label = QLabel(objectName="importFormatLabel")
        self.format_label.setToolTip("The separator and header row found in the file, and its number of rows.")
        self.preview_view = QTableView(objectName="importPreviewTable")
        self.preview_view.setToolTip("The first rows of the file as numbers; the row labels are line numbers.")
        self.preview_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_view.setAlternatingRowColors(True)
        self.preview_view.setMinimumWidth(380)
        self.x_combo = self._combo("importXCombo", "The column that holds x.")
        self.y_combo = self._combo("importYCombo", "The column that holds y.")
        self.sigma_combo = self._combo(
            "importSigmaCombo",
            "The column that holds each y's uncertainty σ "
            "(weights 1/σ²; every σ must be > 0), or none for an unweighted fit.",
        )
        self.plot = pg.PlotWidget(objectName="importPlot")
        self.plot.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.plot.setMinimumSize(240, 170)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setToolTip(f"The chosen columns (at most {PLOT_POINTS:,} points drawn here; all are opened).")
        self._points = self.plot.plot(pen=None, symbol="o", symbolSize=4, symbolPen=None, symbolBrush=(40, 110, 220))
        self.summary_label = QLabel(objectName="importSummaryLabel")
        self.summary_label.setWordWrap(True)
        self.summary_label.setToolTip("What opening will give: the number of points and their ranges.")
        self.progress = QProgressBar(objectName="importProgressBar")
        self.progress.setRange(0, 100)
        self.progress.setToolTip("Reading the whole file; you can choose columns meanwhile.")
        self.progress.setVisible(False)
        self.error_label = QLabel(objectName="importErrorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet(
            "QLabel { background: #f8d7da; color: #6b0f1a; padding: 6px; border-radius: 4px; }"
        )
        self.error_label.setToolTip("Why the file cannot be opened with this choice (file, line, column).")
        self.error_label.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, objectName="importButtons"
        )
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setObjectName("importOpenButton")
        self.open_button.setToolTip("Replace the data with the chosen columns (undo brings the old data back).")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("importCancelButton")
        cancel.setToolTip("Close without opening anything; the data stays as it is.")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for combo in (self.x_combo, self.y_combo, self.sigma_combo):
            combo.currentIndexChanged.connect(self._on_choice_changed)

        form = QFormLayout()
        form.addRow("&x column:", self.x_combo)
        form.addRow("&y column:", self.y_combo)
        form.addRow("&σ column:", self.sigma_combo)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addWidget(self.plot, 1)
        side.addWidget(self.summary_label)
        middle = QHBoxLayout()
        middle.addWidget(self.preview_view, 3)
        middle.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.path_label)
        layout.addWidget(self.format_label)
        layout.addLayout(middle, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(780, 500)

    def _combo(self, name: str, tip: str) -> QComboBox:
        combo = QComboBox(objectName=name)
        combo.setToolTip(tip)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return combo

    # -- reading ----------------------------------------------------------------------------------
    def _read(self, columns: tuple[int, int, int | None] | None) -> None:
        try:
            self.preview = preview_table(self.path)
        except DataError as exc:
            self._error = exc
            self.format_label.setText("The file cannot be read.")
            self._update()
            return
        table = self.preview.table
        self.preview_model = _PreviewModel(table, self)
        self.preview_view.setModel(self.preview_model)
        self.preview_view.resizeColumnsToContents()
        for combo in (self.x_combo, self.y_combo, self.sigma_combo):
            combo.blockSignals(True)  # no half-filled choice: set_choice below sets all three
            if combo is self.sigma_combo:
                combo.addItem("none", None)
            for j, name in enumerate(table.names):
                combo.addItem(f"{j + 1}: {name}", j)
            combo.blockSignals(False)
        self.set_choice(*(columns if columns is not None else guess_columns(table.names)))
        if self.preview.complete:
            self.table = table  # the preview read the whole file with the same parser
        else:
            self.progress.setVisible(True)
            self.loader.start(self.path)
        self._update()

    @Slot(float)
    def _on_loader_progressed(self, fraction: float) -> None:
        self.progress.setValue(round(100 * fraction))

    @Slot(object, str)
    def _on_loader_loaded(self, table: Table, _path: str) -> None:
        self.table = table
        self.progress.setVisible(False)
        self._update()

    @Slot(object)
    def _on_loader_failed(self, error: DataError) -> None:
        self._error = error
        self.progress.setVisible(False)
        self._update()

    # -- the choice -------------------------------------------------------------------------------
    def choice(self) -> tuple[int, int, int | None]:
        """The chosen x, y and σ columns (0-based; σ None for none)."""
        return self.x_combo.currentData(), self.y_combo.currentData(), self.sigma_combo.currentData()

    def set_choice(self, x: int, y: int, sigma: int | None = None) -> None:
        """Choose the x, y and σ columns (0-based; σ None for none), as the combo boxes would."""
        for combo, value in ((self.x_combo, x), (self.y_combo, y), (self.sigma_combo, sigma)):
            index = combo.findData(value)
            if index < 0 and value is not None:
                raise IndexError(f"column {value + 1} does not exist (the file has {self.x_combo.count()})")
            combo.blockSignals(True)
            combo.setCurrentIndex(index if index >= 0 else 0)
            combo.blockSignals(False)
        self._on_choice_changed()

    def error(self) -> DataError | None:
        """Why the file, or the file with this choice, cannot be opened (None when it can, or may yet)."""
        return self._error or self._choice_error

    def can_open(self) -> bool:
        """True once the whole file is read and the choice makes a dataset."""
        return self.table is not None and self.error() is None

    def dataset(self) -> Dataset | None:
        """The dataset Open gives (named after the file), or None while it cannot be opened."""
        if not self.can_open():
            return None
        x, y, sigma = select_columns(self.table, *self.choice(), source=self.path)
        try:
            return Dataset(x, y, Path(self.path).stem, sigma=sigma)
        except DataError as exc:  # a rule of Dataset's that the checks above do not know yet
            self._choice_error = DataError(exc.reason, path=self.path)
            self._update_controls()
            return None

    def accept(self) -> None:
        """Close with Open only when there is a dataset to open (else the reason stays on show)."""
        self.result_dataset = self.dataset()
        if self.result_dataset is not None:
            super().accept()

    def shutdown(self) -> None:
        """Stop the background read and wait for its thread."""
        self.loader.shutdown()

    @Slot()
    def _on_choice_changed(self) -> None:
        self._update()

    def _update(self) -> None:
        table = self.table if self.table is not None else (self.preview.table if self.preview else None)
        self._choice_error = None
        values = None
        if table is not None and self._error is None:
            try:
                values = select_columns(table, *self.choice(), source=self.path)
            except DataError as exc:
                self._choice_error = exc
        self._show_format()
        self._show_values(values)
        self._update_controls()

    def _update_controls(self) -> None:
        error = self.error()
        self.error_label.setText("" if error is None else f"✖ Cannot open: {error}")
        self.error_label.setVisible(error is not None)
        for combo in (self.x_combo, self.y_combo, self.sigma_combo):
            combo.setEnabled(self.preview is not None and self._error is None)
        self.open_button.setEnabled(self.can_open())

    def _show_format(self) -> None:
        if self.preview is None:
            return
        table = self.preview.table
        header = "a header row" if table.has_header else "no header row"
        if self.table is not None:
            rows = f"{self.table.n_rows:,} rows"
        elif self._error is not None:
            rows = "not readable in full"
        else:
            rows = f"about {self.preview.estimated_rows:,} rows — reading…"
        self.format_label.setText(f"{_DELIMITERS[table.delimiter]}, {header}, {table.n_columns} columns, {rows}")
        choice = self.choice()
        roles = {index: role for role, index in zip(("x", "y", "σ"), choice) if index is not None}
        self.preview_model.set_roles(roles)

    def _show_values(self, values) -> None:
        if values is None:
            self._points.setData([], [])
            self.summary_label.setText("")
            return
        x, y, sigma = values
        step = max(1, len(x) // PLOT_POINTS)
        self._points.setData(x[::step], y[::step])
        whole = self.table is not None
        text = (f"{len(x):,} points" if whole else f"First {len(x):,} rows") + (
            f" · x from {x.min():.6g} to {x.max():.6g} · y from {y.min():.6g} to {y.max():.6g}"
        )
        if sigma is not None:
            text += f" · σ from {sigma.min():.3g} to {sigma.max():.3g}"
        self.summary_label.setText(text)

    @Slot()
    def _on_finished(self) -> None:
        self.loader.cancel()
        self.shutdown()

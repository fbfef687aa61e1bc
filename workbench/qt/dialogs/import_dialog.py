"""File › Open data: see a file's columns, choose x, y and σ, and open it — or read exactly why it cannot be.

The first rows show at once (``preview_table``); a file with more rows is read in full in the background
(``TableLoader``) with a progress bar, while the user already chooses columns.  Open is enabled only once
the whole file has been read without error and the choice makes a dataset, so every error (file, line,
column, reason) is seen here, before anything changes.  Cancel or closing stops the read; nothing changes.

Beside the columns: *Numbers* (detected from the numbers, or 1,234.5 or 1.234,5 as the user says) and
*Skip bad rows* (rows with an empty or unreadable chosen cell are left out and named).  Notices say what
the reading found: an encoding other than UTF-8, the rows skipped, thousands separators.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
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

from workbench.fitting.data import Dataset, LoadedDataset, dataset_from_table
from workbench.fitting.dates import format_decimal_year
from workbench.fitting.number_format import COMMA_READING, POINT_READING, Reading
from workbench.fitting.table import DATE, NUMBER, TEXT, DataError, Table
from workbench.fitting.table_preview import TablePreview, preview_table
from workbench.qt.dialogs.import_preview import PreviewModel
from workbench.qt.tasks.load_worker import TableLoader
from workbench.qt.tasks.runner import TaskRunner
from workbench.qt.views.date_axis import XAxis

PLOT_POINTS = 2000  # the little plot thins larger sets: it only has to show the shape
_DELIMITERS = {",": "Comma-separated", ";": "Semicolon-separated", "\t": "Tab-separated", " ": "Whitespace-separated"}
DECIMAL_CHOICES = (
    ("Detect from the numbers", "auto"),
    ("1,234.5 — decimal point", "point"),
    ("1.234,5 — decimal comma", "comma"),
)
_SIGMA_NAMES = re.compile(r"^(σ|sigma|s_?y|dy|err|error|yerr|y_?err|uncertainty|std|stdev|sd)\b", re.IGNORECASE)


def guess_columns(names: tuple[str, ...], kinds: tuple[str, ...] | None = None) -> tuple[int, int, int | None]:
    """Default x, y and σ columns: headers named x, y and sigma/err/… if present, else the first two
    columns of numbers or dates (y not a date); text columns only when there is nothing else."""
    kinds = kinds or (NUMBER,) * len(names)
    lowered = [n.strip().lower() for n in names]
    usable = [j for j, k in enumerate(kinds) if k != TEXT] or list(range(len(names)))
    first, second = (usable + usable[:1])[:2]
    x = lowered.index("x") if "x" in lowered else first
    y = second if second != x else first  # a single column: the choice then says it needs two
    if kinds[y] == DATE:
        y = next((j for j in usable if j != x and kinds[j] == NUMBER), y)
    if "y" in lowered and lowered.index("y") != x:
        y = lowered.index("y")
    sigma = next(
        (j for j, n in enumerate(names) if j not in (x, y) and kinds[j] == NUMBER and _SIGMA_NAMES.match(n.strip())),
        None,
    )
    return x, y, sigma


class ImportDialog(QDialog):
    """Preview a data file, choose its x, y and optional σ columns, and (when all is well) open it."""

    def __init__(
        self,
        path,
        parent: QWidget | None = None,
        *,
        columns: tuple[int, int, int | None] | None = None,
        runner: TaskRunner | None = None,
    ):
        """``runner``: the window's task runner, which reads a big file on a thread (default: the dialog's own)."""
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.path = str(path)
        self.setWindowTitle(f"Open data — {Path(self.path).name}")
        self.preview: TablePreview | None = None
        self.table: Table | None = None  # the whole file, once read
        self._error: DataError | None = None  # the file cannot be read
        self._choice_error: DataError | None = None
        self._loaded: LoadedDataset | None = None  # the choice made of the table shown (preview or whole)
        self.result_dataset: Dataset | None = None  # what Open accepted
        self.loader = TableLoader(runner if runner is not None else TaskRunner(self), self)
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
        self.format_label.setToolTip(
            "The separator, header row and text encoding found in the file, and its number of rows."
        )
        self.preview_view = QTableView(objectName="importPreviewTable")
        self.preview_view.setToolTip(
            "The first rows of the file as they are read (numbers, dates, text); unreadable cells in red. "
            "The row labels are line numbers."
        )
        self.preview_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_view.setAlternatingRowColors(True)
        self.preview_view.setMinimumWidth(380)
        self.x_combo = self._combo("importXCombo", "The column that holds x: numbers, or ISO dates (2020-07-02).")
        self.y_combo = self._combo("importYCombo", "The column that holds y.")
        self.sigma_combo = self._combo(
            "importSigmaCombo",
            "The column that holds each y's uncertainty σ "
            "(weights 1/σ²; every σ must be > 0), or none for an unweighted fit.",
        )
        self.decimal_combo = self._combo(
            "importDecimalCombo",
            "How the file writes numbers. Detected from the numbers: 255,84 has a decimal comma, 1.5 a "
            "decimal point; a file whose numbers are all like 1.260 (1.26, or 1260 with a thousands dot) "
            "needs your choice.",
        )
        for text, value in DECIMAL_CHOICES:
            self.decimal_combo.addItem(text, value)
        self.skip_check = QCheckBox("Skip &bad rows", objectName="importSkipBadRowsCheck")
        self.skip_check.setToolTip(
            "Leave out the rows whose x, y or σ cell is empty or not a number (or date), and say which; "
            "unchecked, the first such row stops the import with its line."
        )
        self.plot = pg.PlotWidget(axisItems={"bottom": XAxis()})
        self.plot.setObjectName("importPlot")
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
        self.notice_label = QLabel(objectName="importNoticeLabel")
        self.notice_label.setWordWrap(True)
        self.notice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice_label.setStyleSheet(
            "QLabel { background: #fff3cd; color: #5c4400; padding: 6px; border-radius: 4px; }"
        )
        self.notice_label.setToolTip("What reading the file found: its encoding, rows skipped, number format.")
        self.notice_label.setVisible(False)
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
        for combo in (self.x_combo, self.y_combo, self.sigma_combo, self.decimal_combo):
            combo.currentIndexChanged.connect(self._on_choice_changed)
        self.skip_check.toggled.connect(self._on_choice_changed)

        form = QFormLayout()
        form.addRow("&x column:", self.x_combo)
        form.addRow("&y column:", self.y_combo)
        form.addRow("&σ column:", self.sigma_combo)
        form.addRow("&Numbers:", self.decimal_combo)
        form.addRow("", self.skip_check)
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
        layout.addWidget(self.notice_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(820, 540)

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
        self.preview_model = PreviewModel(self.preview, self)
        self.preview_view.setModel(self.preview_model)
        self.preview_view.resizeColumnsToContents()
        for combo in (self.x_combo, self.y_combo, self.sigma_combo):
            combo.blockSignals(True)  # no half-filled choice: set_choice below sets all three
            if combo is self.sigma_combo:
                combo.addItem("none", None)
            for j, column in enumerate(table.columns):
                suffix = {NUMBER: "", DATE: " (dates)", TEXT: " (text)"}[column.kind]
                combo.addItem(f"{j + 1}: {column.name}{suffix}", j)
            combo.blockSignals(False)
        kinds = tuple(column.kind for column in table.columns)
        self.set_choice(*(columns if columns is not None else guess_columns(table.names, kinds)))
        if self.preview.complete:
            self.table = table  # the preview read the whole file with the same reader
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

    def decimal(self) -> str:
        """How numbers are read: 'auto', 'point' or 'comma'."""
        return self.decimal_combo.currentData()

    def set_decimal(self, decimal: str) -> None:
        """Choose how numbers are read ('auto', 'point' or 'comma'), as the Numbers box would."""
        index = self.decimal_combo.findData(decimal)
        if index < 0:
            raise ValueError(f"decimal must be 'auto', 'point' or 'comma', not {decimal!r}")
        self.decimal_combo.setCurrentIndex(index)

    def error(self) -> DataError | None:
        """Why the file, or the file with this choice, cannot be opened (None when it can, or may yet)."""
        return self._error or self._choice_error

    def notices(self) -> tuple[str, ...]:
        """What reading found that the user should know (encoding, skipped rows, number format)."""
        if self._loaded is not None:
            return self._loaded.notices
        table = self.table if self.table is not None else (self.preview.table if self.preview else None)
        return table.notices if table is not None else ()

    def can_open(self) -> bool:
        """True once the whole file is read and the choice makes a dataset."""
        return self.table is not None and self.error() is None and self._loaded is not None

    def dataset(self) -> Dataset | None:
        """The dataset Open gives (named after the file), or None while it cannot be opened."""
        return self._loaded.dataset if self.can_open() else None

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
        self._loaded = None
        if table is not None and self._error is None:
            try:
                self._loaded = dataset_from_table(
                    table,
                    *self.choice(),
                    name=Path(self.path).stem,
                    decimal=self.decimal(),
                    skip_bad_rows=self.skip_check.isChecked(),
                    source=self.path,
                )
            except DataError as exc:
                self._choice_error = exc
        self._show_format()
        self._show_values()
        self._update_controls()

    def _update_controls(self) -> None:
        error = self.error()
        self.error_label.setText("" if error is None else f"✖ Cannot open: {error}")
        self.error_label.setVisible(error is not None)
        notices = self.notices()
        whole = self.table is not None
        self.notice_label.setText(
            "\n".join(f"⚠ {n[:1].upper()}{n[1:]}{'' if whole else ' (in the first rows)'}." for n in notices)
        )
        self.notice_label.setVisible(bool(notices) and self._error is None)
        readable = self.preview is not None and self._error is None
        for widget in (self.x_combo, self.y_combo, self.sigma_combo, self.decimal_combo, self.skip_check):
            widget.setEnabled(readable)
        self.open_button.setEnabled(self.can_open())

    def _show_format(self) -> None:
        if self.preview is None:
            return
        table = self.preview.table
        header = "a header row" if table.has_header else "no header row"
        if self.table is not None:
            rows = f"{self.table.n_rows:,} rows"
            encoding = self.table.encoding
        elif self._error is not None:
            rows, encoding = "not readable in full", table.encoding
        else:
            rows, encoding = f"about {self.preview.estimated_rows:,} rows — reading…", table.encoding
        self.format_label.setText(
            f"{_DELIMITERS[table.delimiter]}, {header}, {table.n_columns} columns, {rows}, {encoding} text"
        )
        choice = self.choice()
        roles = {index: role for role, index in zip(("x", "y", "σ"), choice) if index is not None}
        self.preview_model.set_roles(roles)
        self.preview_model.set_reading(self._reading())

    def _reading(self) -> Reading | None:
        """The convention the preview shows: the one settled for the choice, or the one chosen."""
        if self.decimal() != "auto":
            return Reading(**(POINT_READING if self.decimal() == "point" else COMMA_READING), chosen=True)
        return None if self._loaded is None else self._loaded.reading

    def _show_values(self) -> None:
        if self._loaded is None:
            self._points.setData([], [])
            self.summary_label.setText("")
            return
        data = self._loaded.dataset
        x, y, sigma = data.x, data.y, data.sigma
        self.plot.getPlotItem().getAxis("bottom").show_dates(data.x_is_date)
        step = max(1, len(x) // PLOT_POINTS)
        self._points.setData(x[::step], y[::step])
        whole = self.table is not None
        show_x = format_decimal_year if data.x_is_date else (lambda v: format(v, ".6g"))
        text = (f"{len(x):,} points" if whole else f"First {len(x):,} rows") + (
            f" · x from {show_x(x.min())} to {show_x(x.max())} · y from {y.min():.6g} to {y.max():.6g}"
        )
        if sigma is not None:
            text += f" · σ from {sigma.min():.3g} to {sigma.max():.3g}"
        self.summary_label.setText(text)

    @Slot()
    def _on_finished(self) -> None:
        self.loader.cancel()
        self.shutdown()

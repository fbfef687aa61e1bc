"""The fit report: what a statistics package prints under a least-squares fit.

A view of the document: it reads, never writes.  For a polynomial the report is of the *exact*
least-squares fit (``stats.fit_report``), so it is recomputed when the data or the model change, not
when the knobs move; large data sets (> ``MAX_EAGER_POINTS``) are only computed while the panel is
visible.  For a formula it is of the Levenberg–Marquardt fit (``NonlinearFit``, the document's landmark
once the user pressed Solve), one row per named parameter.  Weighted fits show χ² and reduced χ², and
say that RMSE and residual SD are in units of σ.  Numbers are written by the one formatter in the
user's locale; "Copy as text" and File › Export write every digit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.fitting.report_export import NO_FORMULA_STATISTICS, Report, ReportData, is_formula, report_text
from workbench.fitting.report_export import summary_rows as report_summary_rows
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.number_style import app_numbers
from workbench.qt.views.redraw import on_screen, watch_on_screen

MAX_EAGER_POINTS = 100_000
"""Above this many points the report is computed only while the panel is visible."""

HEADER = "Exact least-squares fit of the current data and degree (not the knobs' curve)."
FORMULA_HEADER = "Levenberg–Marquardt fit of the formula (the dashed curve; not the knobs' curve)."
NOT_FOR_NET = (
    "The statistical report is not available for the neural net: it describes a least-squares fit of a "
    "polynomial or a formula."
)


class ReportPanel(QWidget):
    """Coefficients (or a formula's parameters) with standard errors and t values, R², RMSE, dof, χ² when
    weighted, warnings; copyable as text."""

    def __init__(self, document: FitDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reportPanel")
        self.document = document
        self.report: Report | None = None
        self.message: str | None = None  # why there is no report (net model, no data, too large…)
        self._stale = True

        self.header = QLabel(HEADER)
        self.header.setObjectName("reportHeader")
        self.header.setWordWrap(True)
        self.header.setStyleSheet("color: gray;")
        self.message_label = QLabel()
        self.message_label.setObjectName("reportMessage")
        self.message_label.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("reportTable")
        self.table.setHorizontalHeaderLabels(["coefficient", "std. error", "t value"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(90)
        self.summary = QLabel()
        self.summary.setObjectName("reportSummary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        self.why_label = QLabel()
        self.why_label.setObjectName("reportWhy")
        self.why_label.setWordWrap(True)
        self.warnings_label = QLabel()
        self.warnings_label.setObjectName("reportWarnings")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet(
            "QLabel { background: #fff1dc; color: #7a4100; border: 1px solid #f0a030; "
            "border-radius: 3px; padding: 3px; }"
        )
        self.copy_button = QPushButton("Copy as text")
        self.copy_button.setObjectName("copyReportButton")
        self.copy_button.setToolTip("Copy the report as plain text to the clipboard")
        self.copy_button.clicked.connect(self.copy_to_clipboard)

        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        for w in (self.header, self.message_label, self.table, self.summary, self.why_label, self.warnings_label):
            layout.addWidget(w)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.copy_button)
        self._button_row = row
        layout.addLayout(row)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        document.dataChanged.connect(self._invalidate)
        document.modelChanged.connect(self._invalidate)
        document.factsChanged.connect(self._on_facts_changed)
        document.overlaysChanged.connect(self._on_overlays_changed)  # a formula's Solve sets its landmark
        # Its dock is a tab: behind another one it is off screen but not hidden (see redraw.py).
        self._screen_watch = watch_on_screen(self, self._on_shown)
        self.refresh()

    # -- computing ----------------------------------------------------------------------------------
    @Slot()
    def _invalidate(self) -> None:
        self._stale = True
        if self.document.dataset.n <= MAX_EAGER_POINTS or on_screen(self):
            self.refresh()

    @Slot()
    def _on_facts_changed(self) -> None:
        if self.report is None and self.document.report is not None:
            self._invalidate()  # big data's report arrived

    @Slot()
    def _on_overlays_changed(self) -> None:
        if self.document.state.model == "formula" and self.document.landmark is not self.report:
            self.refresh()

    def _on_shown(self) -> None:
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Recompute the report from the document's data and degree, and redraw."""
        self._stale = False
        doc = self.document
        state, data = doc.state, doc.dataset
        self.report, self.message = None, None
        if state.model == "mlp":
            self.message = NOT_FOR_NET
        elif data.n == 0:
            self.message = "No data points: add points to see the report."
        elif state.model == "formula":
            self.report = doc.landmark  # Levenberg–Marquardt's fit, once solved
            if self.report is None:
                self.message = NO_FORMULA_STATISTICS
        elif data.n > MAX_EAGER_POINTS and not on_screen(self):
            self._stale = True
            self.message = f"{app_numbers().counted(data.n, 'point')}: the report is computed when this panel is shown."
        else:
            try:
                self.report = doc.report  # weighted by 1/σ² when the data have σ
            except ValueError as exc:
                self.message = str(exc)
            if self.report is None and self.message is None:
                self.message = (
                    f"{app_numbers().counted(data.n, 'point')}: the report is being computed in the background."
                )
        self._show()

    # -- drawing ------------------------------------------------------------------------------------
    def _show(self) -> None:
        r = self.report
        formula = r is not None and is_formula(r)
        self.header.setText(FORMULA_HEADER if self.document.state.model == "formula" else HEADER)
        self.message_label.setText(self.message or "")
        self.message_label.setVisible(bool(self.message))
        self.table.setVisible(r is not None)
        self.summary.setVisible(r is not None)
        self.copy_button.setEnabled(r is not None)
        if r is None:
            self.table.setRowCount(0)
            self.why_label.hide()
            self.warnings_label.hide()
            return
        numbers = app_numbers()
        names = list(r.names) if formula else [f"k{i}" for i in range(r.degree + 1)]
        ses, ts = r.standard_errors, r.t_values
        self.table.setHorizontalHeaderLabels(["estimate" if formula else "coefficient", "std. error", "t value"])
        self.table.setRowCount(len(names))
        self.table.setVerticalHeaderLabels(names)
        for i in range(len(names)):
            cells = (r.coefficients[i], None if ses is None else ses[i], None if ts is None else ts[i])
            for j, value in enumerate(cells):
                item = QTableWidgetItem(numbers.statistic(None if value is None else float(value)))
                item.setData(Qt.ItemDataRole.UserRole, None if value is None else float(value))
                item.setToolTip("" if value is None else repr(float(value)))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.summary.setText("<br>".join(f"{name}: {value}" for name, value in self.summary_rows()))
        self.why_label.setText(f"Standard errors unavailable: {r.why}" if r.why else "")
        self.why_label.setVisible(bool(r.why))
        self.warnings_label.setText("\n".join(f"⚠ {w}" for w in r.warnings))
        self.warnings_label.setVisible(bool(r.warnings))

    def summary_rows(self) -> list[tuple[str, str]]:
        """(label, text) of the report's single numbers as the panel shows them (the same labels as the
        exports; N counts the points held out for validation too)."""
        r = self.report
        if r is None:
            return []
        numbers = app_numbers()
        about = self.report_data()
        rows = []
        for key, label, value in report_summary_rows(r):
            if key in ("rss", "rank", "degree", "stop_reason"):
                continue  # in the exports; the panel keeps to what a reader looks for
            if key == "n_points":
                text = numbers.count(int(value))
                if about.held_out:
                    text += f" ({numbers.count(about.held_out)} more held out for validation)"
            elif isinstance(value, int):
                text = numbers.count(value)
            else:
                text = numbers.statistic(value)
            rows.append((label, text))
        if r.weighted:
            rows.append(
                (
                    "weights 1/σ²",
                    "RMSE and residual SD are in units of σ; reduced χ² ≈ 1 when the σ describe the scatter",
                )
            )
        return rows

    def report_data(self) -> ReportData:
        """What the report is of: the data's column names and the points held out for validation."""
        state = self.document.state
        split = state.split_indices()
        return ReportData.of(state.dataset, 0 if split is None else int(split[1].size))

    def as_text(self) -> str:
        """The report as plain text (what "Copy as text" copies; the same text File › Export writes)."""
        if self.report is None:
            return self.message or ""
        header = FORMULA_HEADER if is_formula(self.report) else HEADER
        return f"{header}\n{report_text(self.report, self.report_data())}"

    def add_export_button(self, actions) -> QToolButton:
        """An "Export" button beside "Copy as text" whose menu triggers the window's own ``actions``
        (report as CSV/JSON/text, copy formula): one implementation, two ways in."""
        button = QToolButton(objectName="exportReportButton", text="Export")
        button.setToolTip(
            "Save the report as CSV, JSON or text, or copy the fitted formula "
            "(also under File › Export and Edit › Copy formula)"
        )
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        menu.setToolTipsVisible(True)
        menu.addActions(list(actions))
        button.setMenu(menu)
        self._button_row.addWidget(button)
        return button

    @Slot()
    def copy_to_clipboard(self) -> None:
        """Put the plain-text report on the clipboard."""
        QGuiApplication.clipboard().setText(self.as_text())

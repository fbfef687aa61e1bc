"""The fit report: what a statistics package prints under a least-squares polynomial fit.

A view of the document: it reads the data and the degree, never writes.  The report is of the *exact*
least-squares fit (``stats.fit_report``), so it is recomputed when the data or the model change, not
when the knobs move.  Large data sets (> ``MAX_EAGER_POINTS``) are only computed while the panel is
visible.
"""

from __future__ import annotations

import math

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

from workbench.fitting.export import report_text
from workbench.fitting.stats import FitReport
from workbench.qt.app_state.document import FitDocument
from workbench.qt.views.redraw import on_screen, watch_on_screen

MAX_EAGER_POINTS = 100_000
"""Above this many points the report is computed only while the panel is visible."""

HEADER = "Exact least-squares fit of the current data and degree (not the knobs' curve)."


def _fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.6g}"


class ReportPanel(QWidget):
    """Coefficients with standard errors and t values, R², RMSE, dof, warnings; copyable as text."""

    def __init__(self, document: FitDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reportPanel")
        self.document = document
        self.report: FitReport | None = None
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

    def _on_shown(self) -> None:
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Recompute the report from the document's data and degree, and redraw."""
        self._stale = False
        doc = self.document
        state, data = doc.state, doc.dataset
        self.report, self.message = None, None
        if state.model != "polynomial":
            self.message = (
                "The statistical report is not available for the neural net: it describes a "
                "least-squares polynomial fit."
            )
        elif data.n == 0:
            self.message = "No data points: add points to see the report."
        elif data.n > MAX_EAGER_POINTS and not on_screen(self):
            self._stale = True
            self.message = f"{data.n} points: the report is computed when this panel is shown."
        else:
            try:
                self.report = doc.report  # weighted by 1/σ² when the data have σ
            except ValueError as exc:
                self.message = str(exc)
            if self.report is None and self.message is None:
                self.message = f"{data.n:,} points: the report is being computed in the background."
        self._show()

    # -- drawing ------------------------------------------------------------------------------------
    def _show(self) -> None:
        r = self.report
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
        ses, ts = r.standard_errors, r.t_values
        self.table.setRowCount(r.degree + 1)
        self.table.setVerticalHeaderLabels([f"k{i}" for i in range(r.degree + 1)])
        for i in range(r.degree + 1):
            cells = (r.coefficients[i], None if ses is None else ses[i], None if ts is None else ts[i])
            for j, value in enumerate(cells):
                item = QTableWidgetItem(_fmt(None if value is None else float(value)))
                item.setData(Qt.ItemDataRole.UserRole, None if value is None else float(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.summary.setText("<br>".join(f"{name}: {value}" for name, value in self._summary_rows(r)))
        self.why_label.setText(f"Standard errors unavailable: {r.why}" if r.why else "")
        self.why_label.setVisible(bool(r.why))
        self.warnings_label.setText("\n".join(f"⚠ {w}" for w in r.warnings))
        self.warnings_label.setVisible(bool(r.warnings))

    @staticmethod
    def _summary_rows(r: FitReport) -> list[tuple[str, str]]:
        return [
            ("R²", _fmt(r.r_squared)),
            ("adjusted R²", _fmt(r.adjusted_r_squared)),
            ("RMSE", _fmt(r.rmse)),
            ("residual SD", _fmt(r.residual_sd)),
            ("residual degrees of freedom", str(r.dof)),
            ("N", str(r.n_points)),
        ]

    def as_text(self) -> str:
        """The report as plain text (what "Copy as text" copies; the same text File › Export writes)."""
        if self.report is None:
            return self.message or ""
        return f"{HEADER}\n{report_text(self.report)}"

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

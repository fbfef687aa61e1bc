"""File › Export and Edit › Copy formula: the fit plot as PNG, SVG or PDF, the report as CSV, JSON or text,
the data as CSV, the fit as a Python script, and a curve's formula on the clipboard.

Copy formula copies the curve chosen under Edit › Copy formula › Curve (the knobs' curve, the last
gradient-descent result, or the exact optimum / Levenberg–Marquardt fit) and its notice names it.  The
report is that of the polynomial's exact fit or of the formula's Levenberg–Marquardt fit, named after
the data's columns and counting the points held out for validation.

Each export is a method that takes a path (what the tests drive) behind an action that asks for one,
in the last directory used.  Every file is written atomically (``workbench.fitting.atomic``): an
unwritable folder, a full disk, no points or no report gives a notice saying what went wrong and how to
fix it, and never a half-written file.  The pictures themselves are drawn by ``plot_export``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from workbench.fitting import export, report_export
from workbench.fitting.atomic import atomic_write_bytes, atomic_write_text
from workbench.fitting.data import DataError, save_dataset
from workbench.fitting.script_export import fit_script
from workbench.qt.app_state.document import FitDocument
from workbench.qt.window.plot_export import PNG_MIN_WIDTH, plot_pdf, plot_png, plot_svg

REPORT_FILES = {
    "csv": ("CSV", "CSV files (*.csv)", ".csv"),
    "json": ("JSON", "JSON files (*.json)", ".json"),
    "text": ("text", "Text files (*.txt)", ".txt"),
}
FORMULA_NAMES = {"text": "plain text", "latex": "LaTeX", "numpy": "a NumPy expression"}
FORMULA_CURVES = ("knobs", "gd", "landmark")  # which curve Copy formula copies (see ``curve_name``)
FIX_PATH = "Choose a folder you can write to, or close the program that holds the file."


class ExportActions(QObject):
    """The export and copy-formula actions of the main window, and the exports behind them."""

    notice = Signal(str, str)  # (level, message), as Controller.notice: the window shows both the same way

    def __init__(
        self,
        document: FitDocument,
        fit_plot: pg.PlotWidget,
        parent: QWidget,
        last_dir: Callable[[], Path],
        remember_dir: Callable[[str], None],
    ):
        super().__init__(parent)
        self.document = document
        self.fit_plot = fit_plot
        self._parent = parent
        self._last_dir = last_dir
        self._remember_dir = remember_dir
        self.actions: dict[str, QAction] = {}
        self.formula_curve = "knobs"
        add = self._add
        add(
            "png",
            "Fit plot as &PNG…",
            "exportPngAction",
            "Ctrl+E",
            f"Save the fit plot as a PNG image (at least {PNG_MIN_WIDTH} pixels wide)",
            lambda: self._ask(
                "Export the fit plot as PNG", "fit.png", "PNG images (*.png)", lambda p: self.export_plot(p, "png")
            ),
        )
        add(
            "svg",
            "Fit plot as &SVG…",
            "exportSvgAction",
            "Ctrl+Shift+E",
            "Save the fit plot as an SVG vector drawing (sharp at any size, editable in Inkscape)",
            lambda: self._ask(
                "Export the fit plot as SVG", "fit.svg", "SVG drawings (*.svg)", lambda p: self.export_plot(p, "svg")
            ),
        )
        add(
            "pdf",
            "Fit plot as P&DF…",
            "exportPdfAction",
            "Ctrl+Shift+F, P",
            "Save the fit plot as a one-page vector PDF (for papers and handouts)",
            lambda: self._ask(
                "Export the fit plot as PDF", "fit.pdf", "PDF documents (*.pdf)", lambda p: self.export_plot(p, "pdf")
            ),
        )
        for fmt, (name, pattern, suffix) in REPORT_FILES.items():
            add(
                f"report_{fmt}",
                f"Report as {'&' + name if fmt != 'text' else '&text'}…",
                # Chords (Ctrl+Shift+F, then C, J or T): the plain combinations are taken.
                f"exportReport{fmt.capitalize()}Action",
                "Ctrl+Shift+F, " + {"csv": "C", "json": "J", "text": "T"}[fmt],
                f"Save the fit report (coefficients with standard errors, R², RMSE, dof, warnings) as {name}",
                lambda f=fmt, n=name, pat=pattern, s=suffix: self._ask(
                    f"Export the fit report as {n}",
                    f"report{s}",
                    pat,
                    lambda p: self.export_report(p, f),
                    ready=lambda: self._report() is not None,
                ),
            )
        add(
            "data",
            "&Data as CSV…",
            "saveDataAction",
            "Ctrl+Shift+D",
            "Save the data points as a CSV file that re-imports to the very same numbers",
            lambda: self._ask(
                "Save the data as CSV", ".csv", "CSV files (*.csv)", self.export_data, ready=self._has_points
            ),
        )
        add(
            "script",
            "Fit as Python &script…",
            "exportScriptAction",
            "Ctrl+Shift+F, S",
            "Save a self-contained Python script with the data and the current curve: it reproduces the fit "
            "with NumPy and plots it with matplotlib",
            lambda: self._ask(
                "Export the fit as a Python script",
                "fit.py",
                "Python scripts (*.py)",
                self.export_script,
                ready=self._has_points,
            ),
        )
        for form, text, shortcut in (
            ("text", "&Plain text", "Ctrl+Shift+C"),
            ("latex", "&LaTeX", "Ctrl+Shift+L"),
            ("numpy", "&NumPy expression", "Ctrl+Shift+N"),
        ):
            add(
                f"formula_{form}",
                text,
                f"copyFormula{form.capitalize()}Action",
                shortcut,
                f"Copy the formula of the curve chosen under Curve (the knobs' curve unless you chose "
                f"another) in your x to the clipboard as {FORMULA_NAMES[form]}, every digit kept",
                lambda f=form: self.copy_formula(f),
            )
        self._curve_group = QActionGroup(self)
        for curve, text, name, key in (
            ("knobs", "Curve: the &knobs' curve", "copyFormulaCurveKnobsAction", "K"),
            ("gd", "Curve: the last &gradient-descent result", "copyFormulaCurveGdAction", "G"),
            (
                "landmark",
                "Curve: the &exact optimum (or Levenberg–Marquardt fit)",
                "copyFormulaCurveLandmarkAction",
                "O",
            ),
        ):
            add(
                f"curve_{curve}",
                text,
                name,
                f"Ctrl+Shift+F, {key}",
                "Copy formula copies this curve (the notice says which one was copied)",
                lambda c=curve: self.set_formula_curve(c),
            )
            action = self.actions[f"curve_{curve}"]
            action.setCheckable(True)
            action.setChecked(curve == self.formula_curve)
            self._curve_group.addAction(action)

    def _add(self, key, text, name, shortcut, tip, slot) -> None:
        action = QAction(text, self._parent)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.actions[key] = action

    def add_export_menu(self, menu: QMenu) -> QMenu:
        """File › Export: the plot, the report, the data and the fit as a script."""
        sub = menu.addMenu("&Export")
        sub.setObjectName("exportMenu")
        sub.setToolTipsVisible(True)
        for keys in (("png", "svg", "pdf"), ("report_csv", "report_json", "report_text"), ("data", "script")):
            if not sub.isEmpty():
                sub.addSeparator()
            for key in keys:
                sub.addAction(self.actions[key])
        return sub

    def add_copy_menu(self, menu: QMenu) -> QMenu:
        """Edit › Copy formula: the current curve in plain text, LaTeX or NumPy."""
        sub = menu.addMenu("Copy &formula")
        sub.setObjectName("copyFormulaMenu")
        sub.setToolTipsVisible(True)
        for form in export.FORMULA_FORMS:
            sub.addAction(self.actions[f"formula_{form}"])
        sub.addSeparator()
        for curve in FORMULA_CURVES:
            sub.addAction(self.actions[f"curve_{curve}"])
        return sub

    def report_actions(self) -> list[QAction]:
        """The report exports and the formula copies (for the report panel's Export button)."""
        return [
            self.actions[k]
            for k in ("report_csv", "report_json", "report_text", "formula_text", "formula_latex", "formula_numpy")
        ]

    # -- the exports (each returns True when done, else a notice said why) ----------------------------------
    def export_plot(self, path: str | Path, fmt: str) -> bool:
        """Save the fit plot as "png", "svg" or "pdf" at ``path``."""
        item = self.fit_plot.getPlotItem()
        try:
            if fmt == "png":
                data, image = plot_png(item)
                what = f"the fit plot ({image.width()}×{image.height()} PNG)"
            elif fmt == "svg":
                data, what = plot_svg(item, self._title()), "the fit plot (SVG)"
            elif fmt == "pdf":
                data, what = plot_pdf(item, self._title()), "the fit plot (PDF)"
            else:
                raise ValueError(f"unknown picture format {fmt!r}: png, svg or pdf")
        except ValueError as exc:
            self.notice.emit("error", f"Could not export the fit plot: {exc}.")
            return False
        return self._write(path, what, lambda: atomic_write_bytes(path, data))

    def export_report(self, path: str | Path, fmt: str) -> bool:
        """Save the fit report as "csv", "json" or "text" at ``path``."""
        report = self._report()
        if report is None:
            return False
        try:
            text = report_export.report_as(report, fmt, self.report_data())
        except export.ExportError as exc:
            self.notice.emit("error", str(exc))
            return False
        return self._write(path, f"the fit report ({REPORT_FILES[fmt][0]})", lambda: atomic_write_text(path, text))

    def export_data(self, path: str | Path) -> bool:
        """Save the data points as CSV at ``path`` (the format File › Open data reads back exactly)."""
        data = self.document.dataset
        if not self._has_points():
            return False
        return self._write(path, f"{data.n} points", lambda: save_dataset(data, path))

    def export_script(self, path: str | Path) -> bool:
        """Save the current curve and the data as a Python script (NumPy; matplotlib to plot) at ``path``."""
        doc = self.document
        try:
            data = doc.dataset
            text = fit_script(doc.problem, doc.state.theta, data.name, data.x_name, data.y_name)
        except export.ExportError as exc:
            self.notice.emit("warning", str(exc))
            return False
        return self._write(path, "the fit as a Python script", lambda: atomic_write_text(path, text))

    def set_formula_curve(self, curve: str) -> None:
        """Choose the curve Copy formula copies: "knobs", "gd" (the last run's result) or "landmark"."""
        if curve not in FORMULA_CURVES:
            raise ValueError(f"unknown curve {curve!r}: one of {', '.join(FORMULA_CURVES)}")
        self.formula_curve = curve
        self.actions[f"curve_{curve}"].setChecked(True)

    def curve_name(self, curve: str) -> str:
        """The curve's name in a notice: "the knobs' curve", "the gradient-descent result", "the exact optimum"."""
        if curve == "knobs":
            return "the knobs' curve"
        if curve == "gd":
            return "the gradient-descent result"
        return "the Levenberg–Marquardt fit" if self.document.state.model == "formula" else "the exact optimum"

    def _curve_knobs(self, curve: str):
        """The knobs of ``curve``, or None after a notice saying why there is none."""
        doc = self.document
        if curve == "knobs":
            return doc.state.theta
        if curve == "gd":
            run = doc.last_run
            if run is None:
                self.notice.emit(
                    "warning",
                    "There is no gradient-descent result to copy yet: press Run first, or choose another curve "
                    "under Edit › Copy formula.",
                )
                return None
            return run.result.params
        landmark = doc.landmark if doc.dataset.n else None
        if landmark is None:
            why = (
                "press Solve (Levenberg–Marquardt) first"
                if doc.state.model == "formula"
                else "it needs data points (or is still being computed)"
            )
            self.notice.emit("warning", f"Nothing to copy for {self.curve_name(curve)}: {why}.")
            return None
        return landmark.coefficients

    def copy_formula(self, form: str, curve: str | None = None) -> bool:
        """Put a curve's formula on the clipboard as "text", "latex" or "numpy": the curve chosen under
        Copy formula › Curve (``curve`` overrides it), named in the notice."""
        doc = self.document
        curve = curve or self.formula_curve
        theta = self._curve_knobs(curve)
        if theta is None:
            return False
        try:
            text = export.problem_formula(doc.problem, theta, form)
        except export.ExportError as exc:
            self.notice.emit("warning", str(exc))
            return False
        QGuiApplication.clipboard().setText(text)
        shown = text if len(text) <= 90 else text[:87] + "…"
        note = ""
        if curve == "knobs" and doc.show_exact and doc.landmark is not None:
            note = f" ({self.curve_name('landmark')}, shown dashed, is under Edit › Copy formula › Curve)"
        self.notice.emit("info", f"Copied {self.curve_name(curve)} as {FORMULA_NAMES[form]}: {shown}{note}")
        return True

    def report_data(self) -> report_export.ReportData:
        """What the report is of: the data's column names and the points held out for validation."""
        state = self.document.state
        split = state.split_indices()
        return report_export.ReportData.of(state.dataset, 0 if split is None else int(split[1].size))

    # -- helpers ------------------------------------------------------------------------------------------------
    def _write(self, path, what: str, write: Callable[[], None]) -> bool:
        try:
            write()
        except (OSError, DataError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.notice.emit("error", f"Could not save {what} to {path}: {reason}. {FIX_PATH}")
            return False
        self.notice.emit("info", f"Saved {what} to {path}")
        return True

    def _report(self):
        """The current fit report, or None after a notice saying why there is none."""
        doc = self.document
        if doc.big and doc.problem.is_polynomial and doc.report is None:
            self.notice.emit("info", "The report of these many points is still being computed: try again shortly.")
            return None
        try:
            return report_export.current_report(doc.problem, doc.landmark)
        except export.ExportError as exc:
            self.notice.emit("warning", f"No report to export: {exc}")
            return None

    def _has_points(self) -> bool:
        if self.document.dataset.n:
            return True
        self.notice.emit("warning", "There are no points to save: add points or open a data file first.")
        return False

    def _title(self) -> str:
        name = self.document.dataset.name
        return f"Fit plot — {name}" if name else "Fit plot"

    def _ask(
        self,
        title: str,
        default: str,
        pattern: str,
        write: Callable[[str], bool],
        ready: Callable[[], bool] | None = None,
    ) -> None:
        """Ask where to save (in the last directory used), add the suffix if none was typed, then write.

        ``ready`` runs first: when there is nothing to export it has said why, and no dialog opens.
        """
        if ready is not None and not ready():
            return
        suffix = Path(default).suffix or default
        stem = self.document.dataset.name or "curve"
        name = stem + default if default.startswith(".") else f"{stem}-{default}"
        path, _ = QFileDialog.getSaveFileName(self._parent, title, str(self._last_dir() / name), pattern)
        if not path:
            return
        if not Path(path).suffix:
            path += suffix
        self._remember_dir(path)
        write(path)

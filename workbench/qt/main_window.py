"""The main window: the fit plot in the middle, every other panel a dock the user can move."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QScrollArea,
                               QVBoxLayout, QWidget)

from workbench.fitting.data import DataError, Dataset, load_dataset, save_dataset
from workbench.paths import resources_dir, sample_paths

from .compare_panel import ComparisonPanel
from .controller import Controller
from .data_panel import DataPanel
from .document import FitDocument
from .fit_plot import FitPlot
from .conditioning_lab import ConditioningLab
from .gradcheck_panel import GradientCheckPanel
from .graph_view import GraphView
from .race_panel import RacePanel
from .report_panel import ReportPanel
from .knob_panel import KnobPanel
from .loss_plot import LossHistoryPlot
from .model_panel import ModelPanel
from .surface_plot import SurfacePlot

NOTICE_SECONDS = 12


class MainWindow(QMainWindow):
    """Curve Fitter Workbench: assembles the document, the controller and the views."""

    def __init__(self, dataset: Dataset | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.document = FitDocument(dataset if dataset is not None else Dataset([], []), self)
        self.controller = Controller(self.document, self)
        self.setWindowIcon(QIcon(str(resources_dir() / "app_icon.svg")))
        self._build_views()
        self._build_menus()
        self.controller.notice.connect(self._on_notice)
        self.controller.runningChanged.connect(self._on_running_changed)
        self.document.stateChanged.connect(self._update_title)
        self.document.undo_stack.cleanChanged.connect(self._update_title)
        self._update_title()
        self.resize(1340, 720)
        self.statusBar().showMessage("Click on the plot to add points, turn the knobs, then run gradient descent.")

    # -- construction -----------------------------------------------------------------------------
    def _build_views(self) -> None:
        doc, ctl = self.document, self.controller
        self.fit_plot = FitPlot(doc)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        self.notice_label = QLabel(objectName="noticeLabel")
        self.notice_label.setWordWrap(True)
        self.notice_label.setVisible(False)
        self.notice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice_label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.notice_label.setToolTip("Click to dismiss")
        self.notice_label.mousePressEvent = lambda _ev: self.notice_label.setVisible(False)
        self._notice_timer = QTimer(self, singleShot=True, interval=NOTICE_SECONDS * 1000)
        self._notice_timer.timeout.connect(self._hide_notice)
        layout.addWidget(self.notice_label)
        layout.addWidget(self.fit_plot, 1)
        self.setCentralWidget(central)

        self.data_panel = DataPanel(doc, ctl)
        self.knob_panel = KnobPanel(doc, ctl)
        self.model_panel = ModelPanel(doc, ctl)
        self.loss_plot = LossHistoryPlot(doc)
        self.surface_plot = SurfacePlot(doc, ctl)
        self.compare_panel = ComparisonPanel(doc, ctl)
        self.graph_view = GraphView(doc)
        self.conditioning_lab = ConditioningLab(doc, ctl)
        self.gradcheck_panel = GradientCheckPanel(doc)
        self.race_panel = RacePanel(doc, ctl)
        self.report_panel = ReportPanel(doc)

        self.fit_plot.pointAddRequested.connect(ctl.add_point)
        self.fit_plot.pointMoveRequested.connect(ctl.move_point)
        self.fit_plot.pointRemoveRequested.connect(self._on_point_remove_requested)
        self.fit_plot.pointSelected.connect(self.data_panel.select_row)
        self.data_panel.rowSelected.connect(self.fit_plot.select_point)
        self.fit_plot.pointSelected.connect(self.graph_view.set_point)

        model_scroll = _scrolling(self.model_panel)
        self.docks = {
            "data": self._dock("Data", "dataDock", self.data_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
            "model": self._dock("Model and gradient descent", "modelDock", model_scroll,
                                Qt.DockWidgetArea.RightDockWidgetArea),
            "knobs": self._dock("Knobs", "knobDock", self.knob_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            "loss": self._dock("Loss history", "lossDock", self.loss_plot, Qt.DockWidgetArea.BottomDockWidgetArea),
            "surface": self._dock("Loss surface", "surfaceDock", self.surface_plot,
                                  Qt.DockWidgetArea.BottomDockWidgetArea),
            "compare": self._dock("Manual vs gradient descent", "compareDock", self.compare_panel,
                                  Qt.DockWidgetArea.BottomDockWidgetArea),
            # Tabs beside the comparison and the surface (placed by tabifyDockWidget below).
            "graph": self._dock("Computational graph", "graphDock", self.graph_view, None),
            "lab": self._dock("Conditioning lab", "conditioningDock", self.conditioning_lab, None),
            "race": self._dock("Optimiser race", "raceDock", _scrolling(self.race_panel), None),
            "gradcheck": self._dock("Gradient check", "gradCheckDock", self.gradcheck_panel, None),
            "report": self._dock("Fit report", "reportDock", self.report_panel, None),
        }
        # Right column (full height): model controls above the knobs.  Bottom row, under the plot and
        # the data table: loss history, loss surface, comparison.  Fits a 1366×768 screen.
        self.splitDockWidget(self.docks["model"], self.docks["knobs"], Qt.Orientation.Vertical)
        self.splitDockWidget(self.docks["loss"], self.docks["surface"], Qt.Orientation.Horizontal)
        self.splitDockWidget(self.docks["surface"], self.docks["compare"], Qt.Orientation.Horizontal)

        # The graph view shares the comparison's place as a tab: one click away, no space taken.
        self.tabifyDockWidget(self.docks["compare"], self.docks["graph"])
        self.tabifyDockWidget(self.docks["compare"], self.docks["lab"])
        self.tabifyDockWidget(self.docks["compare"], self.docks["race"])
        self.tabifyDockWidget(self.docks["compare"], self.docks["gradcheck"])
        self.tabifyDockWidget(self.docks["compare"], self.docks["report"])
        for name in ("compare", "loss", "surface"):
            self.docks[name].raise_()
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.docks["data"], self.docks["knobs"]], [250, 370], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["loss"], self.docks["surface"], self.docks["compare"]], [330, 330, 400],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["loss"]], [250], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["model"], self.docks["knobs"]], [345, 375], Qt.Orientation.Vertical)


    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        if area is not None:
            self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        ctl, stack = self.controller, self.document.undo_stack
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self._action(file_menu, "&Open data…", self.open_data_dialog, QKeySequence.StandardKey.Open,
                     "Open a CSV/TSV/text file of x, y columns", "openDataAction")
        samples = file_menu.addMenu("&Samples")
        samples.setObjectName("samplesMenu")
        for path in sample_paths():
            action = samples.addAction(path.stem.replace("_", " "))
            action.setData(str(path))
            action.setToolTip(f"Open the sample dataset {path.name}")
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        self._action(file_menu, "&Save data as CSV…", self.save_data_dialog, QKeySequence.StandardKey.SaveAs,
                     "Write the data points to a CSV file", "saveDataAction")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit, "Close the window", "quitAction")

        edit = menu.addMenu("&Edit")
        undo = self._history_action("&Undo", "undoAction", [QKeySequence.StandardKey.Undo], stack.undo,
                                    stack.canUndo(), stack.canUndoChanged, stack.undoTextChanged)
        redo = self._history_action("&Redo", "redoAction", [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")],
                                    stack.redo, stack.canRedo(), stack.canRedoChanged, stack.redoTextChanged)
        edit.addAction(undo)
        edit.addAction(redo)
        self.undo_action, self.redo_action = undo, redo
        edit.addSeparator()
        self._action(edit, "&Delete selected point", self._delete_selected_point, QKeySequence.StandardKey.Delete,
                     "Remove the highlighted data point", "deletePointAction", shortcut_context_widget=True)
        self._action(edit, "&Clear all points", ctl.clear_data, None, "Remove every data point (undoable)",
                     "clearDataAction")

        run = menu.addMenu("&Run")
        self.run_action = self._action(run, "&Run gradient descent", ctl.toggle_run, QKeySequence("F5"),
                                       "Start gradient descent from the current knobs; again to stop",
                                       "runAction")
        self._action(run, "S&tep once", ctl.step_once, QKeySequence("F10"),
                     "One forward pass, one backward pass, one update", "stepAction")
        self._action(run, "Solve &exactly", lambda: ctl.show_exact(True), QKeySequence("F9"),
                     "Show the least-squares optimum", "solveAction")
        self._action(run, "Reset &knobs", ctl.reset_knobs, QKeySequence("Ctrl+R"), "All knobs back to 0",
                     "resetAction")
        self._action(run, "Restore my &manual fit", ctl.restore_manual_fit, QKeySequence("Ctrl+M"),
                     "Bring back the best knobs you found by hand", "restoreManualAction")

        view = menu.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self.forces_action = self._toggle(view, "Show each point's &pull (−∂L/∂ŷ)", self.fit_plot.set_show_forces,
                                          "Arrows from the curve towards each point: how hard and which way it "
                                          "pulls the fit (switch the loss to MAE or Huber to see the pulls change)",
                                          "showForcesAction", QKeySequence("Ctrl+P"))
        self.squares_action = self._toggle(view, "Show residual &squares", self.fit_plot.set_show_squares,
                                           "A square of side |ŷ − y| on each point: the areas squared error adds up",
                                           "showSquaresAction", QKeySequence("Ctrl+Shift+S"))
        self.bands_action = self._toggle(view, "Show confidence and prediction &bands", self.fit_plot.set_show_bands,
                                         "95% confidence band (shaded) and prediction band (dashed) of the exact "
                                         "least-squares polynomial fit", "showBandsAction", QKeySequence("Ctrl+B"))
        view.addSeparator()
        self._action(view, "&Fit view to data", self.fit_plot.reframe, QKeySequence("Ctrl+0"),
                     "Zoom the fit plot to show all points", "reframeAction")

        help_menu = menu.addMenu("&Help")
        self._action(help_menu, "&About Curve Fitter Workbench", self._about, None, "", "aboutAction")

    def _history_action(self, prefix, name, shortcuts, step, enabled, enabled_changed, text_changed) -> QAction:
        """Undo or redo that stops a running run first.

        Not ``QUndoStack.createUndoAction``: its action steps the stack before any slot of ours runs, so a
        run in progress would be finalised on top of the undone state, and the undone step lost for good.
        Stopped first, the run becomes a step of its own, which the undo then takes back.
        """
        action = QAction(prefix, self)
        action.setObjectName(name)
        action.setShortcuts(shortcuts)
        action.setEnabled(enabled)
        enabled_changed.connect(action.setEnabled)
        text_changed.connect(lambda text: action.setText(f"{prefix} {text}".rstrip()))

        def trigger(_checked=False):
            self.controller.stop_run()
            step()

        action.triggered.connect(trigger)
        return action

    def _toggle(self, menu, text, slot, tip, name, shortcut) -> QAction:
        """A checkable menu action whose state is passed to ``slot``."""
        action = QAction(text, self, checkable=True)
        action.setObjectName(name)
        action.setShortcut(shortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.toggled.connect(slot)
        menu.addAction(action)
        return action

    def _action(self, menu, text, slot, shortcut, tip, name, shortcut_context_widget=False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(shortcut)
        if shortcut_context_widget:
            # Delete belongs to the plot; window-wide it would fight with editing cells in the table.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.fit_plot.addAction(action)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    # -- file handling ----------------------------------------------------------------------------
    def open_path(self, path) -> bool:
        """Open a data file; on failure the current data stays and a message says why."""
        if self.controller.open_file(path):
            self.fit_plot.reframe()
            return True
        return False

    def open_data_dialog(self) -> None:
        """Ask for a data file and open it."""
        path, _ = QFileDialog.getOpenFileName(self, "Open data", str(self._last_dir()),
                                              "Data files (*.csv *.tsv *.txt *.dat);;All files (*)")
        if path:
            self._remember_dir(path)
            self.open_path(path)

    def save_data_dialog(self) -> None:
        """Write the points to a CSV file (atomically: an existing file is never left half-written)."""
        if self.document.dataset.n == 0:
            self._on_notice("warning", "There are no points to save.")
            return
        name = (self.document.dataset.name or "data") + ".csv"
        path, _ = QFileDialog.getSaveFileName(self, "Save data as CSV", str(self._last_dir() / name),
                                              "CSV files (*.csv)")
        if path:
            self._remember_dir(path)
            try:
                save_dataset(self.document.dataset, path)
            except (OSError, DataError) as exc:
                self._on_notice("error", f"Could not save {path}: {exc}")
                return
            self.statusBar().showMessage(f"Saved {self.document.dataset.n} points to {path}", 8000)

    def _last_dir(self) -> Path:
        saved = QSettings().value("lastDirectory", "")
        return Path(saved) if saved and Path(saved).is_dir() else Path.home()

    def _remember_dir(self, path: str) -> None:
        QSettings().setValue("lastDirectory", str(Path(path).parent))

    # -- reactions ---------------------------------------------------------------------------------
    @Slot(int)
    def _on_point_remove_requested(self, index: int) -> None:
        self.controller.remove_points([index])
        self.fit_plot.select_point(None)

    def _delete_selected_point(self) -> None:
        if self.fit_plot.selected is not None:
            self._on_point_remove_requested(self.fit_plot.selected)

    @Slot(str, str)
    def _on_notice(self, level: str, message: str) -> None:
        """Status bar for everything; a dismissable banner (non-modal) for warnings and errors."""
        self.statusBar().showMessage(message, NOTICE_SECONDS * 1000)
        if level in ("warning", "error"):
            colours = {"warning": "#fff3cd; color: #5c4400", "error": "#f8d7da; color: #6b0f1a"}
            self.notice_label.setStyleSheet(f"QLabel {{ background: {colours[level]}; padding: 6px; "
                                            "border-radius: 4px; font-size: 11pt; }")
            self.notice_label.setText(("⚠ " if level == "warning" else "✖ ") + message)
            self.notice_label.setVisible(True)
            self._notice_timer.start()

    @Slot()
    def _hide_notice(self) -> None:
        self.notice_label.setVisible(False)

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self.run_action.setText("S&top gradient descent" if running else "&Run gradient descent")
        if running:
            self.statusBar().showMessage("Gradient descent is running… (Stop or F5 to stop)")

    @Slot()
    def _update_title(self) -> None:
        name = self.document.dataset.name or "untitled"
        self.setWindowTitle(f"{name} — Curve Fitter Workbench")

    def _about(self) -> None:
        QMessageBox.about(self, "About Curve Fitter Workbench",
                          "<b>Curve Fitter Workbench</b><p>Fit a polynomial by turning its knobs by hand, then "
                          "watch gradient descent — with gradients from a backpropagation engine — turn them "
                          "for you, and compare both with the exact least-squares optimum.</p>")

    def shutdown(self) -> None:
        """Stop every background job (run, surface, sweep) and wait for its thread; safe to repeat."""
        self.controller.shutdown()
        self.surface_plot.shutdown()
        self.conditioning_lab.shutdown()
        self.race_panel.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        """Stop a running run and background work, and wait for their threads, before closing."""
        self.shutdown()
        super().closeEvent(event)


def _scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area, for panels taller than their dock on a small screen."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


def load_initial_dataset(path) -> tuple[Dataset | None, str | None]:
    """The dataset to open at launch and an error message if the file could not be read."""
    try:
        return load_dataset(path), None
    except (DataError, OSError) as exc:
        return None, f"Could not open {path}: {exc}"

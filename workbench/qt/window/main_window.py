"""The main window: the fit plot in the middle, every other panel a dock the user can move."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench import __version__
from workbench.fitting.data import DataError, Dataset, dataset_from_table, load_dataset
from workbench.fitting.table import Table
from workbench.fitting.table_preview import preview_table
from workbench.paths import sample_paths
from workbench.qt.app_state.background import RaceController, SweepController
from workbench.qt.app_state.controller import Controller
from workbench.qt.app_state.document import FitDocument
from workbench.qt.app_state.facts import FactsController
from workbench.qt.app_state.preferences import Preferences, set_theme
from workbench.qt.dialogs.import_dialog import ImportDialog
from workbench.qt.dialogs.preferences_dialog import PreferencesDialog
from workbench.qt.dialogs.tour import QuickTour
from workbench.qt.style.icons import app_icon
from workbench.qt.style.themes import build_theme_menu
from workbench.qt.tasks.load_worker import BACKGROUND_LOAD_BYTES, LoadProgress, TableLoader
from workbench.qt.tasks.runner import TaskRunner
from workbench.qt.views.compare_panel import ComparisonPanel
from workbench.qt.views.conditioning_lab import ConditioningLab
from workbench.qt.views.data_panel import DataPanel
from workbench.qt.views.fit_plot import FitPlot
from workbench.qt.views.gradcheck_panel import GradientCheckPanel
from workbench.qt.views.graph_view import GraphView
from workbench.qt.views.knob_panel import KnobPanel
from workbench.qt.views.loss_plot import LossHistoryPlot
from workbench.qt.views.model_panel import ModelPanel
from workbench.qt.views.race_panel import RacePanel
from workbench.qt.views.report_panel import ReportPanel
from workbench.qt.views.residual_plot import ResidualPlot
from workbench.qt.views.run_controls import RunControls
from workbench.qt.views.surface_plot import SurfacePlot
from workbench.qt.window.accessibility import focus_knobs, name_for_assistive_technology, name_widgets
from workbench.qt.window.docks import build_docks, scrolling
from workbench.qt.window.export_actions import ExportActions
from workbench.qt.window.layout import restore_window_layout, save_window_layout
from workbench.qt.window.lazy_panel import LazyPanel
from workbench.qt.window.presentation import PresentationMode
from workbench.qt.window.presets import LayoutPresets, never_elide_tab_titles
from workbench.qt.window.screen import fit_to_screen, keep_inside_screen_when_shown
from workbench.qt.window.session_manager import SessionManager
from workbench.qt.window.snapshots import SnapshotMenu
from workbench.qt.window.wiring import wire_race_panel, wire_views

NOTICE_SECONDS = 12


class MainWindow(QMainWindow):
    """Curve Fitter Workbench: assembles the document, the controller and the views."""

    def __init__(self, dataset: Dataset | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.document = FitDocument(
            dataset if dataset is not None else Dataset([], []), self, **Preferences().document_defaults()
        )
        self.runner = TaskRunner(self)  # every piece of work off this window's thread goes through it
        self.controller = Controller(self.document, self.runner, self)
        self.race_controller = RaceController(self.document, self.runner, self)
        self.sweep_controller = SweepController(self.document, self.runner, self)
        self.facts_controller = FactsController(self.document, self.runner, self.controller.notice, self)
        self.setWindowIcon(app_icon())
        self._build_views()
        self.session_manager = SessionManager(self)  # the session file, unsaved changes, autosave, recent files
        self._build_menus()
        self.setAcceptDrops(True)  # a data file dropped anywhere on the window opens (see dropEvent)
        self.controller.notice.connect(self._on_notice)
        self.controller.runs.stableRateOffered.connect(self._offer_stable_rate)
        self.notice_fix_button.clicked.connect(self._apply_notice_fix)
        self.controller.runningChanged.connect(self._on_running_changed)
        self.document.stateChanged.connect(self._update_title)
        self.document.undo_stack.cleanChanged.connect(self._update_title)
        self.session_manager.modifiedChanged.connect(self._update_title)
        self.session_manager.pathChanged.connect(self._update_title)
        self._update_title()
        fit_to_screen(self)  # the screen's available room: a 1366×768 laptop or a projector has none to spare
        self.layout_presets.apply("lesson" if self.presentation.on else self.layout_presets.current)
        restore_window_layout(self)  # geometry and docks as the user left them (after every dock exists)
        never_elide_tab_titles(self)
        self.presentation.restyle()  # the plots in the theme's colours, at the look's text size and widths
        self.statusBar().showMessage("Click on the plot to add points, turn the knobs, then run gradient descent.")

    # -- construction -----------------------------------------------------------------------------
    def _build_views(self) -> None:
        doc = self.document
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
        self.notice_label.mousePressEvent = lambda _ev: self._hide_notice()
        self._notice_timer = QTimer(self, singleShot=True, interval=NOTICE_SECONDS * 1000)
        self._notice_timer.timeout.connect(self._hide_notice)
        # A notice that comes with a fix (a divergence: "Use a stable rate") shows it as a button beside it.
        self.notice_fix_button = QPushButton("Use a stable rate", objectName="noticeFixButton")
        self.notice_fix_button.setToolTip("Set the learning rate the data call for (Run › Use a stable learning rate)")
        self.notice_fix_button.setVisible(False)
        self._fix_offered = False
        notice_row = QHBoxLayout()
        notice_row.addWidget(self.notice_label, 1)
        notice_row.addWidget(self.notice_fix_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(notice_row)
        # The residual plot under the fit plot (about a quarter of the height), sharing its x axis.  It and
        # the panels a preset puts behind tabs are built when first shown (lazy_panel.py).
        self._lazy_views: dict[str, QWidget] = {}
        self.lazy_panels = {
            "residuals": self._lazy("residuals", "residualPanel", self._make_residual_plot),
            "race": self._lazy("race", "racePanelHolder", self._make_race_panel, scroll=True),
            "report": self._lazy("report", "reportPanelHolder", self._make_report_panel),
        }
        self.plot_splitter = QSplitter(Qt.Orientation.Vertical, objectName="plotSplitter")
        self.plot_splitter.addWidget(self.fit_plot)
        self.plot_splitter.addWidget(self.lazy_panels["residuals"])
        self.plot_splitter.setChildrenCollapsible(False)
        self.plot_splitter.setStretchFactor(0, 3)
        self.plot_splitter.setStretchFactor(1, 1)
        self.plot_splitter.setSizes([300, 100])
        layout.addWidget(self.plot_splitter, 1)
        self.setCentralWidget(central)

        self.data_panel = DataPanel(doc)
        self.knob_panel = KnobPanel(doc)
        self.run_controls = RunControls(doc)
        self.model_panel = ModelPanel(doc)
        self.loss_plot = LossHistoryPlot(doc)
        self.surface_plot = SurfacePlot(doc, self.runner)
        self.compare_panel = ComparisonPanel(doc)
        self.graph_view = GraphView(doc)
        # (Not built when first shown: it shows how a basis switch changed the condition number, so it
        # must have seen the problem before the switch.)
        self.conditioning_lab = ConditioningLab(doc)
        self.gradcheck_panel = GradientCheckPanel(doc)
        wire_views(self)  # every view's requests to the controllers, in one place
        self.docks = build_docks(self)  # placed by a layout preset (presets.py) once the menus exist
        name_for_assistive_technology(self)

    def _lazy(self, key: str, name: str, make, scroll: bool = False) -> LazyPanel:
        """A panel whose view ``make()`` builds when first shown; the view is then wired, named and styled
        as if it had been built with the window."""

        def build() -> QWidget:
            view = make()
            self._lazy_views[key] = view
            name_widgets(view)
            self.presentation.restyle_new(view)
            return scrolling(view) if scroll else view

        return LazyPanel(build, name)

    def _lazy_view(self, key: str) -> QWidget:
        self.lazy_panels[key].content()
        return self._lazy_views[key]

    def _make_residual_plot(self) -> ResidualPlot:
        plot = ResidualPlot(self.document)
        plot.link_x(self.fit_plot)
        return plot

    def _make_race_panel(self) -> RacePanel:
        panel = RacePanel(self.document)
        wire_race_panel(panel, self.race_controller)
        return panel

    def _make_report_panel(self) -> ReportPanel:
        panel = ReportPanel(self.document)
        panel.add_export_button(self.exports.report_actions())
        return panel

    @property
    def residual_plot(self) -> ResidualPlot:
        """The residual plot under the fit plot (built on first use)."""
        return self._lazy_view("residuals")  # type: ignore[return-value]

    @property
    def race_panel(self) -> RacePanel:
        """The optimiser race (built on first use)."""
        return self._lazy_view("race")  # type: ignore[return-value]

    @property
    def report_panel(self) -> ReportPanel:
        """The fit report (built on first use)."""
        return self._lazy_view("report")  # type: ignore[return-value]

    def _build_menus(self) -> None:
        ctl, stack = self.controller, self.document.undo_stack
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self._build_session_menu(file_menu)
        file_menu.addSeparator()
        self._action(
            file_menu,
            "&Open data…",
            self.open_data_dialog,
            QKeySequence.StandardKey.Open,
            "Open a CSV/TSV/text file of x, y columns",
            "openDataAction",
        )
        samples = file_menu.addMenu("&Samples")
        samples.setObjectName("samplesMenu")
        for path in sample_paths():
            action = samples.addAction(path.stem.replace("_", " "))
            action.setData(str(path))
            action.setToolTip(f"Open the sample dataset {path.name}")
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        # File › Export (plot, report, data as CSV) and Edit › Copy formula live in export_actions.py.
        self.exports = ExportActions(self.document, self.fit_plot, self, self._last_dir, self._remember_dir)
        self.exports.notice.connect(self._on_notice)
        self.exports.add_export_menu(file_menu)
        file_menu.addSeparator()
        # Not StandardKey.Quit: it is empty on Windows (and on some Linux desktops).
        self._action(file_menu, "&Quit", self.close, QKeySequence("Ctrl+Q"), "Close the window", "quitAction")

        edit = menu.addMenu("&Edit")
        undo = self._history_action(
            "&Undo",
            "undoAction",
            [QKeySequence.StandardKey.Undo],
            stack.undo,
            stack.canUndo(),
            stack.canUndoChanged,
            stack.undoTextChanged,
        )
        redo = self._history_action(
            "&Redo",
            "redoAction",
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")],
            stack.redo,
            stack.canRedo(),
            stack.canRedoChanged,
            stack.redoTextChanged,
        )
        edit.addAction(undo)
        edit.addAction(redo)
        self.undo_action, self.redo_action = undo, redo
        # A run becomes a step when it stops, so Undo works during every run, the first one included
        # (with an empty stack it was disabled, and Ctrl+Z during the run did nothing).
        ctl.runningChanged.connect(lambda running: undo.setEnabled(running or stack.canUndo()))
        edit.addSeparator()
        self._action(
            edit,
            "&Delete selected point",
            self._delete_selected_point,
            QKeySequence.StandardKey.Delete,
            "Remove the highlighted data point",
            "deletePointAction",
            shortcut_context_widget=True,
        )
        self._action(
            edit,
            "&Clear all points",
            ctl.clear_data,
            QKeySequence("Ctrl+Shift+Del"),
            "Remove every data point (undoable)",
            "clearDataAction",
        )
        edit.addActions([self.data_panel.paste_action, self.data_panel.paste_replace_action])
        edit.addSeparator()
        self.exports.add_copy_menu(edit)
        edit.addSeparator()
        self._action(
            edit,
            "&Preferences…",
            self.show_preferences,
            QKeySequence("Ctrl+,"),
            "Theme, the degree and optimiser new fits start with, and resetting the window layout",
            "preferencesAction",
        )

        snapshots = menu.addMenu("S&napshots")
        snapshots.setObjectName("snapshotsMenu")
        snapshots.setToolTipsVisible(True)
        self.snapshot_menu = SnapshotMenu(snapshots, self.document, ctl, self)

        run = menu.addMenu("&Run")
        self.run_action = self._action(
            run,
            "&Run gradient descent",
            ctl.toggle_run,
            QKeySequence("F5"),
            "Start gradient descent from the current knobs; again to stop",
            "runAction",
        )
        self._action(
            run,
            "S&tep once",
            ctl.step_once,
            QKeySequence("F10"),
            "One forward pass, one backward pass, one update",
            "stepAction",
        )
        self._action(
            run,
            "Solve &exactly",
            lambda: ctl.show_exact(True),
            QKeySequence("F9"),
            "Show the least-squares optimum",
            "solveAction",
        )
        self._action(
            run,
            "&Newton step",
            ctl.newton_step,
            QKeySequence("Ctrl+F10"),
            "One step of Newton's method: the loss's curvature says where its bottom is "
            "(one step lands on the least-squares optimum of a polynomial)",
            "newtonStepAction",
        )
        self._action(
            run,
            "Use a stable &learning rate",
            ctl.use_stable_rate,
            QKeySequence("Ctrl+L"),
            "The learning rate the data call for, below the stability limit; it follows the data again",
            "stableRateAction",
        )
        self._action(run, "Reset &knobs", ctl.reset_knobs, QKeySequence("Ctrl+R"), "All knobs back to 0", "resetAction")
        self._action(
            run,
            "Restore my &manual fit",
            ctl.restore_manual_fit,
            QKeySequence("Ctrl+M"),
            "Bring back the best knobs you found by hand",
            "restoreManualAction",
        )

        view = menu.addMenu("&View")
        view.setToolTipsVisible(True)
        self.layout_presets = LayoutPresets(self)
        self.layout_presets.add_menu(view)
        self.presentation = PresentationMode(self, self.layout_presets)
        view.addAction(self.presentation.action)
        self._action(
            view,
            "Go to the &knobs",
            lambda: focus_knobs(self),
            QKeySequence("Ctrl+K"),
            "Put the keyboard on the first knob: arrow keys turn it (Shift coarse, Ctrl fine), Tab moves on "
            "through the knobs to Run, Step, Solve exactly and Reset (Ctrl+K)",
            "focusKnobsAction",
        )
        panels = view.addMenu("&Panels")
        panels.setObjectName("panelsMenu")
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())
        view.addSeparator()
        self.forces_action = self._toggle(
            view,
            "Show each point's &pull (−∂L/∂ŷ)",
            self.fit_plot.set_show_forces,
            "Arrows from the curve towards each point: how hard and which way it "
            "pulls the fit (switch the loss to MAE or Huber to see the pulls change)",
            "showForcesAction",
            QKeySequence("Ctrl+P"),
        )
        # Ctrl+Shift+A (areas), not Ctrl+Alt+S: Ctrl+Alt is AltGr on many layouts, and AltGr+S types a letter.
        self.squares_action = self._toggle(
            view,
            "Show residual &squares",
            self.fit_plot.set_show_squares,
            "A square of side |y − ŷ| on each point: the areas squared error adds up",
            "showSquaresAction",
            QKeySequence("Ctrl+Shift+A"),
        )
        self.bands_action = self._toggle(
            view,
            "Show confidence and prediction &bands",
            self.fit_plot.set_show_bands,
            "95% confidence band (shaded) and prediction band (dashed) of the exact least-squares polynomial fit",
            "showBandsAction",
            QKeySequence("Ctrl+B"),
        )
        self.residuals_action = self._toggle(
            view,
            "Show &residual plot",
            self.lazy_panels["residuals"].setVisible,
            "Residuals y − ŷ of the current curve in a plot under the fit plot, sharing its x axis",
            "showResidualsAction",
            QKeySequence("Ctrl+Shift+R"),
        )
        self.residuals_action.setChecked(True)
        view.addSeparator()
        self._action(
            view,
            "&Fit view to data",
            self.fit_plot.reframe,
            QKeySequence("Ctrl+0"),
            "Zoom the fit plot to show all points",
            "reframeAction",
        )

        self.theme_actions = build_theme_menu(view, self, set_theme)

        help_menu = menu.addMenu("&Help")
        self._action(
            help_menu,
            "Quick &tour",
            self.show_tour,
            QKeySequence("F1"),
            "A step-by-step walk through the app: add points, turn the knobs, read the gradient arrows, "
            "run gradient descent, compare",
            "quickTourAction",
        )
        self._action(
            help_menu,
            "&About Curve Fitter Workbench",
            self._about,
            None,
            "The app's purpose and version",
            "aboutAction",
        )

    def _build_session_menu(self, file_menu) -> None:
        """New / Open / Open recent / Save / Save as: the session as a whole (data, model, knobs, history)."""
        sessions = self.session_manager
        self._action(
            file_menu,
            "&New session",
            sessions.new_session,
            QKeySequence.StandardKey.New,
            "Start over with no points and default settings",
            "newSessionAction",
        )
        self._action(
            file_menu,
            "Open &session…",
            sessions.open_dialog,
            QKeySequence("Ctrl+Shift+O"),
            "Open a saved session: data, model, knobs, runs, snapshots and window layout",
            "openSessionAction",
        )
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.setObjectName("recentMenu")  # entries from data: see test_actions_audit
        self.recent_menu.setToolTipsVisible(True)
        self._recent_actions: list[QAction] = []
        self._recent_separator = self.recent_menu.addSeparator()
        self._clear_recent_action = self._action(
            self.recent_menu,
            "&Clear recent",
            sessions.clear_recent,
            None,
            "Forget the list of recent sessions (the files stay)",
            "clearRecentAction",
        )
        sessions.recentChanged.connect(self._rebuild_recent_menu)
        self._rebuild_recent_menu()
        self._action(
            file_menu,
            "Sa&ve session",
            sessions.save,
            QKeySequence("Ctrl+S"),
            "Save the session to its file (asks for one the first time)",
            "saveSessionAction",
        )
        self._action(
            file_menu,
            "Save session &as…",
            sessions.save_as,
            QKeySequence("Ctrl+Shift+S"),
            "Save the session to a new file",
            "saveSessionAsAction",
        )

    @Slot()
    def _rebuild_recent_menu(self) -> None:
        """One entry per recent session (most recent first, numbered as keyboard mnemonics), then Clear recent."""
        menu, sessions = self.recent_menu, self.session_manager
        for action in self._recent_actions:  # (one of them may be the action being triggered: deleteLater)
            menu.removeAction(action)
            action.setObjectName("")
            action.deleteLater()
        paths = sessions.recent_files()
        self._recent_actions = []
        for number, path in enumerate(paths, start=1):
            action = QAction(f"&{number} {Path(path).name}", self)
            action.setObjectName(f"recentSession{number}Action")
            action.setData(path)
            action.setToolTip(path)
            action.setStatusTip(f"Open the session {path}")
            action.triggered.connect(lambda _checked=False, p=path: sessions.open_recent(p))
            menu.insertAction(self._recent_separator, action)
            self._recent_actions.append(action)
        self._recent_separator.setVisible(bool(paths))
        self._clear_recent_action.setEnabled(bool(paths))

    def _history_action(self, prefix, name, shortcuts, step, enabled, enabled_changed, text_changed) -> QAction:
        """Undo or redo that stops a running run first.

        Not ``QUndoStack.createUndoAction``: its action steps the stack before any slot of ours runs, so a
        run in progress would be finalised on top of the undone state, and the undone step lost for good.
        Stopped first, the run becomes a step of its own, which the undo then takes back.
        """
        action = QAction(prefix, self)
        action.setObjectName(name)
        action.setShortcuts(shortcuts)
        tip = {
            "undoAction": "Take back the last change: a data edit, a knob drag, a run or a reset",
            "redoAction": "Do again the change you last took back",
        }.get(name, "")
        action.setToolTip(tip)
        action.setStatusTip(tip)
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
    import_dialog: ImportDialog | None = None  # the File › Open data dialog while it is open
    _loader: TableLoader | None = None  # made on the first big file
    _launch_file: str | None = None  # the big file named at launch, while it is being read
    load_progress: LoadProgress | None = None  # its progress bar and Cancel, in the status bar

    def open_path(self, path, *, at_launch: bool = False) -> bool:
        """Open a data file's first two columns as x and y (samples, a dropped two-column file).

        A file under 1 MiB is read at once.  A bigger one is read in the background, with progress and
        Cancel in the status bar and the window usable meanwhile, and becomes the data when read.
        Returns False when it could not be opened (a notice says why; the data stays as it was), True
        when it opened or is loading.  ``at_launch``: the file named on the command line, which becomes
        the starting point (no undo step back to the sample shown meanwhile, no unsaved changes) unless
        the user has edited something while it was read.
        """
        if is_big_file(path):
            self._launch_file = str(path) if at_launch else None
            self.file_loader.start(path)
            return True
        if self.controller.open_file(path):
            self.fit_plot.reframe()
            return True
        return False

    def open_data_dialog(self) -> None:
        """Ask for a data file, then show its columns in the import dialog (File › Open data)."""
        path, _ = QFileDialog.getOpenFileName(
            self, "Open data", str(self._last_dir()), "Data files (*.csv *.tsv *.txt *.dat);;All files (*)"
        )
        if path:
            self._remember_dir(path)
            self.show_import_dialog(path)

    def show_import_dialog(self, path, columns: tuple[int, int, int | None] | None = None) -> ImportDialog:
        """Show the import dialog for ``path`` (window-modal, without blocking); Open makes it the data."""
        if self.import_dialog is not None:
            self.import_dialog.reject()
        dialog = ImportDialog(path, self, columns=columns, runner=self.runner)
        dialog.finished.connect(self._on_import_dialog_finished)
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def open_dropped(self, path) -> None:
        """A file dropped on the window: a session (``.json``) opens as File › Open session does (asking
        about unsaved changes first); a table of exactly two columns of numbers or dates opens at
        once (x, y), like a sample; otherwise the import dialog shows it to choose x, y and σ.  A file
        that cannot be read says why in a notice and changes nothing."""
        if Path(path).suffix.lower() == ".json":
            self._remember_dir(str(path))
            self.session_manager.open_path(path)
            return
        try:
            preview = preview_table(path)
        except DataError as exc:
            self._on_notice("error", f"Could not open the dropped file: {exc}")
            return
        self._remember_dir(str(path))
        if preview.table.n_columns == 2 and all(column.values is not None for column in preview.table.columns):
            self.open_path(path)  # two columns of numbers or dates: x and y, nothing to choose
        else:
            self.show_import_dialog(path)

    @property
    def file_loader(self) -> TableLoader:
        """Reads big files in the background for ``open_path`` (made, with its status-bar progress, on first use)."""
        if self._loader is None:
            self._loader = TableLoader(self.runner, self)
            self.load_progress = LoadProgress(self._loader)
            self.statusBar().addPermanentWidget(self.load_progress)
            self._loader.loaded.connect(self._on_file_loaded)
            self._loader.failed.connect(self._on_file_load_failed)
            self._loader.cancelled.connect(self._on_file_load_cancelled)
        return self._loader

    @Slot(int)
    def _on_import_dialog_finished(self, result: int) -> None:
        dialog, self.import_dialog = self.import_dialog, None
        if dialog is None:
            return
        dataset = dialog.result_dataset if result == ImportDialog.DialogCode.Accepted else None
        if dataset is not None:
            self.controller.open_dataset(dataset, dialog.path)
            self.fit_plot.reframe()
        dialog.deleteLater()

    @Slot(object, str)
    def _on_file_loaded(self, table: Table, path: str) -> None:
        try:
            loaded = dataset_from_table(table, 0, 1, name=Path(path).stem, source=path)
        except DataError as exc:
            self._on_notice("error", f"Could not open the file: {exc}")
            return
        dataset = loaded.dataset
        at_launch = self._launch_file == str(path) and not self.document.undo_stack.count()
        self._launch_file = None
        self.controller.open_dataset(dataset, path)
        self.fit_plot.reframe()
        if at_launch:  # as if it had been read before the window appeared
            self.document.undo_stack.clear()
            self.session_manager.mark_clean()
        if loaded.notices:
            self._on_notice("warning", f"{Path(path).name}: {'; '.join(loaded.notices)}.")

    @Slot(object)
    def _on_file_load_failed(self, error: DataError) -> None:
        self._on_notice("error", f"Could not open the file: {error}")

    @Slot(str)
    def _on_file_load_cancelled(self, path: str) -> None:
        self.statusBar().showMessage(f"Stopped reading {Path(path).name}; the data is unchanged.", 8000)

    def _stop_loading(self) -> None:
        if self._loader is not None:
            self._loader.shutdown()
        if self.import_dialog is not None:
            self.import_dialog.shutdown()

    @staticmethod
    def _dropped_path(event) -> str | None:
        """The local file a drag carries, if it carries exactly one (several at once are refused)."""
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if len(urls) != 1 or not urls[0].isLocalFile():
            return None
        return urls[0].toLocalFile()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        """Accept a drag that carries one local file."""
        if self._dropped_path(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt API
        """Keep accepting the file over every part of the window."""
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        """Open the dropped file (see ``open_dropped``)."""
        path = self._dropped_path(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_dropped(path)

    def _last_dir(self) -> Path:
        return Preferences().last_directory

    def _remember_dir(self, path: str) -> None:
        Preferences().remember_directory_of(path)

    # -- reactions ---------------------------------------------------------------------------------
    def _delete_selected_point(self) -> None:
        if self.fit_plot.selected is not None:
            self.controller.remove_points([self.fit_plot.selected])
            self.fit_plot.select_point(None)

    @Slot(str, str)
    def _on_notice(self, level: str, message: str) -> None:
        """Status bar for everything; a dismissable banner (non-modal) for warnings and errors."""
        self.statusBar().showMessage(message, NOTICE_SECONDS * 1000)
        if level in ("warning", "error"):
            colours = {"warning": "#fff3cd; color: #5c4400", "error": "#f8d7da; color: #6b0f1a"}
            self.notice_label.setStyleSheet(
                f"QLabel {{ background: {colours[level]}; padding: 6px; border-radius: 4px; font-size: 11pt; }}"
            )
            self.notice_label.setText(("⚠ " if level == "warning" else "✖ ") + message)
            self.notice_label.setVisible(True)
            self.notice_fix_button.setVisible(self._fix_offered)
            self._notice_timer.start()
        self._fix_offered = False

    @Slot()
    def _hide_notice(self) -> None:
        self.notice_label.setVisible(False)
        self.notice_fix_button.setVisible(False)

    @Slot()
    def _offer_stable_rate(self) -> None:
        self._fix_offered = True

    @Slot()
    def _apply_notice_fix(self) -> None:
        self._hide_notice()
        self.controller.use_stable_rate()

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self.run_action.setText("S&top gradient descent" if running else "&Run gradient descent")
        if running:
            self.statusBar().showMessage("Gradient descent is running… (Stop or F5 to stop)")

    @Slot()
    def _update_title(self) -> None:
        """The session file (if any), the data's name, and "*" while there are unsaved changes."""
        name = self.document.dataset.name or "untitled"
        star = "*" if self.session_manager.modified else ""
        path = self.session_manager.path
        prefix = f"{path.name}{star} — {name}" if path is not None else f"{name}{star}"
        self.setWindowTitle(f"{prefix} — Curve Fitter Workbench")

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Curve Fitter Workbench",
            f"<b>Curve Fitter Workbench</b> {__version__}<p>Fit a polynomial by turning its knobs by hand, then "
            "watch gradient descent — with gradients from a backpropagation engine — turn them "
            "for you, and compare both with the exact least-squares optimum.</p>",
        )

    def shutdown(self) -> None:
        """Stop every background task (run, race, sweep, surface, file) and end the compute processes;
        safe to repeat."""
        self.controller.stop_run()
        self.race_controller.shutdown()
        self.sweep_controller.shutdown()
        self.facts_controller.shutdown()
        self._stop_loading()
        self.surface_plot.shutdown()
        self.runner.shutdown()

    _framed = False  # shown once: the window manager's frame is known

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        """The first time: make sure the frame, title bar included, fits the screen's available area."""
        super().showEvent(event)
        if not self._framed:
            self._framed = True
            keep_inside_screen_when_shown(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        """Ask about unsaved changes (Cancel keeps the window open), then stop background work and close.

        A run in progress is stopped first: its result becomes a step, so it counts as a change to save.
        """
        self.controller.stop_run()
        if not self.session_manager.confirm_close():
            event.ignore()
            return
        self._save_preferences()
        self.shutdown()
        super().closeEvent(event)

    def _save_preferences(self) -> None:
        """Remember the window's geometry and dock layout for the next launch."""
        save_window_layout(self)

    def show_tour(self) -> QuickTour:
        """Start Help › Quick tour from its first step."""
        tour = self.findChild(QuickTour)
        if tour is None:
            tour = QuickTour(self)
        tour.start()
        return tour

    def show_preferences(self) -> PreferencesDialog:
        """Open the Preferences dialog (non-modal; one at a time)."""
        dialog = self.findChild(PreferencesDialog)
        if dialog is None:
            dialog = PreferencesDialog(self)
        if dialog.isVisible():  # already open, perhaps behind the window
            dialog.raise_()
            dialog.activateWindow()
        else:
            dialog.load()
            dialog.show()
        return dialog


def is_big_file(path) -> bool:
    """True for a file big enough to be read in the background (``BACKGROUND_LOAD_BYTES`` or more)."""
    try:
        return Path(path).stat().st_size >= BACKGROUND_LOAD_BYTES
    except OSError:
        return False  # the reader reports why it cannot be read


def load_initial_dataset(path) -> tuple[Dataset | None, str | None]:
    """The dataset to open at launch and an error message if the file could not be read."""
    try:
        return load_dataset(path), None
    except (DataError, OSError) as exc:
        return None, f"Could not open {path}: {exc}"

"""The window's panels as docks: short titles that fit a tab at any text size, full names in the View menu.

Where each dock goes is a layout preset's business (``presets.py``); this module only makes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDockWidget, QScrollArea, QUndoView, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from .main_window import MainWindow


@dataclass(frozen=True)
class DockSpec:
    """One dock: its title (on its tab and title bar), objectName, and the full name the View menu shows."""

    title: str
    name: str
    full_name: str


# Titles are short on purpose: a tab group of four must fit a 1280-pixel-wide window in presentation mode.
DOCKS = {
    "data": DockSpec("Data", "dataDock", "&Data table"),
    "history": DockSpec("History", "historyDock", "Undo &history"),
    "model": DockSpec("Model", "modelDock", "&Model and gradient descent settings"),
    "knobs": DockSpec("Knobs", "knobDock", "&Knobs and run buttons"),
    "loss": DockSpec("Loss", "lossDock", "&Loss history"),
    "surface": DockSpec("Surface", "surfaceDock", "Loss &surface"),
    "compare": DockSpec("Compare", "compareDock", "Manual vs gradient descent (&compare)"),
    "graph": DockSpec("Graph", "graphDock", "Computational &graph"),
    "lab": DockSpec("Lab", "conditioningDock", "Co&nditioning lab"),
    "race": DockSpec("Race", "raceDock", "Optimiser &race"),
    "gradcheck": DockSpec("Check", "gradCheckDock", "Gradient &check"),
    "report": DockSpec("Report", "reportDock", "Fit &report"),
}


def build_docks(window: MainWindow) -> dict[str, QDockWidget]:
    """One dock per panel of ``window`` (not yet placed: a preset places them).

    Panels wider than a tab group of the Lesson leaves them (the comparison, the graph's buttons, the lab)
    scroll rather than widen the window past a 1280-pixel projector.
    """
    contents = {
        "data": window.data_panel,
        "history": history_view(window),
        "model": scrolling(window.model_panel),
        "knobs": knob_column(window),
        "loss": window.loss_plot,
        "surface": window.surface_plot,
        "compare": scrolling(window.compare_panel),
        "graph": scrolling(window.graph_view),
        "lab": scrolling(window.conditioning_lab),
        "race": window.lazy_panels["race"],
        "gradcheck": scrolling(window.gradcheck_panel),
        "report": window.lazy_panels["report"],
    }
    return {key: make_dock(window, DOCKS[key], widget) for key, widget in contents.items()}


def make_dock(window: MainWindow, spec: DockSpec, widget: QWidget) -> QDockWidget:
    """A movable, floatable, closable dock holding ``widget``, its View-menu entry named in full."""
    dock = QDockWidget(spec.title, window)
    dock.setObjectName(spec.name)
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    plain = spec.full_name.replace("&", "")
    dock.setAccessibleName(plain)
    toggle = dock.toggleViewAction()
    toggle.setText(spec.full_name)
    toggle.setToolTip(f"Show or hide the {plain[0].lower() + plain[1:]} panel")
    toggle.setStatusTip(toggle.toolTip())
    return dock


def knob_column(window: MainWindow) -> QWidget:
    """The knobs with the run buttons under them: what a lesson turns, and what turns it."""
    column = QWidget(objectName="knobColumn")
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 4, 4)
    layout.setSpacing(2)
    layout.addWidget(window.knob_panel, 1)
    layout.addWidget(window.run_controls)
    return column


def history_view(window: MainWindow) -> QUndoView:
    """Undo as a timeline: every data edit, knob drag, run, reset and model change is one row."""
    view = QUndoView(window.document.undo_stack)
    view.setObjectName("historyView")
    view.setAccessibleName("Undo history")
    view.setEmptyLabel("Opened")
    view.setToolTip("Every undoable step, oldest first: click a step to go back (or forward) to it")
    # A click moves the stack directly; during a run that would pull the document from under it.
    window.controller.runningChanged.connect(lambda running: view.setEnabled(not running))
    return view


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area, for panels taller than their dock on a small screen."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area

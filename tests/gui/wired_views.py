"""Views built on their own, wired to a controller exactly as the window wires them (for the view tests)."""

from __future__ import annotations

from workbench.qt.app_state.background import RaceController, SweepController
from workbench.qt.app_state.controller import Controller
from workbench.qt.app_state.document import FitDocument
from workbench.qt.views.compare_panel import ComparisonPanel
from workbench.qt.views.conditioning_lab import ConditioningLab
from workbench.qt.views.data_panel import DataPanel
from workbench.qt.views.race_panel import RacePanel
from workbench.qt.views.surface_plot import SurfacePlot
from workbench.qt.window import wiring


def data_panel(document: FitDocument, controller: Controller) -> DataPanel:
    """The data table and its buttons."""
    panel = DataPanel(document)
    wiring.wire_data_panel(panel, controller)
    return panel


def conditioning_lab(document: FitDocument, controller: Controller) -> ConditioningLab:
    """The lab, with a sweep controller of its own (``lab.sweeps``) on the controller's task runner."""
    lab = ConditioningLab(document)
    lab.sweeps = SweepController(document, controller.runner, lab)
    wiring.wire_lab(lab, controller, lab.sweeps)
    return lab


def surface_plot(document: FitDocument, controller: Controller) -> SurfacePlot:
    """The loss surface, computing on the controller's task runner."""
    surface = SurfacePlot(document, controller.runner)
    wiring.wire_surface(surface, controller)
    return surface


def compare_panel(document: FitDocument, controller: Controller) -> ComparisonPanel:
    """The comparison panel."""
    panel = ComparisonPanel(document)
    wiring.wire_compare_panel(panel, controller)
    return panel


def race_panel(document: FitDocument, controller: Controller) -> RacePanel:
    """The race panel, with a race controller of its own (``panel.race_controller``)."""
    panel = RacePanel(document)
    panel.race_controller = RaceController(document, controller.runner, panel)
    wiring.wire_race_panel(panel, panel.race_controller)
    return panel

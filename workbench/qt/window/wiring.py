"""Where the views' requests meet the controllers: every intent signal of every view is connected here.

The views only ask (signals) and draw the document; the controllers change the document through its own
methods; the document's signals make the views redraw.  Reading this module tells what each control of the
window does.  Each view has its own function, so a view shown on its own (a test, a tool) is wired the same
way as in the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.qt.views.model_panel import speed_to_delay

if TYPE_CHECKING:
    from workbench.qt.app_state.background import RaceController, SweepController
    from workbench.qt.app_state.controller import Controller
    from workbench.qt.views.compare_panel import ComparisonPanel
    from workbench.qt.views.conditioning_lab import ConditioningLab
    from workbench.qt.views.data_panel import DataPanel
    from workbench.qt.views.fit_plot import FitPlot
    from workbench.qt.views.knob_panel import KnobPanel
    from workbench.qt.views.model_panel import ModelPanel
    from workbench.qt.views.race_panel import RacePanel
    from workbench.qt.views.run_controls import RunControls
    from workbench.qt.views.surface_plot import SurfacePlot

    from .main_window import MainWindow


def wire_views(window: MainWindow) -> None:
    """Connect the window's views to its controllers, and the views that follow one another."""
    ctl = window.controller
    wire_fit_plot(window.fit_plot, ctl)
    wire_data_panel(window.data_panel, ctl)
    wire_knob_panel(window.knob_panel, ctl)
    wire_model_panel(window.model_panel, ctl)
    wire_run_controls(window.run_controls, ctl)
    wire_surface(window.surface_plot, ctl)
    wire_compare_panel(window.compare_panel, ctl)
    wire_lab(window.conditioning_lab, ctl, window.sweep_controller)
    # (The race panel is wired as it is built: see MainWindow._lazy.)
    # A point selected in one view is highlighted in the others.
    window.fit_plot.pointSelected.connect(window.data_panel.select_row)
    window.fit_plot.pointSelected.connect(window.graph_view.set_point)
    window.data_panel.rowSelected.connect(window.fit_plot.select_point)


def wire_fit_plot(fit: FitPlot, ctl: Controller) -> None:
    """Clicks and drags on the plot add, move and remove points."""
    fit.pointAddRequested.connect(ctl.add_point)
    fit.pointMoveRequested.connect(ctl.move_point)
    fit.pointRemoveRequested.connect(lambda index: ctl.remove_points([index]))
    fit.pointRemoveRequested.connect(lambda _index: fit.select_point(None))


def wire_data_panel(data: DataPanel, ctl: Controller) -> None:
    """The table's edits, buttons and pastes."""
    data.pointAddRequested.connect(ctl.add_point)
    data.pointsRemoveRequested.connect(ctl.remove_points)
    data.clearRequested.connect(ctl.clear_data)
    data.dataReplaceRequested.connect(ctl.replace_data)
    data.dataExtendRequested.connect(lambda dataset, text: ctl.replace_data(dataset, text, fresh=False))
    data.noticeRequested.connect(ctl.notice)
    data.model.cellEditRequested.connect(ctl.edit_cell)


def wire_knob_panel(knobs: KnobPanel, ctl: Controller) -> None:
    """Turning a knob."""
    knobs.knobTurned.connect(ctl.set_knob)


def wire_model_panel(model: ModelPanel, ctl: Controller) -> None:
    """Model, basis, loss, run settings and speed."""
    model.modelRequested.connect(ctl.set_model)
    model.formulaRequested.connect(ctl.formulas.set_formula)
    model.guessStartRequested.connect(ctl.formulas.guess_start)
    model.stableRateRequested.connect(ctl.use_stable_rate)
    model.degreeRequested.connect(ctl.set_degree)
    model.basisRequested.connect(ctl.set_basis)
    model.lossRequested.connect(ctl.set_loss)
    model.settingsRequested.connect(lambda changes: ctl.set_run_settings(**changes))
    model.speedRequested.connect(ctl.set_speed)
    model.validation.splitRequested.connect(ctl.set_split)
    model.validation.settingsRequested.connect(lambda changes: ctl.set_run_settings(**changes))
    ctl.set_speed(speed_to_delay(model.speed_slider.value()))  # the pace the slider shows from the start


def wire_run_controls(buttons: RunControls, ctl: Controller) -> None:
    """Run (or Stop), Step, Solve exactly and Reset."""
    buttons.runToggled.connect(ctl.toggle_run)
    buttons.stepRequested.connect(ctl.step_once)
    buttons.exactToggled.connect(ctl.show_exact)
    buttons.resetRequested.connect(ctl.reset_knobs)


def wire_surface(surface: SurfacePlot, ctl: Controller) -> None:
    """A click on the loss surface sets the two knobs shown."""
    surface.knobsPicked.connect(ctl.set_knobs)


def wire_compare_panel(compare: ComparisonPanel, ctl: Controller) -> None:
    """The ghost-curve toggles and "Restore my manual fit"."""
    compare.overlaysRequested.connect(lambda shown: ctl.set_overlays(**shown))
    compare.restoreManualRequested.connect(ctl.restore_manual_fit)


def wire_lab(lab: ConditioningLab, ctl: Controller, sweeps: SweepController) -> None:
    """Basis switches, a rate picked on the sweep plot, and the sweep itself."""
    lab.basisRequested.connect(ctl.set_basis)
    lab.settingsRequested.connect(lambda changes: ctl.set_run_settings(**changes))
    lab.sweepRequested.connect(sweeps.start)
    lab.sweepStopRequested.connect(sweeps.stop)


def wire_race_panel(race: RacePanel, races: RaceController) -> None:
    """Starting and stopping the optimiser race."""
    race.raceRequested.connect(lambda kinds, steps, manual: races.start(kinds, steps, manual))
    race.raceStopRequested.connect(races.stop)

"""Panels a preset keeps behind tabs (the lab, the race, the report) and the residual plot are built the
first time they come on screen: the window opens faster, and a panel built late is the same as one built
with the window (wired to the controllers, named for a screen reader, in the theme and look in effect,
showing the document as it is)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from workbench.qt.app_state.preferences import set_theme
from workbench.qt.style.themes import PLOT_COLOURS
from workbench.qt.window.accessibility import NAMES

BEHIND_TABS_IN_THE_LESSON = ("lab", "race", "report")


def test_the_lesson_opens_without_building_what_it_does_not_show(make_main_window):
    window = make_main_window()
    assert window.layout_presets.current == "lesson"
    assert not window.residuals_action.isChecked() or not window.lazy_panels["residuals"].isVisible()
    built = {key: panel.is_built for key, panel in window.lazy_panels.items()}
    assert built == dict.fromkeys(window.lazy_panels, False), built


def test_raising_a_tab_builds_its_panel_in_the_theme_and_look_in_effect_and_wired(make_main_window, qtbot):
    window = make_main_window()
    set_theme("dark")
    window.presentation.set_on(True)
    lab_panel = window.lazy_panels["lab"]
    window.docks["lab"].raise_()
    qtbot.waitUntil(lambda: lab_panel.is_built)
    lab = window.conditioning_lab
    qtbot.waitUntil(lab.isVisible)
    # Styled as it was built: the sweep plot's background is the dark theme's, its text the look's size.
    sweep = lab.findChild(pg.GraphicsView, "sweepPlot")
    assert sweep is not None
    assert sweep.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["dark"].background
    assert sweep.accessibleName() == NAMES["sweepPlot"]
    axis = sweep.getPlotItem().getAxis("bottom")
    fit_axis = window.fit_plot.getPlotItem().getAxis("bottom")
    assert axis.style["tickFont"].pointSizeF() == fit_axis.style["tickFont"].pointSizeF()
    # Wired: its requests reach the controller.
    lab.switch_basis("legendre")
    assert window.document.state.basis.kind == "legendre"
    # The race panel, still behind its tab, was not built on the way.
    assert not window.lazy_panels["race"].is_built


def test_a_panel_built_late_shows_the_document_as_it_is(make_main_window):
    window = make_main_window()
    ctl = window.controller
    ctl.set_degree(2)
    ctl.set_knob(0, 1.5)
    assert not window.lazy_panels["report"].is_built and not window.lazy_panels["residuals"].is_built
    report = window.report_panel.report
    assert report is not None and len(report.coefficients) == 3  # the degree set before it existed
    _, residuals = window.residual_plot.residuals()
    data = window.document.dataset
    assert np.allclose(np.sort(residuals), np.sort(data.y - window.document.fitted()))


def test_showing_the_residual_plot_builds_it_in_place_at_once(make_main_window, qtbot):
    window = make_main_window()
    window.residuals_action.setChecked(True)
    assert window.lazy_panels["residuals"].is_built
    plot = window.residual_plot
    assert plot.isVisible()  # at once, not on a later turn of the event loop
    qtbot.waitUntil(lambda: plot.height() > 40)  # the splitter gives it its share
    window.residuals_action.setChecked(False)
    assert not plot.isVisible()


def test_every_lazy_panel_shows_in_some_preset(make_main_window, qtbot):
    """No panel is left unbuildable: each preset that shows one builds it when it is shown."""
    window = make_main_window()
    for key, dock in (("lab", "lab"), ("race", "race"), ("report", "report")):
        window.docks[dock].raise_()
        qtbot.waitUntil(lambda key=key: window.lazy_panels[key].is_built)
    window.layout_presets.apply("mydata")  # the residuals under the fit
    assert window.lazy_panels["residuals"].is_built and window.residual_plot.isVisible()

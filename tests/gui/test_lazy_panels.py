"""Panels a preset keeps behind tabs (the race, the report) and the residual plot are built the first time
they come on screen: the window opens faster, and a panel built late is the same as one built with the
window (wired to the controllers, named for a screen reader, in the theme and look in effect, showing the
document as it is, in its place in the Tab order).  The lab is built with the window: it shows what a
basis switch did, so it must have seen the problem before the switch."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from workbench.qt.app_state.preferences import set_theme
from workbench.qt.style.themes import PLOT_COLOURS
from workbench.qt.window.accessibility import NAMES


def test_the_lesson_opens_without_building_what_it_does_not_show(make_main_window):
    window = make_main_window()
    assert window.layout_presets.current == "lesson"
    assert not window.residuals_action.isChecked() or not window.lazy_panels["residuals"].isVisible()
    built = {key: panel.is_built for key, panel in window.lazy_panels.items()}
    assert built == dict.fromkeys(window.lazy_panels, False), built


def test_panels_built_late_are_in_the_theme_and_look_in_effect_named_and_wired(make_main_window, qtbot):
    window = make_main_window()
    set_theme("dark")
    window.presentation.set_on(True)
    started = []
    window.race_controller.start = lambda *args: started.append(args)
    window.docks["race"].raise_()
    qtbot.waitUntil(lambda: window.lazy_panels["race"].is_built)
    race = window.race_panel
    qtbot.waitUntil(race.isVisible)
    assert race.table.accessibleName() == NAMES["raceScoreboard"]
    race.raceRequested.emit(("gd",), 10, False)  # wired as it was built
    assert started == [(("gd",), 10, False)]
    assert not window.lazy_panels["report"].is_built  # still behind its tab: not built on the way
    # The residual plot, shown after the theme and the look changed: dark, its text the look's size.
    window.residuals_action.setChecked(True)
    plot = window.residual_plot
    assert plot.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["dark"].background
    assert plot.accessibleName() == NAMES["residualPlot"]
    axis = plot.getPlotItem().getAxis("bottom")
    fit_axis = window.fit_plot.getPlotItem().getAxis("bottom")
    assert axis.style["tickFont"].pointSizeF() == fit_axis.style["tickFont"].pointSizeF()


def test_the_lab_shows_a_basis_switch_made_before_it_was_first_opened(make_main_window, qtbot):
    """A teacher switches basis in the Model panel, then opens the Lab to show what the switch did."""
    window = make_main_window()
    window.controller.set_degree(5)
    window.controller.set_basis("legendre")
    window.docks["lab"].raise_()
    lab = window.conditioning_lab
    qtbot.waitUntil(lab.isVisible)
    assert lab.condition_drop is not None, lab.condition_label.text()
    assert "→" in lab.condition_label.text()


def docks_in_tab_order(window) -> list[str]:
    """The docks (or "central") that Tab visits in turn, each run of one dock's controls counted once."""

    def dock_of(widget):
        while widget is not None and not isinstance(widget, QDockWidget):
            widget = widget.parentWidget()
        return widget.objectName() if widget is not None else "central"

    order, widget = [], window.nextInFocusChain()
    while widget is not window:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            name = dock_of(widget)
            if not order or order[-1] != name:
                order.append(name)
        widget = widget.nextInFocusChain()
    return order


def test_tab_order_keeps_a_panel_built_late_where_its_dock_is(make_main_window, qtbot):
    """Tab walks the docks in the order they were made, and from the fit plot to the residual plot under
    it, whatever order the panels were built in (Qt puts a widget new to a window last)."""
    window = make_main_window()
    for key in ("report", "race"):  # opened in the order a user happened to open them
        window.docks[key].raise_()
        qtbot.waitUntil(lambda key=key: window.lazy_panels[key].is_built)
    window.residuals_action.setChecked(True)
    assert docks_in_tab_order(window) == [
        "central",
        "dataDock",
        "historyDock",
        "modelDock",
        "knobDock",
        "lossDock",
        "surfaceDock",
        "compareDock",
        "graphDock",
        "conditioningDock",
        "raceDock",
        "gradCheckDock",
        "reportDock",
        "central",  # (the notice's fix button, last)
    ]


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
    for key, dock in (("race", "race"), ("report", "report")):
        window.docks[dock].raise_()
        qtbot.waitUntil(lambda key=key: window.lazy_panels[key].is_built)
    window.layout_presets.apply("mydata")  # the residuals under the fit
    assert window.lazy_panels["residuals"].is_built and window.residual_plot.isVisible()

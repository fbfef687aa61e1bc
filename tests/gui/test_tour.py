"""Help › Quick tour: opened by F1, walks the story step by step, outlines each widget, notices when the user
has done the step, does it on request, and never blocks the window."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from workbench.qt.dialogs.tour import QuickTour
from workbench.qt.dialogs.tour_steps import STEPS

LEFT = Qt.MouseButton.LeftButton


def open_tour(qtbot, window) -> QuickTour:
    """Help › Quick tour by its shortcut, F1."""
    QTest.keyClick(window, Qt.Key.Key_F1)
    tour = window.findChild(QuickTour, "quickTour")
    assert tour is not None
    qtbot.waitUntil(tour.isVisible)
    return tour


def click(qtbot, tour, name: str) -> None:
    button = tour.findChild(QPushButton, name)
    assert button.isVisible() and button.isEnabled(), name
    qtbot.mouseClick(button, LEFT)


def in_window(widget: QWidget, window) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def outlined(tour, window, widget: QWidget) -> bool:
    """True when the tour's outline is shown around (a visible part of) ``widget``."""
    rect = in_window(widget, window)
    parent = widget.parentWidget()
    while parent is not window:  # what scroll areas and docks leave on screen
        rect = rect.intersected(in_window(parent, window))
        parent = parent.parentWidget()
    return tour.highlight.isVisible() and not rect.isEmpty() and tour.highlight.geometry().contains(rect)


def status(tour) -> str:
    return tour.findChild(QLabel, "tourStatus").text()


def assert_card_inside_window(tour, window) -> None:
    assert window.rect().contains(in_window(tour, window)), (in_window(tour, window), window.rect())


def test_f1_opens_the_tour_on_the_first_step_outlining_the_plot(qtbot, make_main_window):
    window = make_main_window()
    action = window.findChild(QAction, "quickTourAction")
    assert action.shortcut().toString() == "F1" and action.statusTip()
    tour = open_tour(qtbot, window)
    assert tour.index == 0
    assert "Add points" in tour.findChild(QLabel, "tourTitle").text()
    assert outlined(tour, window, window.fit_plot)
    assert not tour.findChild(QPushButton, "tourBackButton").isEnabled()
    assert status(tour).startswith("Waiting")
    assert_card_inside_window(tour, window)


def test_the_first_step_notices_a_click_on_the_plot_and_the_window_stays_usable(qtbot, make_main_window):
    window = make_main_window()
    tour = open_tour(qtbot, window)
    plot = window.fit_plot
    box = plot.getPlotItem().getViewBox()
    (x0, x1), (y0, y1) = box.viewRange()
    spot = QPointF(x0 + 0.3 * (x1 - x0), y0 + 0.9 * (y1 - y0))  # empty space, away from the card
    pixel = plot.mapFromScene(box.mapViewToScene(spot))
    n = window.document.dataset.n
    qtbot.mouseClick(plot.viewport(), LEFT, pos=pixel)
    assert window.document.dataset.n == n + 1  # the click reached the plot through the outline
    assert tour.is_step_done() and status(tour).startswith("✓")


def test_walking_the_whole_story_with_show_me(qtbot, make_main_window):
    window = make_main_window()
    window.controller.set_run_settings(max_steps=300)
    tour = open_tour(qtbot, window)

    click(qtbot, tour, "tourActButton")  # 1: add a point
    assert tour.is_step_done()
    click(qtbot, tour, "tourNextButton")

    assert tour.index == 1 and outlined(tour, window, window.knob_panel)
    assert not tour.is_step_done()
    loss = window.document.loss_value
    click(qtbot, tour, "tourActButton")  # 2: turn the knob with the strongest pull
    assert window.document.manual_moves == 1
    assert window.document.loss_value < loss
    assert tour.is_step_done()
    click(qtbot, tour, "tourNextButton")

    bar = window.findChild(QWidget, "knobGradientBar0")
    assert tour.index == 2 and outlined(tour, window, bar)
    assert not window.forces_action.isChecked()
    click(qtbot, tour, "tourActButton")  # 3: the pulls on the plot
    assert window.forces_action.isChecked() and tour.is_step_done()
    click(qtbot, tour, "tourNextButton")

    run_button = window.findChild(QPushButton, "runButton")
    assert tour.index == 3 and outlined(tour, window, run_button)
    click(qtbot, tour, "tourActButton")  # 4: a run, to its end
    qtbot.waitUntil(tour.is_step_done, timeout=20000)
    assert window.document.last_run is not None and status(tour).startswith("✓")
    click(qtbot, tour, "tourNextButton")

    compare = window.docks["compare"]
    assert tour.index == 4 and compare.isVisible() and outlined(tour, window, compare)
    click(qtbot, tour, "tourActButton")  # 5: the exact optimum
    assert window.document.show_exact and tour.is_step_done()
    click(qtbot, tour, "tourNextButton")

    assert tour.index == len(STEPS) - 1
    assert not tour.findChild(QPushButton, "tourActButton").isVisible()
    assert tour.findChild(QPushButton, "tourNextButton").text() == "Finish"
    assert_card_inside_window(tour, window)
    click(qtbot, tour, "tourNextButton")  # Finish
    assert not tour.isVisible() and not tour.highlight.isVisible()


def test_a_knob_turned_by_hand_ticks_off_the_second_step(qtbot, make_main_window):
    window = make_main_window()
    tour = open_tour(qtbot, window)
    click(qtbot, tour, "tourNextButton")
    dial = window.findChild(QWidget, "knob1")
    dial.setFocus()
    QTest.keyClick(dial, Qt.Key.Key_Up)
    assert window.document.manual_moves >= 1
    assert tour.is_step_done()


def test_back_close_and_reopen(qtbot, make_main_window):
    window = make_main_window()
    tour = open_tour(qtbot, window)
    for _ in range(3):
        click(qtbot, tour, "tourNextButton")
        assert_card_inside_window(tour, window)
    assert tour.index == 3
    click(qtbot, tour, "tourBackButton")
    assert tour.index == 2
    click(qtbot, tour, "tourCloseButton")
    assert not tour.isVisible() and not tour.highlight.isVisible()
    window.findChild(QAction, "quickTourAction").trigger()
    assert tour.isVisible() and tour.index == 0
    assert window.findChildren(QuickTour) == [tour]  # one tour, reused


def test_the_outline_follows_its_widget_when_the_window_resizes(qtbot, make_main_window):
    window = make_main_window()
    tour = open_tour(qtbot, window)
    click(qtbot, tour, "tourNextButton")
    before = tour.highlight.geometry()
    window.resize(window.width() - 120, window.height() - 60)
    qtbot.waitUntil(lambda: tour.highlight.geometry() != before)
    assert outlined(tour, window, window.knob_panel)
    assert_card_inside_window(tour, window)


def test_every_step_says_something_and_outlines_something_but_the_last(make_main_window):
    window = make_main_window()
    for step in STEPS[:-1]:
        assert step.title and len(step.text) > 80 and step.act is not None and step.done is not None
        assert step.targets(window), step.title
    assert STEPS[-1].targets(window) == []
    assert np.all([s.title[0].isdigit() for s in STEPS])

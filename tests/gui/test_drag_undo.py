"""A long drag is one undo step: hundreds of knob turns or point moves of one drag, with the event loop turning
in between (redraws, autosave, the rate that follows the data), undo back to exactly what was there before."""

from __future__ import annotations

import numpy as np

MOVES = 300  # knob turns of one drag
POINT_MOVES = 200  # point moves of one drag (each refreshes the report and the plots: ~50 ms here)


def test_a_long_knob_drag_is_one_undo_step_and_undo_restores_the_knobs_exactly(make_main_window, qtbot):
    window = make_main_window()
    doc, stack = window.document, window.document.undo_stack
    window.controller.set_knob(2, 0.123456789)  # knobs that are not a round start
    before, steps = doc.theta, stack.count()
    dial = window.knob_panel.rows[1].dial
    dial.setSliderDown(True)  # the press: the panel names this drag
    for i in range(1, MOVES + 1):
        dial.setSliderPosition(int(dial.maximum() * 0.8 * np.sin(i / 40.0)))  # to and fro, as a hand would
        if i % 25 == 0:
            qtbot.wait(5)  # the event loop turns mid-drag: timers fire, views redraw
    dial.setSliderDown(False)
    qtbot.wait(20)
    dragged = doc.theta
    assert dragged[1] != before[1] and np.array_equal(np.delete(dragged, 1), np.delete(before, 1))
    assert stack.count() == steps + 1, f"{stack.count() - steps} undo steps for one drag"
    stack.undo()
    np.testing.assert_array_equal(doc.theta, before)  # exactly: not the first move of the drag
    stack.redo()
    np.testing.assert_array_equal(doc.theta, dragged)
    dial.setSliderDown(True)  # a second drag is a step of its own
    dial.setSliderPosition(dial.maximum() // 3)
    dial.setSliderDown(False)
    assert stack.count() == steps + 2


def test_a_long_point_drag_is_one_undo_step_and_undo_restores_data_and_knobs_exactly(make_main_window, qtbot):
    window = make_main_window()
    doc, stack, plot = window.document, window.document.undo_stack, window.fit_plot
    data, knobs, steps = doc.dataset, doc.theta, stack.count()
    index = data.n // 2
    drag = next(plot.drag_ids)
    x0, y0 = float(data.x[index]), float(data.y[index])
    for i in range(1, POINT_MOVES + 1):  # what the plot asks for, move by move, as the mouse goes
        plot.pointMoveRequested.emit(index, x0 + 0.001 * i, y0 + 0.3 * np.sin(i / 30.0), drag)
        if i % 25 == 0:
            qtbot.wait(5)
    qtbot.wait(20)
    moved = doc.dataset
    assert moved.n == data.n and moved.x[index] == x0 + 0.001 * POINT_MOVES
    assert stack.count() == steps + 1, f"{stack.count() - steps} undo steps for one drag"
    stack.undo()
    np.testing.assert_array_equal(doc.dataset.x, data.x)
    np.testing.assert_array_equal(doc.dataset.y, data.y)
    np.testing.assert_array_equal(doc.theta, knobs)
    stack.redo()
    np.testing.assert_array_equal(doc.dataset.x, moved.x)
    np.testing.assert_array_equal(doc.dataset.y, moved.y)
    plot.pointMoveRequested.emit(index, x0, y0, next(plot.drag_ids))  # another drag: another step
    assert stack.count() == steps + 2

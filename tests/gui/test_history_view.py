"""The undo timeline (History dock): one row per step, a click goes back to it, locked while a run runs."""

from __future__ import annotations

import numpy as np


def test_history_lists_each_step_and_a_click_goes_back(make_main_window, qtbot):
    window = make_main_window()
    ctl, stack = window.controller, window.document.undo_stack
    view = window.findChild(type(window.docks["history"].widget()), "historyView")
    before = window.document.dataset
    ctl.add_point(0.25, 0.5)
    drag = ctl.new_drag_id()
    for value in (0.1, 0.2, 0.3):  # one drag: one step however many moves
        ctl.set_knob(1, value, drag)
    ctl.reset_knobs()
    assert stack.count() == 3
    assert view.model().rowCount() == 4  # "Opened" + three steps
    view.setCurrentIndex(view.model().index(1, 0))  # back to just after the point was added
    assert window.document.dataset.n == before.n + 1
    assert np.all(window.document.theta == 0)
    view.setCurrentIndex(view.model().index(2, 0))  # forward: the knob drag is back
    assert window.document.theta[1] == 0.3


def test_history_is_locked_during_a_run(make_main_window, qtbot):
    window = make_main_window()
    ctl = window.controller
    view = window.docks["history"].widget()
    ctl.set_run_settings(max_steps=10**7, tol=0.0, lr=0.1)
    ctl.start_run()
    assert not view.isEnabled()
    with qtbot.waitSignal(ctl.runFinished, timeout=10_000):
        ctl.stop_run()
    assert view.isEnabled()

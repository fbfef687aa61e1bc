"""A run's history grows in amortised O(1) and its drawn path stays bounded, however long the run."""

from __future__ import annotations

import numpy as np

from workbench.state.runs import MAX_TRAJECTORY_KEPT, GrowingArray


def test_growing_array_keeps_every_value_in_order_and_hands_out_read_only_views():
    buffer = GrowingArray(capacity=4)
    chunks = [np.arange(3.0), np.arange(3.0, 10.0), np.empty(0), np.arange(10.0, 1000.0)]
    for chunk in chunks:
        view = buffer.extend(chunk)
    np.testing.assert_array_equal(view, np.arange(1000.0))
    assert not view.flags.writeable


def test_a_long_runs_path_is_thinned_but_keeps_its_ends(make_main_window, qtbot):
    window = make_main_window()
    controller, doc = window.controller, window.document
    controller.set_run_settings(max_steps=60_000, tol=0.0)
    controller.start_run()
    qtbot.waitUntil(lambda: not controller.running, timeout=60_000)
    assert doc.loss_history[-1].size == 60_000
    assert len(doc.gd_trajectory) <= MAX_TRAJECTORY_KEPT + 4001
    np.testing.assert_array_equal(doc.gd_trajectory[0], np.zeros(6))

"""The train/validation split in the real window: held-out points, both losses, early stopping, undo.

Degree 5 on 8 noisy samples of a sine with 3 held out is the lesson: the curve through 5 training
points keeps lowering the training loss while the loss on the 3 held-out points turns and climbs.
"""

from __future__ import annotations

import numpy as np
import pytest
from case_notes import case
from window_parts import find

from workbench.fitting.data import Dataset
from workbench.fitting.split import Split
from workbench.fitting.training import StopReason

HOLD_OUT_3_OF_8 = Split(0.375, 0)


def over_fitting_data() -> Dataset:
    x = np.linspace(0.0, 1.0, 8)
    return Dataset(x, np.sin(2 * np.pi * x) + np.random.default_rng(5).normal(0.0, 0.3, 8), "over-fitting")


def over_fitting_window(make_main_window, **settings):
    """Degree 5, scaled basis, 3 of 8 points held out, plain GD just under its stability limit."""
    window = make_main_window(dataset=over_fitting_data())
    controller, doc = window.controller, window.document
    controller.set_basis("scaled")
    controller.set_split(HOLD_OUT_3_OF_8)
    lr = 0.9 * doc.problem.conditioning.max_stable_lr
    controller.set_run_settings(**{"lr": lr, "tol": 0.0, "max_steps": 3000, **settings})
    return window


def run_to_end(qtbot, window, timeout=60_000):
    with qtbot.waitSignal(window.controller.runFinished, timeout=timeout) as blocker:
        window.controller.start_run()
    return blocker.args[0]


def test_a_split_in_the_model_panel_trains_on_the_rest_undoes_and_without_held_out_points_stops_nothing_early(
    make_main_window, qtbot
):
    """The plain over-fitting data in one window, each case undone back to no split: the model panel's
    validation controls go through the controller (one undo step each); a split trains on the rest, its exact
    optimum the training points', and undo brings every point back; patience without held-out points runs
    without early stopping and says so."""
    window = make_main_window(dataset=over_fitting_data())
    controller, doc = window.controller, window.document

    with case("the model panel's controls"):
        hold_out, seed = find(window, "holdOutSpin"), find(window, "splitSeedSpin")
        early, patience = find(window, "earlyStopCheck"), find(window, "patienceSpin")
        for widget in (hold_out, seed, early, patience, find(window, "splitSummaryLabel")):
            assert widget.toolTip()
        assert hold_out.text() == "off" and not seed.isEnabled() and not early.isEnabled()
        hold_out.setValue(25)
        assert doc.state.split == Split(0.25, 0)
        assert find(window, "splitSummaryLabel").text().startswith("6 train · 2 held out · validation loss")
        seed.setValue(9)
        assert doc.state.split == Split(0.25, 9)
        assert doc.undo_stack.count() == 2 and early.isEnabled()
        early.setChecked(True)
        assert doc.settings.patience == 200 and patience.isEnabled()
        patience.setValue(50)
        assert doc.settings.patience == 50
        early.setChecked(False)
        assert doc.settings.patience is None
        doc.undo_stack.undo()
        doc.undo_stack.undo()
        assert doc.state.split is None and hold_out.value() == 0

    with case("a split, and undo"):
        data = doc.dataset
        assert doc.problem.x.size == 8 and doc.validation_problem is None and doc.validation_loss() is None
        controller.set_split(HOLD_OUT_3_OF_8)
        train, val = HOLD_OUT_3_OF_8.indices(8)
        np.testing.assert_array_equal(doc.problem.x, data.x[train])
        np.testing.assert_array_equal(doc.problem.y, data.y[train])
        np.testing.assert_array_equal(doc.validation_problem.x, data.x[val])
        assert doc.undo_stack.undoText() == "Hold out 38% for validation"
        # The exact optimum is the training points' (5 points, degree 5: it interpolates them).
        assert doc.exact.loss == pytest.approx(0.0, abs=1e-20)
        assert doc.validation_loss() == pytest.approx(doc.validation_problem.loss_at(doc.theta), rel=1e-15)

        doc.undo_stack.undo()
        assert doc.state.split is None and doc.problem.x.size == 8 and doc.validation_problem is None
        doc.undo_stack.redo()
        assert doc.state.split == HOLD_OUT_3_OF_8 and doc.problem.x.size == 5
        doc.undo_stack.undo()  # (no split again, for the next case)

    with case("patience without held-out points"):
        controller.set_run_settings(patience=5, max_steps=50, tol=0.0)
        notices = []
        controller.notice.connect(lambda level, text: notices.append(text))
        result = run_to_end(qtbot, window)
        assert result.stop_reason is StopReason.MAX_STEPS and result.steps == 50
        assert any("Early stopping is off for this run" in t for t in notices)
        assert window.document.val_history[-1].shape == (0, 2)


def lesson_settings(window, **settings) -> None:
    """Knobs at zero and the run settings of ``over_fitting_window`` (no early stopping unless asked)."""
    window.controller.reset_knobs()
    assert not np.any(window.document.theta)
    lr = 0.9 * window.document.problem.conditioning.max_stable_lr
    window.controller.set_run_settings(**{"lr": lr, "tol": 0.0, "max_steps": 3000, "patience": None, **settings})


def test_the_over_fitting_lesson_with_3_of_8_points_held_out(make_main_window, qtbot):
    """The lesson in one window, each run from knobs at zero with its own settings: held-out points are drawn
    hollow and data edits keep the split's rule; pulls, squares and the graph view follow the training
    points; a run records both losses and the loss plot draws two curves; its legend is compact, in the
    corner, and stays hidden once hidden; over-fitting shows the validation loss rising while the training
    loss falls; early stopping ends the run at the best validation knobs with a message; a diverging run
    stops cleanly with finite knobs; changing the split stops a run and never mixes histories."""
    window = over_fitting_window(make_main_window)
    controller, doc = window.controller, window.document
    plot, graph = find(window, "fitPlot"), window.graph_view
    train, val = HOLD_OUT_3_OF_8.indices(8)

    with case("data edits and hollow points"):
        brushes = [p.brush().color().alpha() for p in plot.points.points()]
        assert [i for i, a in enumerate(brushes) if a == 0] == list(val)  # exactly the held-out ones are hollow
        controller.add_point(0.5, 0.0)
        assert doc.state.split == HOLD_OUT_3_OF_8
        assert (doc.problem.x.size, doc.validation_problem.x.size) == (6, 3)  # round(0.375 · 9) = 3
        controller.set_split(None)
        assert all(p.brush().color().alpha() > 0 for p in plot.points.points())
        doc.undo_stack.undo()
        doc.undo_stack.undo()  # the split back, the point gone: the lesson as it opened
        assert doc.state.split == HOLD_OUT_3_OF_8 and doc.dataset.n == 8

    with case("pulls, squares and the graph view"):
        plot.set_show_forces(True)
        plot.set_show_squares(True)
        forces = plot.force_vectors()
        assert forces.shape == (5,)  # held-out points do not pull on the curve
        x, _ = plot.force_heads.getData()
        np.testing.assert_array_equal(x, doc.dataset.x[train])
        plot.select_point(int(train[2]))
        assert graph.point() == 2  # the third point of the loss
        plot.select_point(int(val[0]))
        assert graph.point() is None  # a held-out point is not in the loss: the whole batch
        controller.set_split(None)
        plot.select_point(int(val[0]))
        assert graph.point() == int(val[0]) and plot.force_vectors().shape == (8,)
        doc.undo_stack.undo()  # the split back
        assert doc.state.split == HOLD_OUT_3_OF_8

    with case("a run records both losses"):
        lesson_settings(window, max_steps=400)
        result = run_to_end(qtbot, window)
        assert result.stop_reason is StopReason.MAX_STEPS
        losses, val_losses = doc.loss_history[-1], doc.val_history[-1]
        assert losses.size == 400 and len(doc.val_history) == len(doc.loss_history)
        steps = val_losses[:, 0]
        assert steps[0] == 1 and np.all(np.diff(steps) > 0) and steps[-1] <= 400 and len(steps) >= 100
        # Each recorded validation loss is the held-out loss at the knobs its step started from: step 1's
        # are the starting knobs, so it must be the validation loss there.
        start = doc.state.build_validation_problem().loss_at(np.zeros(6))
        assert val_losses[0, 1] == pytest.approx(start, rel=1e-12)
        loss_plot = find(window, "lossPlot")
        x, y = loss_plot.val_curve.getData()
        assert x is not None and len(x) == len(steps)
        names = loss_plot.legend.names()
        assert names == ["training", "validation", "best validation"]
        best = int(steps[np.argmin(val_losses[:, 1])])
        assert loss_plot.best_step == best and loss_plot.best_label.toPlainText() == f"best validation: step {best}"

    with case("the loss plot's legend"):
        lesson_settings(window, max_steps=200)
        run_to_end(qtbot, window)
        view = loss_plot.getPlotItem().getViewBox()
        area = loss_plot.mapFromScene(view.sceneBoundingRect()).boundingRect()
        legend = loss_plot.legend.geometry()
        assert loss_plot.legend_shown() and loss_plot.legend.names() == ["training", "validation", "best validation"]
        assert area.contains(legend)  # in the plot's top right corner, not a row under the axis …
        assert legend.right() >= area.right() - 8 and legend.top() <= area.top() + 8
        assert legend.height() <= 0.3 * area.height()  # … and small: a line or two, not a row per entry
        assert "rgba(" in loss_plot.legend.styleSheet()  # the curves show through it
        assert loss_plot.legend_action in view.menu.actions()
        loss_plot.legend_action.trigger()  # the plot's menu hides it …
        assert not loss_plot.legend_shown()
        run_to_end(qtbot, window)  # … and a new run does not bring it back
        assert not loss_plot.legend_shown()
        loss_plot.legend_action.trigger()
        assert loss_plot.legend_shown()

    with case("over-fitting"):
        lesson_settings(window)
        run_to_end(qtbot, window)
        losses, val_losses = doc.loss_history[-1], doc.val_history[-1]
        assert np.all(np.diff(losses) <= 1e-12)  # the training loss only ever falls …
        best = int(np.argmin(val_losses[:, 1]))
        assert 0 < best < len(val_losses) - 1
        assert val_losses[-1, 1] > 5 * val_losses[best, 1]  # … while the held-out loss has turned and risen
        assert losses[-1] < 0.5 * losses[int(val_losses[best, 0]) - 1]  # (and the training loss fell further)

    notices = []
    controller.notice.connect(lambda level, text: notices.append(text))
    with case("early stopping"):
        lesson_settings(window, patience=200, max_steps=20_000)
        result = run_to_end(qtbot, window)
        assert result.stop_reason is StopReason.EARLY_STOP
        val_losses = doc.val_history[-1]
        best = int(val_losses[np.argmin(val_losses[:, 1]), 0])
        assert result.steps < 20_000 and result.steps - best >= 200
        assert doc.validation_loss() == pytest.approx(val_losses[:, 1].min(), rel=1e-12)  # the knobs came back
        assert any(
            f"stopped early after {result.steps:,} steps" in t.lower() and f"back at step {best}," in t for t in notices
        )
        status = window.statusBar().currentMessage()
        assert "stopped early" in status.lower()

    with case("a diverging run"):
        lesson_settings(window, patience=50)
        controller.set_run_settings(lr=4.0 * doc.problem.conditioning.max_stable_lr)
        result = run_to_end(qtbot, window)
        assert result.stop_reason is StopReason.DIVERGED
        assert np.all(np.isfinite(doc.theta)) and np.isfinite(doc.validation_loss())
        assert len(doc.val_history[-1]) >= 1

    with case("changing the split during a run"):  # last: it changes the split
        lesson_settings(window, max_steps=10_000_000)
        controller.set_speed(0.001)
        controller.start_run()
        qtbot.waitUntil(lambda: len(doc.val_history[-1]) > 3)
        controller.set_split(Split(0.5, 1))
        assert not controller.running
        runs = len(doc.loss_history)
        qtbot.wait(50)  # a late payload of the stopped run must change nothing
        assert len(doc.loss_history) == len(doc.val_history) == runs
        assert (doc.problem.x.size, doc.validation_problem.x.size) == (4, 4)


def test_the_validation_history_buffer_grows_by_rows_and_hands_out_read_only_views():
    from workbench.state.runs import GrowingArray

    buffer = GrowingArray(capacity=2, columns=2)
    rows = np.column_stack([np.arange(1.0, 101.0), np.linspace(1.0, 0.0, 100)])
    for chunk in (rows[:1], rows[1:1], rows[1:7], rows[7:]):
        view = buffer.extend(chunk)
    np.testing.assert_array_equal(view, rows)
    assert view.shape == (100, 2) and not view.flags.writeable


def test_a_split_of_a_single_point_holds_nothing_out_and_says_why(make_main_window):
    window = make_main_window(dataset=Dataset([0.5], [1.0], "one"))
    notices = []
    window.controller.notice.connect(lambda level, text: notices.append(text))
    window.controller.set_split(Split(0.2, 0))
    assert window.document.state.split == Split(0.2, 0)
    assert window.document.problem.x.size == 1 and window.document.validation_problem is None
    assert any("none can be held out" in t and "at least 2 points" in t for t in notices)
    window.controller.add_point(1.5, 2.0)
    assert window.document.validation_problem.x.size == 1  # two points: always one of each
    with pytest.raises(TypeError, match="Split or None"):
        window.controller.set_split(0.2)

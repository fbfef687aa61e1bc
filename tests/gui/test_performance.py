"""The window stays fast at large N (issue 6), and what made it fast changes nothing it shows.

Views off screen (a dock tab behind another) compute nothing and catch up when raised; redraws are
coalesced and paced; per-point shapes stop at ``PER_POINT_MAX`` points and the legend says so; panning
does not recompute the fit at the points; a run's payloads bring the engine's loss and gradient so the
window does not recompute them; and every finished run or file read lets go of its worker and data.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from case_notes import case
from PySide6.QtWidgets import QWidget

from workbench.fitting.data import Dataset, save_dataset
from workbench.qt.tasks.load_worker import BACKGROUND_LOAD_BYTES
from workbench.qt.tasks.runner import TaskHandle
from workbench.qt.views.fit_plot import PER_POINT_MAX
from workbench.qt.views.redraw import ScheduledRedraw, on_screen
from workbench.qt.views.report_panel import MAX_EAGER_POINTS
from workbench.tasks.table_read import ReadTableTask


def points(n: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3.0, 3.0, n))
    return Dataset(x, np.sin(x) + 0.1 * rng.standard_normal(n), f"{n} points")


def run_to_end(qtbot, window, steps: int = 60) -> None:
    ctl = window.controller
    ctl.set_run_settings(max_steps=steps, tol=0.0)
    with qtbot.waitSignal(ctl.runFinished, timeout=20_000):
        ctl.start_run()


# -- the scheduling helper -------------------------------------------------------------------------------
def test_scheduled_redraw_coalesces_paces_and_waits_until_shown(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    calls = []
    redraw = ScheduledRedraw(widget, lambda: calls.append(1))
    widget.show()
    qtbot.waitExposed(widget)
    for _ in range(5):
        redraw.schedule()
    assert calls == []  # not inside the signal handler …
    qtbot.waitUntil(lambda: len(calls) == 1)  # … once, on the next turn of the event loop
    qtbot.wait(30)
    assert len(calls) == 1
    widget.hide()
    redraw.schedule()
    qtbot.wait(50)
    assert len(calls) == 1 and redraw.pending  # hidden: nothing drawn, the request kept
    widget.show()
    qtbot.waitUntil(lambda: len(calls) == 2)  # shown again: it catches up
    redraw.min_interval_ms = 300
    redraw.schedule()
    qtbot.wait(120)
    assert len(calls) == 2  # paced: not before 300 ms after the last one
    qtbot.waitUntil(lambda: len(calls) == 3, timeout=2000)
    redraw.schedule()
    assert redraw.flush(force=True) and len(calls) == 4 and not redraw.pending


# -- the sample's window: views off screen, redraws, runs and file reads -----------------------------------------
def test_the_sample_window_computes_only_what_shows_and_lets_every_finished_task_go(
    make_main_window, qtbot, monkeypatch, tmp_path
):
    """One window of the sample, each case where the last left it (the layout put back, the knobs reset, the
    speed full): a dock tab behind another computes nothing until raised; a closed surface computes no grid
    and catches up when shown; panning redraws the curve, not the points; the residual plot keeps its range
    for small moves; a knob turn leaves the loss histories alone; a run's payloads bring the engine's loss and
    gradient; finished runs, and files read in the background, let their tasks and workers go."""
    window = make_main_window()
    ctl, doc, plot = window.controller, window.document, window.fit_plot

    with case("a dock tab behind another"):
        graph = window.graph_view
        assert graph.isVisible() and not on_screen(graph)  # Qt moves a tab behind off screen, never hides it
        assert on_screen(window.loss_plot)  # the Lesson's loss history is in front
        with qtbot.assertNotEmitted(graph.redrawn, wait=200):
            ctl.set_knob(1, 0.7)
            ctl.set_degree(3)
        with qtbot.waitSignal(graph.redrawn, timeout=5000):
            window.docks["graph"].raise_()
        assert on_screen(graph)
        np.testing.assert_allclose(graph.knob_gradients(), doc.evaluation()[1], rtol=1e-9, atol=1e-12)
        window.layout_presets.apply("lesson")  # (the graph behind its tab again)
        doc.undo_stack.undo()
        doc.undo_stack.undo()
        assert doc.state.degree == 5 and not np.any(doc.theta)  # degree 5 and the knobs at zero again

    with case("a closed surface"):
        surface, dock = window.surface_plot, window.docks["surface"]
        count = surface.recompute_count
        dock.hide()
        ctl.set_knob(2, 1.5)  # the other knobs moved: the grid is out of date
        qtbot.wait(200)
        assert surface.recompute_count == count
        dock.show()
        dock.raise_()  # (shown again, it may come back behind another tab of its group)
        qtbot.waitUntil(lambda: surface.recompute_count > count, timeout=5000)
        ctl.reset_knobs()

    with case("panning"):
        calls = []
        real = plot._draw_per_point
        with monkeypatch.context() as patch:  # (not monkeypatch.undo: that undoes conftest's patches too)
            patch.setattr(plot, "_draw_per_point", lambda: calls.append(1) or real())
            view = plot.getPlotItem().getViewBox()
            (x0, x1), _ = view.viewRange()
            before = plot.curve.getData()[0].copy()
            view.setXRange(x0 + 0.3, x1 + 0.3, padding=0)
            qtbot.waitUntil(lambda: not np.array_equal(plot.curve.getData()[0], before))  # the curve follows …
            assert calls == []  # … the points do not
            window.forces_action.setChecked(True)
            calls.clear()
            view.setXRange(x0, x1, padding=0)
            assert calls  # the pulls' length is a share of the view: they follow it
        window.forces_action.setChecked(False)

    with case("the residual plot's range"):
        window.residuals_action.setChecked(True)  # (the Lesson leaves it out)
        view = window.residual_plot.getPlotItem().getViewBox()
        theta = doc.theta
        residuals = window.residual_plot
        ctl.set_knob(0, float(theta[0]) + 0.01)
        residuals.flush()  # (drawn on the next turn of the event loop)
        before = view.viewRange()[1]
        ctl.set_knob(0, float(theta[0]) + 0.02)  # a small move: the axis stays put
        residuals.flush()
        assert view.viewRange()[1] == before
        ctl.set_knob(0, float(theta[0]) + 50.0)  # the residuals leave it: the range follows
        residuals.flush()
        lo, hi = view.viewRange()[1]
        _, r = window.residual_plot.residuals()
        assert lo <= r.min() and r.max() <= hi
        window.residuals_action.setChecked(False)
        ctl.reset_knobs()

    with case("a knob turn and the loss histories"):
        run_to_end(qtbot, window)
        curve = window.loss_plot.curves[0]
        data = curve.xData
        ctl.set_knob(1, 0.25)
        assert curve.xData is data
        ctl.reset_knobs()

    with case("a run's payloads"):
        checked = []

        def check():
            if doc.live:
                loss, grad = doc.evaluation()
                fresh_loss, fresh_grad = doc.problem.value_and_grad(doc.theta)
                checked.append(
                    np.isclose(loss, fresh_loss, rtol=1e-12) and np.allclose(grad, fresh_grad, rtol=1e-9, atol=1e-15)
                )

        doc.knobsChanged.connect(check)
        ctl.set_speed(0.002)  # a few dozen payloads
        run_to_end(qtbot, window, steps=400)
        doc.knobsChanged.disconnect(check)
        ctl.set_speed(0.0)  # full speed, as the window opened
        assert len(checked) >= 3 and all(checked)
        trail = np.array(doc.gd_trajectory)
        np.testing.assert_array_equal(trail[-1], doc.last_run.result.params)  # the trail ends where the run did

    with case("finished runs"):
        tasks = []
        window.runner.started_task = lambda handle: tasks.append(weakref.ref(handle.task))
        run_to_end(qtbot, window)
        ctl.start_run()
        ctl.stop_run()  # stopped by the user, finalised at once
        qtbot.waitUntil(lambda: not window.runner.live, timeout=5000)
        qtbot.wait(50)
        assert len(tasks) == 2
        assert alive(TaskHandle) == 0
        assert all(ref() is None for ref in tasks)  # nothing keeps a finished run's task (and its problem copy)

    with case("a file read in the background"):  # last: it replaces the data
        data = points(60_000, seed=4)
        path = tmp_path / "big.csv"
        save_dataset(data, path)
        assert path.stat().st_size >= BACKGROUND_LOAD_BYTES
        for _ in range(2):
            ctl.clear_data()
            window.open_path(path)
            qtbot.waitUntil(lambda: doc.dataset.n == data.n, timeout=30_000)
        qtbot.wait(50)
        assert alive(ReadTableTask) == 0 and not window.file_loader.handles()


# -- views behind another dock tab ----------------------------------------------------------------------------
def test_the_report_of_big_data_waits_for_its_tab(make_main_window, qtbot):
    window = make_main_window(dataset=points(MAX_EAGER_POINTS + 1))
    panel = window.report_panel
    assert not on_screen(panel)
    assert panel.report is None and "when this panel is shown" in panel.message
    window.docks["report"].raise_()
    qtbot.waitUntil(lambda: panel.report is not None, timeout=20_000)
    assert panel.report.n_points == MAX_EAGER_POINTS + 1


# -- the fit plot at large N -----------------------------------------------------------------------------------
def drawn(item) -> int:
    x, _ = item.getData()
    return 0 if x is None else len(x)


def legend_texts(plot) -> list[str]:
    return [label.text for _, label in plot.legend.items]


@pytest.mark.parametrize("n, shown", [(PER_POINT_MAX, True), (PER_POINT_MAX + 1, False)])
def test_per_point_shapes_stop_at_a_point_count_and_the_legend_says_so(make_main_window, n, shown):
    window = make_main_window(dataset=points(n))
    plot = window.fit_plot
    window.forces_action.setChecked(True)
    window.squares_action.setChecked(True)
    window.controller.set_knob(0, 0.3)
    assert (drawn(plot.residuals) == 2 * n) is shown and (drawn(plot.residuals) == 0) is not shown
    assert (drawn(plot.force_shafts) == 2 * n) is shown
    assert plot.squares.path().isEmpty() is not shown
    note = [t for t in legend_texts(plot) if "not drawn" in t]
    assert bool(note) is not shown
    if note:
        assert f"{PER_POINT_MAX:,}" in note[0]


# -- memory ----------------------------------------------------------------------------------------------------
def alive(kind) -> int:
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())

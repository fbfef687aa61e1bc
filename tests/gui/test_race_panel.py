"""The optimiser race: the panel, its task in a compute process, the scoreboard, and the race curves on the plots."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt
from wired_views import race_panel

from workbench.fitting.basis import Basis
from workbench.fitting.data import Dataset
from workbench.fitting.race import RACE_KINDS, Race, manual_trail_entry
from workbench.qt.app_state.controller import Controller
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.colours import RACE_COLOURS
from workbench.qt.views.loss_plot import LossHistoryPlot
from workbench.qt.views.race_panel import COLUMNS, DEFAULT_STEPS, RacePanel, format_value
from workbench.qt.views.surface_plot import SurfacePlot
from workbench.state.race import RACE_PATH_POINTS, RaceTrack, race_path_stride

GRADIENT_KINDS = ("gd", "momentum", "nesterov", "adam")
STEPS_COLUMN = COLUMNS.index("Steps\nto 1%")
EVALS_COLUMN = COLUMNS.index("Evaluations\nto 1%")
STATUS_COLUMN = COLUMNS.index("Status")


def noisy_sine() -> Dataset:
    x = np.linspace(-1.0, 1.0, 30)
    y = np.sin(np.pi * x) + 0.05 * np.random.default_rng(1).normal(size=x.size)
    return Dataset(x, y, "noisy sine")


@pytest.fixture
def doc_ctl(qtbot):
    document = FitDocument(noisy_sine())
    x = document.dataset.x
    document.apply(
        replace(document.state, degree=3, basis=Basis.for_data("legendre", x), theta=np.zeros(4)), "cubic in Legendre"
    )
    controller = Controller(document)
    yield document, controller
    controller.shutdown()


@pytest.fixture
def panel(qtbot, doc_ctl):
    document, controller = doc_ctl
    widget = race_panel(document, controller)
    qtbot.addWidget(widget, before_close_func=lambda w: w.race_controller.shutdown())
    widget.resize(560, 440)
    widget.show()
    yield widget
    widget.race_controller.shutdown()


@pytest.fixture
def plots(qtbot, doc_ctl):
    document, controller = doc_ctl
    loss = LossHistoryPlot(document)
    surface = SurfacePlot(document, controller.runner)
    qtbot.addWidget(loss)
    qtbot.addWidget(surface, before_close_func=lambda w: w.shutdown())
    yield loss, surface
    surface.shutdown()


def race_to_the_end(qtbot, panel: RacePanel, timeout_ms: int = 20000):
    """Click Start and wait for the scoreboard; returns the race's task handle (ended by then)."""
    with qtbot.waitSignal(panel.raceFinished, timeout=timeout_ms):
        qtbot.mouseClick(panel.race_button, Qt.MouseButton.LeftButton)
        assert panel.running and panel.race_button.text() == "Stop"
        handle = panel.race_controller.handle
    return handle


def board_rows(panel: RacePanel) -> dict[str, list[str]]:
    """Scoreboard rows by contender kind (kept in the first cell's user data), in display order."""
    table = panel.table
    rows = {}
    for r in range(table.rowCount()):
        kind = table.item(r, 0).data(Qt.ItemDataRole.UserRole)
        rows[kind] = [table.item(r, c).text() for c in range(table.columnCount())]
    return rows


def n_drawn(item) -> int:
    """How many points a plot item was given (0 when it was emptied)."""
    xs = item.getData()[0]
    return 0 if xs is None else len(xs)


def long_net_race(qtbot, panel: RacePanel, controller: Controller):
    """A race that would run for minutes: the neural net has no optimum to reach, so nobody finishes."""
    controller.set_model("mlp", (8,))
    panel.steps_spin.setValue(1_000_000)
    qtbot.mouseClick(panel.race_button, Qt.MouseButton.LeftButton)
    assert panel.running
    qtbot.waitUntil(lambda: panel.document.race is not None and panel.document.race.step > 20, timeout=10000)
    return panel.race_controller.handle


# -- a race to the end ----------------------------------------------------------------------------------
def test_a_race_finishes_with_a_scoreboard_that_an_independent_race_confirms(qtbot, panel, doc_ctl):
    document, _ = doc_ctl
    assert panel.steps_spin.value() == DEFAULT_STEPS
    theta0 = document.theta
    handle = race_to_the_end(qtbot, panel)
    assert not handle.running and not panel.running and panel.race_controller.handle is None
    assert panel.race_button.text() == "Start race"

    view = document.race
    reference = Race(document.state.build_problem(), theta0, RACE_KINDS, DEFAULT_STEPS)
    for _ in reference.run():
        pass
    assert view.outcome == "finished" and view.step == reference.step
    assert view.target == pytest.approx(reference.target)
    rows = board_rows(panel)
    assert list(rows) == [t.kind for t in view.scoreboard()] and set(rows) == set(RACE_KINDS)
    for runner in reference.contenders:
        track = view.tracks[runner.kind]
        assert track.steps_to_target == runner.steps_to_target
        assert track.evaluations_to_target == runner.evaluations_to_target
        np.testing.assert_array_equal(track.losses, runner.losses)
        np.testing.assert_array_equal(track.theta, runner.theta)
        row = rows[runner.kind]
        assert row[STEPS_COLUMN] == format_value(runner.steps_to_target)
        assert row[EVALS_COLUMN] == format_value(runner.evaluations_to_target)
    for kind in GRADIENT_KINDS:
        assert view.tracks[kind].reached and rows[kind][STATUS_COLUMN] == "reached"
        assert int(rows[kind][STEPS_COLUMN].replace(",", "")) > 0
    # Sorted by loss evaluations to the target: the baseline needs more than the fastest gradient method.
    evaluations = [view.tracks[k].evaluations_to_target for k in rows]
    assert evaluations == sorted(evaluations)
    fastest = min(view.tracks[k].evaluations_to_target for k in GRADIENT_KINDS)
    nudge = view.tracks["nudge"].evaluations_to_target
    assert nudge is None or nudge > fastest
    assert list(rows)[0] in GRADIENT_KINDS
    assert format_value(view.target, 6) in panel.target_label.text()
    assert "within 1% of the optimum" in panel.target_label.text()
    assert "Fewest loss evaluations" in panel.status_label.text()
    assert "Random nudge" in panel.note_label.text()


def test_every_contender_keeps_a_thinned_path_from_the_start_to_where_it_ended(qtbot, panel, doc_ctl):
    document, _ = doc_ctl
    theta0 = document.theta
    race_to_the_end(qtbot, panel)
    for track in document.race.contenders:
        path = track.trajectory()
        assert 2 <= len(path) <= RACE_PATH_POINTS + 2
        np.testing.assert_array_equal(path[0], theta0)
        np.testing.assert_array_equal(path[-1], track.theta)
    # The race never moves the knobs: it is a race, not a fit.
    np.testing.assert_array_equal(document.theta, theta0)


def test_the_loss_plot_and_the_surface_draw_one_curve_per_contender(qtbot, panel, plots, doc_ctl):
    document, _ = doc_ctl
    loss_plot, surface = plots
    race_to_the_end(qtbot, panel)
    qtbot.waitUntil(lambda: not surface.is_computing())
    i, j = surface.axes()
    tracks = document.race.tracks
    for kind in RACE_KINDS:
        track = tracks[kind]
        curve = loss_plot.race_curves[kind]
        np.testing.assert_array_equal(curve.yData, np.maximum(track.losses, 1e-300))
        assert curve.opts["pen"].color().getRgb()[:3] == RACE_COLOURS[kind]
        xs, ys = surface.race_lines[kind].getData()
        assert len(xs) >= 2
        assert (xs[-1], ys[-1]) == pytest.approx((track.theta[i], track.theta[j]))
        assert surface.race_lines[kind].opts["pen"].color().getRgb()[:3] == RACE_COLOURS[kind]
    assert n_drawn(loss_plot.race_curves["manual"]) == 0
    assert [label.text for _, label in loss_plot.legend.items] == [tracks[k].name for k in RACE_KINDS]
    assert len(surface.race_ends.data) == len(RACE_KINDS)
    # The surface widened to show every path.
    a_lo, a_hi, b_lo, b_hi = surface.grid_range()
    for kind in RACE_KINDS:
        xs, ys = surface.race_lines[kind].getData()
        assert a_lo <= xs.min() and xs.max() <= a_hi and b_lo <= ys.min() and ys.max() <= b_hi
    assert "Race" in surface.legend.text()


def test_only_the_ticked_contenders_race(qtbot, panel, plots, doc_ctl):
    document, _ = doc_ctl
    loss_plot, surface = plots
    for kind in ("momentum", "adam", "nudge"):
        panel.checks[kind].setChecked(False)
    race_to_the_end(qtbot, panel)
    assert list(document.race.tracks) == ["gd", "nesterov"]
    assert set(board_rows(panel)) == {"gd", "nesterov"}
    assert n_drawn(loss_plot.race_curves["adam"]) == 0
    assert n_drawn(surface.race_lines["nudge"]) == 0
    for kind in RACE_KINDS:
        panel.checks[kind].setChecked(False)
    assert not panel.race_button.isEnabled()  # nobody to race


def test_the_line_search_least_squares_and_stochastic_contenders_race_too(qtbot, panel, plots, doc_ctl):
    document, controller = doc_ctl
    loss_plot, surface = plots
    for kind in RACE_KINDS:
        panel.checks[kind].setChecked(False)
    for kind in ("cg", "lbfgs", "lm", "sgd"):
        assert not panel.checks[kind].isChecked(), "beyond the default line-up, a tick away"
        panel.checks[kind].setChecked(True)
    race_to_the_end(qtbot, panel)
    assert list(document.race.tracks) == ["cg", "lbfgs", "lm", "sgd"]
    rows = board_rows(panel)
    assert set(rows) == {"cg", "lbfgs", "lm", "sgd"}
    optimum = document.exact.loss
    for kind in ("cg", "lbfgs", "lm"):  # a cubic's least squares: these reach the optimum in a few steps
        track = document.race.tracks[kind]
        assert track.losses[track.steps - 1] <= optimum * 1.01 + 1e-12, kind
        assert n_drawn(loss_plot.race_curves[kind]) > 0 and n_drawn(surface.race_lines[kind]) > 0
    # SGD's batches: a tenth of the 30 points (the model panel's batch size when one is set).
    assert document.race.tracks["sgd"].steps > 0
    controller.set_loss(replace(document.state.loss, kind="mae"))
    assert not panel.checks["lm"].isEnabled() and "sum of squares" in panel.checks["lm"].toolTip()
    assert "lm" not in panel.selected_kinds()


# -- stopping --------------------------------------------------------------------------------------------
def test_stop_ends_the_race_at_once_and_keeps_the_scoreboard(qtbot, panel, doc_ctl):
    document, controller = doc_ctl
    handle = long_net_race(qtbot, panel, controller)
    started = time.perf_counter()
    with qtbot.waitSignal(panel.raceFinished, timeout=2000):
        qtbot.mouseClick(panel.race_button, Qt.MouseButton.LeftButton)
    assert time.perf_counter() - started < 0.1
    assert not handle.running and not panel.running
    view = document.race
    assert view.outcome == "stopped" and 20 < view.step < 1_000_000
    rows = board_rows(panel)
    assert all(row[STATUS_COLUMN] == "stopped" for row in rows.values())
    assert [view.tracks[k].steps for k in rows] == [view.step] * len(rows)  # no payload lost to the stop
    assert "Stopped by you" in panel.status_label.text()
    assert panel.race_button.text() == "Start race" and panel.race_button.isEnabled()


def test_the_neural_net_races_on_final_losses_without_a_target(qtbot, panel, doc_ctl):
    document, controller = doc_ctl
    controller.set_model("mlp", (8,))
    panel.steps_spin.setValue(60)
    race_to_the_end(qtbot, panel)
    view = document.race
    assert view.target is None and view.outcome == "step limit" and view.step == 60
    assert "no exact optimum" in panel.target_label.text()
    rows = board_rows(panel)
    assert all(row[STEPS_COLUMN] == "—" and row[EVALS_COLUMN] == "—" for row in rows.values())
    assert all(row[STATUS_COLUMN] == "finished" for row in rows.values())
    finals = [view.tracks[k].loss for k in rows]
    assert finals == sorted(finals) and all(np.isfinite(finals))
    assert "Lowest final loss" in panel.status_label.text()


@pytest.mark.parametrize("edit", ["add point", "model"])
def test_an_edit_of_data_or_model_during_a_race_stops_it(qtbot, panel, plots, doc_ctl, edit):
    document, controller = doc_ctl
    loss_plot, surface = plots
    handle = long_net_race(qtbot, panel, controller)
    qtbot.waitUntil(lambda: n_drawn(surface.race_lines["gd"]) > 1)
    raced_on = document.state
    if edit == "add point":
        controller.add_point(0.5, 2.0)
    else:
        controller.set_model("polynomial")
    assert not panel.running and not handle.running
    assert document.race is None  # raced on another loss: the new problem has none
    assert panel.table.rowCount() == 0
    assert "data or the model changed" in panel.status_label.text()
    for kind in RACE_KINDS:
        assert n_drawn(loss_plot.race_curves[kind]) == 0
        assert n_drawn(surface.race_lines[kind]) == 0
    assert not loss_plot.legend.isVisible()
    qtbot.wait(50)  # whatever the race's process still sends is dropped
    assert document.race is None
    document.undo_stack.undo()  # back to the problem it raced on: its (stopped) race comes back
    assert document.state.same_problem(raced_on) and document.race.outcome == "stopped"


def test_shutdown_during_a_race_leaves_no_task_running(qtbot, panel, doc_ctl):
    _, controller = doc_ctl
    handle = long_net_race(qtbot, panel, controller)
    panel.race_controller.shutdown()
    assert not panel.running and panel.race_controller.handle is None
    controller.runner.shutdown()
    assert not handle.running and not controller.runner.live and not controller.runner.pool.processes
    qtbot.wait(50)
    panel.race_controller.shutdown()  # twice is harmless


# -- the manual trail and the gradient-descent run ---------------------------------------------------------
def test_the_manual_trail_joins_the_race_when_ticked(qtbot, panel, plots, doc_ctl):
    document, controller = doc_ctl
    loss_plot, _ = plots
    assert not panel.checks["manual"].isEnabled()  # no trail yet
    exact = document.exact.coefficients
    for fraction in (0.5, 1.0):
        for k, value in enumerate(fraction * exact):
            controller.set_knob(k, float(value))
    trail = [t.copy() for t in document.manual_trail]
    assert panel.checks["manual"].isEnabled()
    panel.checks["manual"].setChecked(True)
    controller.set_knobs(np.zeros(4), "Start again")
    race_to_the_end(qtbot, panel)
    view = document.race
    entry = manual_trail_entry(document.state.build_problem(), trail, view.target)
    mine = view.tracks["manual"]
    assert mine.name == "Your hand" and mine.steps_to_target == entry["steps_to_target"] == len(trail)
    assert mine.evaluations_to_target == entry["evaluations_to_target"]
    row = board_rows(panel)["manual"]
    assert row[STEPS_COLUMN] == format_value(len(trail)) and row[STATUS_COLUMN] == "reached"
    np.testing.assert_allclose(loss_plot.race_curves["manual"].yData, entry["new_losses"])
    assert "Your hand" in [label.text for _, label in loss_plot.legend.items]


def test_the_race_button_waits_for_a_gradient_descent_run(qtbot, panel, doc_ctl):
    document, controller = doc_ctl
    controller.set_run_settings(max_steps=10**7, tol=0.0)
    controller.set_speed(0.002)
    controller.start_run()
    assert controller.running and not panel.race_button.isEnabled()
    assert not panel.start_race()
    controller.stop_run()
    assert panel.race_button.isEnabled()


def test_a_race_can_run_beside_a_gradient_descent_run(qtbot, panel, doc_ctl):
    document, controller = doc_ctl
    controller.set_run_settings(max_steps=10**7, tol=0.0)
    controller.set_speed(0.002)
    with qtbot.waitSignal(panel.raceFinished, timeout=20000):
        assert panel.start_race()
        controller.start_run()
        assert controller.running and panel.running
        assert panel.race_button.isEnabled()  # Stop stays available
    assert document.race.outcome == "finished"
    controller.stop_run()


# -- the document's race record ----------------------------------------------------------------------------
def test_a_track_grows_its_loss_buffer_and_thins_its_path(qapp):
    track = RaceTrack("gd", "Gradient descent", 0.1, np.zeros(2))
    chunks = [np.arange(n, dtype=float) for n in (3, 300, 1, 5000)]
    for chunk in chunks:
        track.add_losses(chunk)
    np.testing.assert_array_equal(track.losses, np.concatenate(chunks))
    assert not track.losses.flags.writeable
    for step in range(1, 10_001):
        if step % race_path_stride(step) == 0:  # what the worker sends
            track.add_path([step], [np.array([step, -step], float)], step)
        track.theta = np.array([step, -step], float)  # what the snapshot says
    path = track.trajectory()
    assert len(path) <= RACE_PATH_POINTS + 2
    assert path[0].tolist() == [0, 0] and path[-1].tolist() == [10_000, -10_000]
    assert np.all(np.diff(path[:, 0]) > 0)

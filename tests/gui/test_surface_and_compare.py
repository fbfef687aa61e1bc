"""The loss-surface view and the comparison panel, driven through the real document and controller."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QComboBox
from wired_views import compare_panel, surface_plot

from workbench.fitting.data import Dataset
from workbench.fitting.losses import Loss
from workbench.fitting.number_text import Numbers
from workbench.fitting.problem import FitProblem
from workbench.qt.app_state.controller import Controller
from workbench.qt.app_state.document import FitDocument
from workbench.qt.views.compare_panel import gap_cells
from workbench.qt.views.contours import contour_segments
from workbench.qt.views.surface_plot import GRID_EXACT, GRID_NUMERIC, SurfacePlot


def noisy_sine() -> Dataset:
    x = np.linspace(-1.0, 1.0, 15)
    noise = 0.1 * np.sin(7.3 * x + 0.4)  # deterministic "noise"
    return Dataset(x, np.sin(np.pi * x) + noise, "noisy sine")


@pytest.fixture
def doc_ctl(qtbot):
    document = FitDocument(noisy_sine())
    controller = Controller(document)
    controller.set_degree(3)
    yield document, controller
    controller.shutdown()


@pytest.fixture
def surface(qtbot, doc_ctl):
    document, controller = doc_ctl
    widget = surface_plot(document, controller)
    qtbot.addWidget(widget, before_close_func=lambda w: w.shutdown())
    widget.resize(700, 560)
    widget.show()
    yield widget
    widget.shutdown()


@pytest.fixture
def panel(qtbot, doc_ctl):
    document, controller = doc_ctl
    widget = compare_panel(document, controller)
    qtbot.addWidget(widget)
    return widget


def assert_grid_is_the_loss(document: FitDocument, widget: SurfacePlot, rtol: float = 1e-9) -> None:
    a, b, z = widget.surface_grid()
    i, j = widget.axes()
    for row, col in [(0, 0), (len(b) - 1, len(a) - 1), (len(b) // 3, 2 * len(a) // 3), (len(b) // 2, 0)]:
        theta = document.theta
        theta[i], theta[j] = a[col], b[row]
        assert z[row, col] == pytest.approx(document.problem.loss_at(theta), rel=rtol, abs=1e-12)


# -- the loss surface ---------------------------------------------------------------------------------
def test_grid_equals_brute_force_loss(surface, doc_ctl):
    document, controller = doc_ctl
    controller.set_knob(2, 0.3)
    surface._recompute()
    a, b, z = surface.surface_grid()
    assert surface.axes() == (0, 1)
    assert z.shape == (GRID_EXACT, GRID_EXACT) == (len(b), len(a))
    assert_grid_is_the_loss(document, surface)
    surface.set_axes(1, 3)
    assert surface.axes() == (1, 3)
    assert_grid_is_the_loss(document, surface)


def test_grid_covers_knobs_and_optimum(surface, doc_ctl):
    document, _ = doc_ctl
    i, j = surface.axes()
    lo_a, hi_a, lo_b, hi_b = surface.grid_range()
    for point in (document.theta, document.exact.coefficients):
        assert lo_a < point[i] < hi_a and lo_b < point[j] < hi_b


def test_axis_combos_follow_the_degree_and_never_match(surface, doc_ctl):
    _, controller = doc_ctl
    combo_x = surface.findChild(QComboBox, "surfaceAxisX")
    combo_y = surface.findChild(QComboBox, "surfaceAxisY")
    assert [combo_x.itemText(k) for k in range(combo_x.count())] == ["k0", "k1", "k2", "k3"]
    assert (combo_x.currentIndex(), combo_y.currentIndex()) == (0, 1)
    with pytest.raises(ValueError):
        surface.set_axes(2, 2)
    combo_x.activated.emit(1)  # picking the vertical knob for the horizontal axis swaps them
    assert surface.axes() == (1, 0)
    assert (combo_x.currentIndex(), combo_y.currentIndex()) == (1, 0)
    surface.set_axes(3, 2)
    controller.set_degree(5)
    assert combo_x.count() == 6 and surface.axes() == (3, 2)
    controller.set_degree(2)  # k3 is gone: back to the defaults
    assert combo_y.count() == 3 and surface.axes() == (0, 1)


def test_moving_a_displayed_knob_moves_only_the_marker(qtbot, surface, doc_ctl):
    document, controller = doc_ctl
    count = surface.recompute_count
    grid = surface.surface_grid()
    lo_a, hi_a, _, _ = surface.grid_range()
    value = lo_a + 0.6 * (hi_a - lo_a)
    with qtbot.assertNotEmitted(surface.gridUpdated, wait=150):
        controller.set_knob(0, value)
        assert not surface.is_computing()
    assert surface.recompute_count == count and surface.surface_grid() is grid
    assert surface.knob_marker_position() == pytest.approx((value, document.theta[1]))


def test_leaving_the_range_reranges(qtbot, surface, doc_ctl):
    document, controller = doc_ctl
    _, hi_a, _, _ = surface.grid_range()
    with qtbot.waitSignal(surface.gridUpdated, timeout=2000):
        controller.set_knob(0, hi_a + 10.0)
    lo_a, hi_a, _, _ = surface.grid_range()
    assert lo_a < document.theta[0] < hi_a
    assert_grid_is_the_loss(document, surface)


def test_another_knob_recomputes_once_per_burst(qtbot, surface, doc_ctl):
    document, controller = doc_ctl
    count = surface.recompute_count
    drag = controller.new_drag_id()
    with qtbot.waitSignal(surface.gridUpdated, timeout=2000):
        for value in np.linspace(0.1, 0.9, 25):  # a drag: 25 moves before the event loop runs
            controller.set_knob(3, float(value), drag)
    assert surface.recompute_count == count + 1
    assert_grid_is_the_loss(document, surface)


def test_range_stays_put_while_knobs_move_inside(qtbot, surface, doc_ctl):
    _, controller = doc_ctl
    before = surface.grid_range()
    lo_a, hi_a, lo_b, hi_b = before
    controller.set_knob(0, lo_a + 0.45 * (hi_a - lo_a))
    controller.set_knob(1, lo_b + 0.55 * (hi_b - lo_b))
    with qtbot.waitSignal(surface.gridUpdated, timeout=2000):
        controller.set_knob(2, 0.25)  # forces a new grid, over the same range
    assert surface.grid_range() == before


def test_huber_surface_is_computed_off_the_gui_thread(qtbot, surface, doc_ctl, monkeypatch):
    document, controller = doc_ctl
    computed_here = []
    original = FitProblem.surface

    def recording_surface(self, *args, **kwargs):
        computed_here.append(self.loss.kind)  # only calls in this (the window's) process are seen
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FitProblem, "surface", recording_surface)
    tasks = []
    controller.runner.started_task = tasks.append
    with qtbot.waitSignal(surface.gridUpdated, timeout=10_000):
        controller.set_loss(Loss("huber", huber_delta=0.2))
    assert computed_here == []  # not on the window's thread (nor any other of its process) …
    assert [t.where for t in tasks] == ["process"]  # … but as a task in a compute process
    a, b, z = surface.surface_grid()
    assert z.shape == (GRID_NUMERIC, GRID_NUMERIC)
    assert_grid_is_the_loss(document, surface, rtol=1e-9)


def test_late_background_grids_are_dropped(qtbot, surface, doc_ctl):
    document, controller = doc_ctl
    controller.set_loss(Loss("mae"))
    for value in (0.1, 0.2, 0.3, 0.4):
        surface._recompute()  # a new job each time, cancelling the previous one
        controller.set_knob(2, value)
    qtbot.waitUntil(lambda: not surface.is_computing(), timeout=5000)
    assert document.theta[2] == 0.4
    assert_grid_is_the_loss(document, surface)


def test_shutdown_leaves_no_thread(qtbot, surface, doc_ctl):
    _, controller = doc_ctl
    controller.set_loss(Loss("mae"))
    surface._recompute()
    surface.shutdown()
    surface.shutdown()  # idempotent
    assert not [t for t in threading.enumerate() if t.name.startswith("loss-surface")]
    controller.set_knob(2, 0.7)  # no new work after shutdown
    assert not [t for t in threading.enumerate() if t.name.startswith("loss-surface")]


def test_explains_instead_of_plotting_without_data_or_with_one_knob(qtbot):
    document = FitDocument(Dataset([], []))
    controller = Controller(document)
    widget = surface_plot(document, controller)
    qtbot.addWidget(widget, before_close_func=lambda w: w.shutdown())
    widget.show()  # a view off screen computes no grid (it catches up when shown)
    assert widget.surface_grid() is None
    assert widget.stack.currentWidget() is widget.message and "No data" in widget.message.text()
    for x, y in [(0.0, 1.0), (1.0, 2.0), (2.0, 2.5)]:
        controller.add_point(x, y)
    qtbot.waitUntil(lambda: widget.surface_grid() is not None, timeout=2000)
    assert widget.stack.currentWidget() is widget.graphics
    controller.set_degree(0)
    assert widget.stack.currentWidget() is widget.message and "single knob" in widget.message.text()
    assert not widget.findChild(QComboBox, "surfaceAxisX").isEnabled()
    controller.set_degree(1)
    assert widget.axes() == (0, 1) and widget.stack.currentWidget() is widget.graphics
    qtbot.waitUntil(lambda: widget.surface_grid()[2].shape == (200, 200) and not widget.is_computing())
    assert_grid_is_the_loss(document, widget)
    widget.shutdown()
    controller.shutdown()


def test_trails_are_drawn_projected(qtbot, surface, doc_ctl):
    document, controller = doc_ctl
    controller.set_knob(0, 0.1)
    controller.set_knob(1, 0.8)
    (xs, ys), _ = surface.trails_drawn()
    assert list(xs) == pytest.approx([t[0] for t in document.manual_trail])
    assert list(ys) == pytest.approx([t[1] for t in document.manual_trail])
    controller.step_once()
    _, (xs, ys) = surface.trails_drawn()
    assert len(xs) == len(document.gd_trajectory) == 2
    assert (xs[-1], ys[-1]) == pytest.approx((document.theta[0], document.theta[1]))
    assert surface.knob_marker_position() == pytest.approx((document.theta[0], document.theta[1]))


def test_long_trajectories_are_decimated(surface, doc_ctl):
    document, _ = doc_ctl
    document.load_records(gd_trajectory=[np.full(4, k / 10000) for k in range(10000)])
    document.trailChanged.emit()
    _, (xs, _) = surface.trails_drawn()
    assert len(xs) <= 2000 and xs[0] == 0.0 and xs[-1] == pytest.approx(0.9999)


def test_click_on_the_map_sets_the_two_knobs(qtbot, surface, doc_ctl):
    document, _ = doc_ctl
    lo_a, hi_a, lo_b, hi_b = surface.grid_range()
    target = (lo_a + 0.3 * (hi_a - lo_a), lo_b + 0.7 * (hi_b - lo_b))
    view = surface.plot.getViewBox()
    scene_pos = view.mapViewToScene(QPointF(*target))
    pos = surface.graphics.mapFromScene(scene_pos)
    qtbot.mouseClick(surface.graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    theta = document.theta
    tol = 0.01 * max(hi_a - lo_a, hi_b - lo_b)
    assert theta[0] == pytest.approx(target[0], abs=tol) and theta[1] == pytest.approx(target[1], abs=tol)
    assert document.undo_stack.undoText().startswith("Pick k0, k1")


def test_contours_of_a_bowl_are_circles():
    t = np.linspace(-1, 1, 101)
    field = t[None, :] ** 2 + t[:, None] ** 2
    cols, rows = contour_segments(field, [0.25])
    radius = np.hypot(cols / 50 - 1, rows / 50 - 1)
    assert cols.size % 2 == 0 and cols.size > 100
    assert radius == pytest.approx(np.full(radius.size, 0.5), abs=2e-3)


# -- the comparison panel ---------------------------------------------------------------------------
def format_gap(loss, optimum):
    return gap_cells(loss, optimum, Numbers())


def format_loss(value):
    return Numbers().loss(value)


def test_format_gap():
    assert format_gap(None, 1.0) == ("—", "—")
    assert format_gap(1.0, 1.0) == ("0", "at the optimum")
    assert format_gap(1.5, 1.0) == ("+0.5", "+50 %")
    assert format_gap(125.0, 1.0) == ("+124", "+12400 %")  # one way of saying it, however far
    assert format_gap(0.5, 0.0) == ("+0.5", "—")
    assert format_gap(0.9, 1.0) == ("-0.1", "-10 %")
    assert format_loss(float("nan")) == "—" and format_loss(0.0123456789) == "0.0123457"


def test_rows_update_after_a_knob_turn(panel, doc_ctl):
    document, controller = doc_ctl
    assert panel.cell_text("manual", "loss") == "—"
    assert panel.cell_text("exact", "loss") == format_loss(document.exact.loss)
    assert panel.cell_text("exact", "relative") == "at the optimum"
    assert not panel.restore_button.isEnabled()
    controller.set_knob(1, 2.5)
    assert panel.cell_text("manual", "loss") == format_loss(document.best_manual[0])
    assert panel.cell_text("manual", "details") == "1 knob move"
    assert panel.cell_text("current", "loss") == format_loss(document.loss_value)
    gap, relative = format_gap(document.best_manual[0], document.exact.loss)
    assert (panel.cell_text("manual", "gap"), panel.cell_text("manual", "relative")) == (gap, relative)
    assert panel.restore_button.isEnabled()


def test_rows_update_after_a_step_and_a_run(qtbot, panel, doc_ctl):
    document, controller = doc_ctl
    assert panel.cell_text("gd", "loss") == "—"
    controller.set_run_settings(lr=0.2, max_steps=400)
    controller.step_once()
    assert panel.cell_text("gd", "loss") == format_loss(document.loss_value)
    assert panel.cell_text("gd", "details").startswith("1 single step")
    with qtbot.waitSignal(controller.runFinished, timeout=10000):
        controller.start_run()
    result = document.last_run.result
    assert panel.cell_text("gd", "loss") == format_loss(result.loss)
    details = panel.cell_text("gd", "details")
    assert f"{result.steps} steps" in details and "lr 0.2" in details and "plain GD" in details
    assert panel.cell_text("gd", "gap") == format_gap(result.loss, document.exact.loss)[0]
    controller.set_degree(2)  # another problem: it has no run yet (nothing stale is shown)
    assert panel.cell_text("gd", "loss") == "—" and panel.cell_text("gd", "details") == "press Run or Step"
    document.undo_stack.undo()  # back to the problem that was run: its run comes back
    assert panel.cell_text("gd", "loss") == format_loss(result.loss)


def test_overlay_checks_toggle_and_follow_the_document(qtbot, panel, doc_ctl):
    document, _ = doc_ctl
    checks = {
        name: panel.findChild(type(panel.show_gd_check), name)
        for name in ("showManualCheck", "showGdCheck", "showExactCheck")
    }
    checks["showManualCheck"].click()
    checks["showExactCheck"].click()
    assert (document.show_manual, document.show_gd, document.show_exact) == (True, False, True)
    document.set_overlays(gd=True, exact=False)
    assert checks["showGdCheck"].isChecked() and not checks["showExactCheck"].isChecked()


def test_restore_button_brings_back_the_manual_fit(qtbot, panel, doc_ctl):
    document, controller = doc_ctl
    controller.set_knob(1, 2.5)
    controller.set_knob(3, -2.5)
    best = document.best_manual[1].copy()
    controller.reset_knobs()
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    assert np.array_equal(document.theta, best)
    controller.set_degree(4)  # the trails (and the manual fit) belong to the old model
    assert not panel.restore_button.isEnabled()


def test_gd_row_follows_a_run_live(qtbot, panel, doc_ctl):
    document, controller = doc_ctl
    controller.set_run_settings(lr=0.1, max_steps=10000)
    controller.set_speed(0.005)  # slow enough to watch
    controller.start_run()
    qtbot.waitUntil(
        lambda: (
            panel.cell_text("gd", "details").startswith("running…")
            and not panel.cell_text("gd", "details").startswith("running… 0 steps")
        ),
        timeout=5000,
    )
    assert panel.cell_text("gd", "loss") == format_loss(document.loss_value)
    controller.stop_run()
    assert "stopped by you" in panel.cell_text("gd", "details")

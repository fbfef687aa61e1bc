"""What the views derive from every point is derived once per dataset, and a one-point edit of many points is
never sorted again: the same pictures and numbers, without the passes that stalled the window at 10⁶–10⁷."""

from __future__ import annotations

import numpy as np
import pytest
from wired_views import conditioning_lab, surface_plot

from workbench.fitting.data import Dataset
from workbench.fitting.split import Split
from workbench.qt.app_state.controller import Controller
from workbench.qt.app_state.document import FitDocument
from workbench.qt.views.fit_plot import LARGE_N, FitPlot
from workbench.qt.views.residual_plot import ResidualPlot


def unsorted_data(n: int, seed: int = 4) -> Dataset:
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0.0, 10.0, n), 2)  # unsorted, with ties (as files often are)
    return Dataset(x, np.sin(x) + rng.normal(0.0, 0.2, n), "unsorted")


@pytest.fixture
def doc_ctl(qtbot):
    document = FitDocument(unsorted_data(LARGE_N + 3000))  # drawn as clouds, facts computed here
    controller = Controller(document)
    yield document, controller
    controller.shutdown()


def count_calls(monkeypatch, name: str, on) -> list:
    """Count calls of ``np.<name>`` whose first argument is ``on()`` (the array a view must not pass over)."""
    calls = []
    original = getattr(np, name)

    def counting(a, *args, **kwargs):
        if a is on():
            calls.append(a)
        return original(a, *args, **kwargs)

    monkeypatch.setattr(np, name, counting)
    return calls


def test_the_lab_counts_distinct_x_once_per_dataset_not_on_every_facts_arrival(qtbot, doc_ctl, monkeypatch):
    document, controller = doc_ctl
    lab = conditioning_lab(document, controller)
    qtbot.addWidget(lab)
    sorts = count_calls(monkeypatch, "unique", lambda: document.dataset.x)
    shown = lab.explanation_label.text()
    for _ in range(3):
        lab._on_facts_changed()  # what each arrival of big data's facts does
    assert sorts == [] and lab.explanation_label.text() == shown
    controller.set_degree(3)  # the same data: still known
    assert sorts == []
    controller.add_point(5.005, 0.3)  # new data: counted again, once
    lab._on_facts_changed()
    assert len(sorts) == 1


def test_the_lab_tells_the_distinct_x_of_the_data_it_shows(qtbot):
    document = FitDocument(Dataset(np.array([1.0, 1.0, 2.0, 2.0, 3.0, 3.0]), np.arange(6.0), "three x"))
    controller = Controller(document)
    try:
        controller.set_degree(5)
        lab = conditioning_lab(document, controller)
        qtbot.addWidget(lab)
        assert lab._x_facts.get(document.dataset, lambda: None) == (1.0, 3.0, 3)
        controller.add_point(4.0, 1.0)  # still in x order: counted without a sort
        lab._on_facts_changed()
        assert lab._x_facts.get(document.dataset, lambda: None) == (1.0, 4.0, 4)
        controller.add_point(0.5, 1.0)  # out of order now
        controller.add_point(-0.0, 1.0)
        controller.add_point(0.0, 1.0)  # the same x as −0.0
        lab._on_facts_changed()
        assert lab._x_facts.get(document.dataset, lambda: None) == (-0.0, 4.0, 6)
    finally:
        controller.shutdown()


def test_the_surface_takes_the_spread_of_y_once_per_dataset_and_split(qtbot, doc_ctl, monkeypatch):
    document, controller = doc_ctl
    surface = surface_plot(document, controller)
    qtbot.addWidget(surface, before_close_func=lambda w: w.shutdown())
    passes = count_calls(monkeypatch, "std", lambda: document.problem.y)
    first = [surface._natural_scale(k) for k in range(document.state.degree + 1)]
    for _ in range(3):  # every recompute (every report of a run) asks again
        assert [surface._natural_scale(k) for k in range(document.state.degree + 1)] == first
    assert len(passes) <= 1
    scales = document.column_scales
    assert first[2] == pytest.approx(np.std(document.problem.y) / scales[2], rel=1e-12)
    controller.set_split(Split(0.25, seed=3))  # other training points: another spread
    taken = len(passes)
    split_scale = surface._natural_scale(2)
    assert len(passes) == taken + 1
    assert split_scale == pytest.approx(np.std(document.problem.y) / document.column_scales[2], rel=1e-12)


def fresh_order(x: np.ndarray) -> np.ndarray:
    return np.argsort(x, kind="stable")


def test_an_added_moved_or_removed_point_keeps_the_cloud_and_residuals_exact_without_a_sort(qtbot, doc_ctl):
    document, controller = doc_ctl
    fit, residual = FitPlot(document), ResidualPlot(document)
    qtbot.addWidget(fit)
    qtbot.addWidget(residual)
    residual.residuals()  # the residual plot's order of the first data
    edits = [
        lambda: controller.add_point(5.005, 0.3),
        lambda: controller.add_point(float(document.dataset.x[7]), -0.1),  # a tie: after the equal x before it
        lambda: controller.move_point(11, 0.5, 0.2),
        lambda: controller.move_point(12, float(document.dataset.x[40]), 0.2),
        lambda: controller.remove_points([3]),
        document.undo_stack.undo,
        document.undo_stack.undo,
    ]
    for edit in edits:
        edit()
        data = document.dataset
        order = fresh_order(data.x)
        x, y = fit.cloud.getOriginalDataset()
        np.testing.assert_array_equal(x, data.x[order])
        np.testing.assert_array_equal(y, data.y[order])
        rx, ry = residual.residuals()
        np.testing.assert_array_equal(rx, data.x[order])
        np.testing.assert_array_equal(ry, (data.y - document.fitted())[order])
    assert [o.sorts for o in fit._cloud_orders] == [1, 0] and residual._x_order.sorts == 1  # the first data only


def test_the_held_out_cloud_still_holds_exactly_the_held_out_points_after_an_edit(qtbot, doc_ctl):
    document, controller = doc_ctl
    fit = FitPlot(document)
    qtbot.addWidget(fit)
    controller.set_split(Split(0.25, seed=3))
    controller.move_point(11, 0.5, 0.2)
    train, held_out = document.state.split_indices()
    data = document.dataset
    for item, idx in ((fit.cloud, train), (fit.held_out_cloud, held_out)):
        x, y = item.getOriginalDataset()
        order = fresh_order(data.x[idx])
        np.testing.assert_array_equal(x, data.x[idx][order])
        np.testing.assert_array_equal(y, data.y[idx][order])

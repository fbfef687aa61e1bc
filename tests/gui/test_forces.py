"""Per-point forces on the fit plot: arrows of −∂L/∂ŷ_i from the engine, and residual squares."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.fitting.losses import Loss


def _forces_and_residuals(window):
    doc = window.document
    fitted = doc.fitted()
    return window.fit_plot.force_vectors(), fitted - doc.dataset.y


@pytest.mark.parametrize("kind", ["mse", "sse", "mae", "huber"])
def test_the_arrows_show_minus_the_loss_gradient_per_point(make_main_window, kind):
    window = make_main_window()
    window.controller.set_knob(1, 2.0)
    window.controller.set_loss(Loss(kind, huber_delta=0.3))
    window.forces_action.setChecked(True)
    forces, r = _forces_and_residuals(window)
    n = r.size
    expected = {"mse": -2 * r / n, "sse": -2 * r, "mae": -np.sign(r) / n, "huber": -np.clip(r, -0.3, 0.3) / n}[kind]
    np.testing.assert_allclose(forces, expected, rtol=1e-12, atol=1e-15)
    # Drawn: one shaft per point from the curve, pointing the way the point pulls (towards it).
    xs, ys = window.fit_plot.force_shafts.getData()
    assert xs.size == 2 * n
    starts, tips = ys[0::2], ys[1::2]
    np.testing.assert_allclose(starts, window.document.fitted())
    moving = forces != 0
    assert np.all(np.sign(tips - starts)[moving] == np.sign(forces)[moving])


def test_mae_pulls_equally_hard_while_squared_error_favours_far_points(make_main_window):
    window = make_main_window()
    window.controller.set_knob(1, 2.0)
    window.controller.set_loss(Loss("mae"))
    mae, r = _forces_and_residuals(window)
    assert np.allclose(np.abs(mae[r != 0]), 1.0 / r.size)
    window.controller.set_loss(Loss("mse"))
    mse, _ = _forces_and_residuals(window)
    far, near = np.argmax(np.abs(r)), np.argmin(np.abs(r))
    assert abs(mse[far]) > 10 * abs(mse[near])


def test_arrows_and_squares_are_optional_and_follow_the_knobs(make_main_window):
    window = make_main_window()
    plot = window.fit_plot
    assert plot.force_shafts.getData()[0] is None or plot.force_shafts.getData()[0].size == 0
    assert plot.squares.path().isEmpty()
    window.squares_action.setChecked(True)
    window.controller.set_knob(0, 0.5)
    path = plot.squares.path()
    assert path.elementCount() >= 4 * window.document.dataset.n  # a rectangle per point
    r = np.abs(window.document.fitted() - window.document.dataset.y)
    bounds = path.boundingRect()
    assert bounds.width() == pytest.approx(
        np.max(window.document.dataset.x + r) - np.min(window.document.dataset.x), rel=1e-9
    )
    window.squares_action.setChecked(False)
    assert plot.squares.path().isEmpty()

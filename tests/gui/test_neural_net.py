"""The neural-net model in the real window: weights as knobs, the same engine, loop and views."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QWidget

from workbench.engine import numerical_gradient
from workbench.fitting import number_text


def _switch_to_net(window, layers: int = 1, width: int = 6):
    window.findChild(QSpinBox, "hiddenSpin").setValue(width)
    combo = window.findChild(QComboBox, "modelCombo")
    combo.setCurrentIndex(layers)
    combo.activated.emit(layers)


def test_the_net_replaces_the_polynomial_as_one_undo_step(make_main_window, qtbot):
    window = make_main_window()
    doc = window.document
    _switch_to_net(window, layers=1, width=6)
    qtbot.waitUntil(lambda: window.findChild(QWidget, "knob0").isVisible())  # new rows show on the next loop
    assert doc.state.model == "mlp" and doc.state.hidden == (6,)
    assert doc.state.theta.size == 6 + 6 + 6 + 1  # W1, b1, w_out, b_out
    labels = [w.text() for w in window.knob_panel.findChildren(QLabel) if w.isVisible()]
    assert "W1[0,0]" in labels and "b_out" in labels and "layer 1 weights W1" in labels
    assert window.findChild(QWidget, "knob18") is not None and window.findChild(QWidget, "knob19") is None
    assert not window.findChild(QSpinBox, "degreeSpin").isEnabled()
    doc.undo_stack.undo()
    assert doc.state.model == "polynomial" and doc.state.theta.size == 6


def test_knob_gradients_of_the_net_are_the_engines_and_central_differences(make_main_window):
    window = make_main_window()
    _switch_to_net(window, layers=2, width=3)
    doc = window.document
    loss, grad = doc.evaluation()
    numeric = numerical_gradient(doc.problem.loss_at, doc.state.theta)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(window.graph_view.knob_gradients(), grad, rtol=1e-9, atol=1e-12)
    shown = [float(window.findChild(QLabel, f"knobGradient{i}").text()) for i in range(grad.size)]
    np.testing.assert_allclose(shown, grad, rtol=1e-3, atol=1e-12)
    assert window.knob_panel.loss_label.text() == f"loss {number_text.loss(loss)}"


def test_gradient_descent_trains_the_net_and_stop_works(make_main_window, qtbot):
    window = make_main_window()
    _switch_to_net(window, layers=1, width=8)
    doc, controller = window.document, window.controller
    start = doc.loss_value
    controller.set_run_settings(lr=0.2, max_steps=800, tol=0.0)
    controller.start_run()
    qtbot.waitUntil(lambda: not controller.running, timeout=30000)
    assert doc.loss_value < 0.5 * start
    assert np.all(np.isfinite(doc.state.theta))
    # The curve drawn is the net's output.
    xs, ys = window.fit_plot.curve.getData()
    np.testing.assert_allclose(ys, doc.problem.model.predict(doc.state.theta, xs), rtol=1e-12, atol=1e-12)


def test_the_surface_over_two_weights_arrives_from_the_background(make_main_window, qtbot):
    window = make_main_window()
    _switch_to_net(window, layers=1, width=4)
    surface = window.surface_plot
    qtbot.waitUntil(lambda: surface.surface_grid() is not None and not surface.is_computing(), timeout=20000)
    a, b, z = surface.surface_grid()
    i, j = surface.axes()
    probe = window.document.state.theta.copy()
    probe[i], probe[j] = a[3], b[5]
    assert z[5, 3] == np.float64(window.document.problem.loss_at(probe)) or np.isclose(
        z[5, 3], window.document.problem.loss_at(probe), rtol=1e-9
    )

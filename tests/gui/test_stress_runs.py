"""Stress: gradient descent started and stopped many times in a row, between edits of every kind.

Each cycle starts a run, lets it take a few steps (or none, or lets a short one end by itself), stops it
one of the ways a user can (Stop, F5's toggle, undo, or an edit that stops it first), checks that its
thread has ended and the knobs are finite, then edits: points added, moved and removed, undo and redo,
degree, basis, loss, split, model and optimiser changes.  At the end no thread is left behind.
A Qt warning (``qt_log_level_fail``) or an exception in a slot (pytest-qt's capture) fails the test.
"""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import Qt
from stress_helpers import (
    assert_finite_knobs,
    assert_no_background_work,
    assert_run_thread_gone,
    render_every_view,
    sizes,
)

from workbench.fitting.losses import Loss
from workbench.fitting.split import Split


def _span(window) -> tuple[float, float, float, float]:
    data = window.document.dataset
    if data.n == 0:
        return 0.0, 1.0, 0.0, 1.0
    return float(data.x.min()), float(data.x.max()), float(data.y.min()), float(data.y.max())


def _random_point(window, rng) -> tuple[float, float]:
    x0, x1, y0, y1 = _span(window)
    return float(rng.uniform(x0, x1 + 1e-9)), float(rng.uniform(y0, y1 + 1e-9))


# -- the edits, each through the controller (or the Edit menu's undo/redo) -------------------------------
def add_point(window, rng):
    window.controller.add_point(*_random_point(window, rng))


def move_point(window, rng):
    n = window.document.dataset.n
    if n:
        window.controller.move_point(int(rng.integers(n)), *_random_point(window, rng))


def remove_point(window, rng):
    n = window.document.dataset.n
    if n > 3:
        window.controller.remove_points([int(rng.integers(n))])


def undo(window, rng):
    window.undo_action.trigger()


def redo(window, rng):
    window.redo_action.trigger()


def degree(window, rng):
    window.controller.set_degree(int(rng.integers(0, 9)))


def basis(window, rng):
    window.controller.set_basis(str(rng.choice(["monomial", "scaled", "legendre"])))


def loss(window, rng):
    window.controller.set_loss(Loss(str(rng.choice(["mse", "sse", "mae", "huber"]))))


def split(window, rng):
    window.controller.set_split(
        None if rng.random() < 0.3 else Split(float(rng.choice([0.2, 0.3])), int(rng.integers(0, 2**31 - 1)))
    )


def model(window, rng):
    if window.document.state.model == "mlp":
        window.controller.set_model("polynomial")
    else:
        window.controller.set_model("mlp", (int(rng.integers(2, 6)),))


def optimiser(window, rng):
    kind = str(rng.choice(["gd", "momentum", "nesterov", "adam"]))
    lr = 0.01 if kind == "adam" else float(rng.choice([0.05, 0.3, 2.0]))  # 2.0 often diverges: also an ending
    patience = None if rng.random() < 0.5 else 30
    window.controller.set_run_settings(optimizer=kind, lr=lr, patience=patience)


EDITS = [
    add_point,
    move_point,
    undo,
    degree,
    remove_point,
    basis,
    redo,
    loss,
    split,
    add_point,
    model,
    optimiser,
    undo,
    undo,
    redo,
]


# -- the ways a run ends ---------------------------------------------------------------------------------
def stop_button(window, rng):
    if window.controller.running:  # (a run that already ended, diverged say, would start again)
        window.controller.toggle_run()


def stop_directly(window, rng):
    window.controller.stop_run()


def stop_by_undo(window, rng):
    window.undo_action.trigger()


def stop_by_edit(window, rng):
    add_point(window, rng)


STOPS = [stop_button, stop_directly, stop_by_undo, stop_by_edit]


@sizes(25, 200, "cycles")
def test_start_and_stop_many_times_between_edits(qtbot, make_main_window, cycles):
    baseline = threading.active_count()
    window = make_main_window()
    ctl, doc = window.controller, window.document
    rng = np.random.default_rng(6)
    ctl.set_run_settings(max_steps=200_000, tol=0.0)
    started = 0
    for cycle in range(cycles):
        ctl.start_run()
        if not ctl.running:  # e.g. every point removed: nothing to run
            assert doc.dataset.n == 0
            add_point(window, rng)
            continue
        started += 1
        thread = ctl.runs.handle  # the run's task: the way to check that it has ended
        how = cycle % 5
        if how == 4:  # a short run that ends by itself
            ctl.stop_run()
            ctl.set_run_settings(max_steps=int(rng.integers(1, 60)))
            ctl.start_run()
            thread = ctl.runs.handle
            qtbot.waitUntil(lambda: not ctl.running, timeout=10_000)
            ctl.set_run_settings(max_steps=200_000)
        else:
            if how != 0:  # sometimes stopped before its first payload
                qtbot.waitUntil(lambda: doc.loss_history[-1].size > 0 or not ctl.running, timeout=5000)
            STOPS[cycle % len(STOPS)](window, rng)
        assert not ctl.running, f"cycle {cycle}: {STOPS[cycle % len(STOPS)].__name__} left the run going"
        assert not thread.running
        assert window.run_action.text() == "&Run gradient descent"
        assert_finite_knobs(window)
        EDITS[cycle % len(EDITS)](window, rng)
        assert_finite_knobs(window)
        if cycle % 10 == 9:
            assert_run_thread_gone(qtbot, thread)
    assert started >= cycles * 0.9
    render_every_view(window, qtbot)  # and every view still draws what it was left with
    window.close()
    assert not window.isVisible()
    assert_no_background_work(qtbot, baseline)


def test_undo_during_the_first_run_stops_it_and_undoes_it(qtbot, make_main_window):
    # Found by the stress test: with nothing yet to undo, Undo was disabled during the first run, so
    # Ctrl+Z did nothing and the run went on (a later run, with a step before it, was undone).
    window = make_main_window()
    stack = window.document.undo_stack
    assert not stack.canUndo() and not window.undo_action.isEnabled()
    start = window.document.theta
    window.controller.set_run_settings(max_steps=200_000, tol=0.0)
    window.controller.start_run()
    assert window.undo_action.isEnabled()
    qtbot.waitUntil(lambda: window.document.loss_history[-1].size > 1, timeout=5000)  # past its start

    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)

    assert not window.controller.running
    np.testing.assert_array_equal(window.document.theta, start)
    assert not stack.canUndo() and not window.undo_action.isEnabled()
    assert stack.redoText().startswith("Gradient descent (")  # the run can be redone
    window.redo_action.trigger()
    assert not np.array_equal(window.document.theta, start)

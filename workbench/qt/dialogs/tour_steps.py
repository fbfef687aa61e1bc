"""What the quick tour says, step by step: the widgets to outline, how to tell the user has done the step,
and how the app does it on request ("Show me").  The card that shows the steps is in tour.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class Progress:
    """What the document looked like when a step began, to tell whether the user has done it since."""

    dataset: object
    manual_moves: int
    last_run: object


@dataclass(frozen=True)
class TourStep:
    """One stop of the tour: what to outline, what to say, how to check it and how to do it."""

    title: str
    text: str
    targets: Callable[[QWidget], list[QWidget]]
    done: Callable[[QWidget, Progress], bool] | None = None
    waiting: str = ""
    act_text: str = ""
    act: Callable[[QWidget], None] | None = None


def _dock(window, name: str) -> QWidget:
    """The dock's content, with the dock made visible and brought to the front of its tab group."""
    dock = window.docks[name]
    dock.show()
    dock.raise_()
    return dock


def _named(window, prefix: str) -> list[QWidget]:
    return [w for w in window.knob_panel.findChildren(QWidget) if w.objectName().startswith(prefix)]


def _add_point(window) -> None:
    """Add a point a little above the middle of what the plot shows."""
    (x0, x1), (y0, y1) = window.fit_plot.getPlotItem().getViewBox().viewRange()
    window.controller.add_point(x0 + 0.55 * (x1 - x0), y0 + 0.7 * (y1 - y0))


def _turn_steepest_knob(window) -> None:
    """Turn the knob with the strongest pull half-way to its best value (the loss always drops)."""
    doc = window.document
    if doc.dataset.n == 0:
        _add_point(window)
    theta = doc.theta
    _, grad = doc.evaluation()
    i = int(np.argmax(np.abs(grad)))
    h = 1e-4 * max(1.0, abs(theta[i]))
    nudged = theta.copy()
    nudged[i] += h
    curvature = (doc.problem.value_and_grad(nudged)[1][i] - grad[i]) / h
    step = -0.5 * grad[i] / curvature if curvature > 0 else -0.1 * np.sign(grad[i])
    window.controller.set_knob(i, float(theta[i] + step))


def _run(window) -> None:
    if not window.controller.running:
        window.controller.start_run()


STEPS = (
    TourStep(
        "1 · Add points",
        "This is your data. <b>Click on empty space</b> in the plot to add a point, drag a point to move "
        "it, right-click it to remove it. Every edit can be undone (Ctrl+Z).",
        lambda w: [w.fit_plot],
        lambda w, p: w.document.dataset is not p.dataset,
        "Waiting for you to add or move a point…",
        "Add a point for me",
        _add_point,
    ),
    TourStep(
        "2 · Turn the knobs",
        "Each knob is one coefficient of y = k0 + k1·x + k2·x² + …. <b>Drag a dial</b> (or use the wheel or "
        "the arrow keys) and watch the curve move and the big <b>loss</b> number change: lower is better, "
        "and your best is remembered.",
        lambda w: [w.knob_panel],
        lambda w, p: w.document.manual_moves > p.manual_moves,
        "Waiting for you to turn a knob…",
        "Turn a knob for me",
        _turn_steepest_knob,
    ),
    TourStep(
        "3 · Read the gradient arrows",
        "Beside each knob an arrow shows −∂L/∂k from the backpropagation engine: <b>which way to turn</b> "
        "that knob to lower the loss, and how hard compared with the others. On the plot, <i>View › Show "
        "each point's pull</i> draws how hard each point pulls the curve.",
        lambda w: _named(w, "knobGradientBar") + _named(w, "knobGradient"),
        lambda w, p: w.forces_action.isChecked(),
        "Turn on View › Show each point's pull (Ctrl+P)…",
        "Show the pulls",
        lambda w: w.forces_action.setChecked(True),
    ),
    TourStep(
        "4 · Run gradient descent",
        "Press <b>Run gradient descent</b> (F5): the engine does what you did, thousands of times a second — "
        "a forward pass, a backward pass, every knob turned a little against its gradient. Watch the knobs, "
        "the curve, the loss history and the loss surface move live.",
        lambda w: [w.run_controls.run_button],
        lambda w, p: w.document.last_run is not p.last_run and not w.controller.running,
        "Waiting for a gradient-descent run to finish…",
        "Run it for me",
        _run,
    ),
    TourStep(
        "5 · Compare",
        "The comparison panel puts <b>your best manual fit</b>, <b>gradient descent</b> and the <b>exact "
        "least-squares optimum</b> side by side: each one's loss and its gap to the optimum. Tick "
        "<i>Show</i> to overlay their curves; <i>Solve exactly</i> (F9) draws the optimum.",
        lambda w: [_dock(w, "compare")],
        lambda w, p: w.document.show_exact,
        "Tick Show beside the exact optimum, or press F9…",
        "Show the optimum",
        lambda w: w.controller.show_exact(True),
    ),
    TourStep(
        "6 · Where next",
        "The tabs under the plot go further: the <b>Computational graph</b> walks backprop node by node, the "
        "<b>Conditioning lab</b> explains why raw powers of x crawl, the <b>Optimiser race</b> pits "
        "momentum and Adam against plain descent, the <b>Fit report</b> gives standard errors. "
        "Reopen this tour any time with <i>Help › Quick tour</i> (F1).",
        lambda w: [],
    ),
)

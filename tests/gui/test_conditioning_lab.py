"""The conditioning lab: stability limit, condition number, basis switches and the background sweep."""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from wired_views import conditioning_lab

from workbench.fitting.basis import BASIS_KINDS, Basis
from workbench.fitting.data import Dataset
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel
from workbench.fitting.problem import FitProblem
from workbench.qt.app_state.controller import Controller
from workbench.qt.app_state.document import FitDocument
from workbench.qt.views.conditioning_lab import format_number
from workbench.qt.views.sweep_plot import SweepPlot

SWEEP_TIMEOUT_MS = 30_000


def wide_data(n: int = 40) -> Dataset:
    x = np.linspace(0.0, 20.0, n)
    return Dataset(x, 10 * np.sin(x / 3) + 0.1 * x**2 + 0.3 * np.cos(5.1 * x), "wide")


def hessian_eigenvalues(x: np.ndarray, degree: int, kind: str, loss: str = "mse") -> np.ndarray:
    """Eigenvalues of the squared-error Hessian, built here from the basis functions themselves."""
    t = x if kind == "monomial" else (x - (x.min() + x.max()) / 2) / ((x.max() - x.min()) / 2)
    if kind in ("legendre", "orthonormal"):
        design = np.column_stack([np.polynomial.legendre.Legendre.basis(i)(t) for i in range(degree + 1)])
    else:
        design = np.column_stack([t**i for i in range(degree + 1)])
    if kind == "orthonormal":  # Q of the Legendre design, scaled so that Σφ_j²/N = 1
        design = np.linalg.qr(design)[0] * np.sqrt(x.size)
    scale = 2.0 / x.size if loss == "mse" else 2.0
    return np.linalg.eigvalsh(scale * design.T @ design)


def independent_limit(x, degree, kind, loss="mse") -> float:
    return 2.0 / hessian_eigenvalues(x, degree, kind, loss).max()


@pytest.fixture
def doc_ctl(qtbot):
    document = FitDocument(wide_data())  # degree 5, x in [0, 20]: it opens in Scaled (raw powers crawl) …
    controller = Controller(document)
    controller.set_basis("monomial")  # … and the lab's story starts from raw powers
    yield document, controller
    controller.shutdown()


@pytest.fixture
def lab(qtbot, doc_ctl):
    document, controller = doc_ctl
    widget = conditioning_lab(document, controller)
    qtbot.addWidget(widget, before_close_func=lambda w: w.sweeps.shutdown())
    widget.resize(450, 300)
    widget.show()
    yield widget
    widget.sweeps.shutdown()


def set_model(document: FitDocument, degree: int, kind: str, loss: Loss = Loss()) -> None:
    basis = Basis.for_data(kind, document.dataset.x)
    document.apply(replace(document.state, degree=degree, basis=basis, loss=loss, theta=np.zeros(degree + 1)), "model")


# -- the numbers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", BASIS_KINDS)
@pytest.mark.parametrize("degree", [0, 2, 5, 8])
def test_stability_limit_is_two_over_lambda_max(lab, doc_ctl, kind, degree):
    document, _ = doc_ctl
    set_model(document, degree, kind)
    expected = independent_limit(document.dataset.x, degree, kind)
    label = lab.findChild(type(lab.limit_label), "stabilityLimitLabel")
    assert label is lab.limit_label
    assert label.property("value") == pytest.approx(expected, rel=1e-6)
    assert lab.stability_limit == pytest.approx(expected, rel=1e-6)
    assert label.text() == format_number(expected)


def test_stability_limit_follows_loss_and_data(lab, doc_ctl, qtbot):
    document, controller = doc_ctl
    set_model(document, 3, "scaled", Loss("sse"))
    x = document.dataset.x
    assert lab.stability_limit == pytest.approx(independent_limit(x, 3, "scaled", "sse"), rel=1e-6)
    controller.set_loss(Loss("huber"))
    assert lab.stability_limit == pytest.approx(independent_limit(x, 3, "scaled"), rel=1e-6)
    assert "guide" in lab.limit_label.text()
    controller.set_loss(Loss())
    controller.replace_data(wide_data(25))
    x = document.dataset.x
    assert lab.stability_limit == pytest.approx(independent_limit(x, 3, "scaled"), rel=1e-6)


@pytest.mark.parametrize("kind", ["scaled", "legendre"])
def test_condition_number_is_the_hessians(lab, doc_ctl, kind):
    document, _ = doc_ctl
    set_model(document, 5, kind)
    eig = hessian_eigenvalues(document.dataset.x, 5, kind)
    expected = eig.max() / eig.min()
    assert lab.condition_number == pytest.approx(expected, rel=1e-6)
    assert lab.condition_label.property("value") == pytest.approx(expected, rel=1e-6)
    assert lab.condition_label.text().endswith(format_number(expected))  # after "before →"


def test_learning_rate_above_the_limit_is_marked(lab, doc_ctl):
    document, controller = doc_ctl
    limit = independent_limit(document.dataset.x, 5, "monomial")
    controller.set_run_settings(lr=0.8)
    assert lab.lr_above_limit
    text = lab.lr_label.text()
    assert "0.8 is above the limit" in text and format_number(limit) in text and "diverge" in text
    assert "c62828" in lab.lr_label.styleSheet()
    controller.set_run_settings(lr=0.5 * limit)
    assert not lab.lr_above_limit
    assert "below the limit" in lab.lr_label.text() and "c62828" not in lab.lr_label.styleSheet()
    controller.set_run_settings(lr=0.8, optimizer="momentum")
    assert not lab.lr_above_limit  # the limit is plain gradient descent's
    assert "plain gradient descent" in lab.lr_label.text()


def test_explanation_says_why_monomials_crawl(lab, doc_ctl):
    document, controller = doc_ctl
    text = lab.explanation_label.text()
    assert "nearly parallel" in text and "orders of magnitude" in text
    assert "condition number" in lab.explanation_label.toolTip()
    controller.set_basis("legendre")
    assert "nearly parallel" not in lab.explanation_label.text()


# -- switching basis --------------------------------------------------------------------------------
def test_switch_buttons_change_basis_and_show_the_drop(lab, doc_ctl, qtbot):
    document, _ = doc_ctl
    x = document.dataset.x
    before = lab.condition_number
    eig = hessian_eigenvalues(x, 5, "monomial")
    assert before == pytest.approx(eig.max() / eig.min(), rel=0.05)  # λ_min of XᵀX loses digits
    assert lab.condition_drop is None and "→" not in lab.condition_label.text()
    assert lab.scaled_button.objectName() == "switchScaledButton"

    qtbot.mouseClick(lab.scaled_button, Qt.MouseButton.LeftButton)
    assert document.state.basis.kind == "scaled"
    assert not lab.scaled_button.isEnabled() and lab.legendre_button.isEnabled()
    eig = hessian_eigenvalues(x, 5, "scaled")
    after = eig.max() / eig.min()
    assert lab.condition_drop == pytest.approx((before, after), rel=1e-6)
    assert after < before * 1e-6  # orders of magnitude
    assert lab.condition_label.text() == f"{format_number(before)} → {format_number(after)}"

    qtbot.mouseClick(lab.legendre_button, Qt.MouseButton.LeftButton)
    assert document.state.basis.kind == "legendre"
    legendre = lab.condition_number
    assert lab.condition_drop == pytest.approx((after, legendre), rel=1e-6)
    assert legendre < after
    assert lab.stability_limit == pytest.approx(independent_limit(x, 5, "legendre"), rel=1e-6)

    document.undo_stack.undo()  # undo shows the way back up
    assert lab.condition_drop == pytest.approx((legendre, after), rel=1e-6)
    document.apply(replace(document.state, theta=np.ones(6)), "knobs")  # knobs: the drop stays
    assert lab.condition_drop is not None
    document.apply(replace(document.state, degree=4, theta=np.zeros(5)), "degree")
    assert lab.condition_drop is None and "→" not in lab.condition_label.text()


def test_switching_keeps_the_curve(lab, doc_ctl):
    document, controller = doc_ctl
    controller.set_knobs(document.exact.coefficients, "exact")
    curve = document.fitted()
    lab.switch_basis("legendre")
    np.testing.assert_allclose(document.fitted(), curve, rtol=1e-9, atol=1e-9)


# -- the sweep --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_sweep_finds_the_cliff_in_the_background(lab, doc_ctl, qtbot, kind):
    document, controller = doc_ctl
    set_model(document, 5, kind)
    limit = independent_limit(document.dataset.x, 5, kind)
    controller.set_run_settings(lr=0.3 * limit)
    lab.sweeps.steps = 1500  # long enough to watch the GUI stay alive
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) >= 3)  # first paints done, the event loop ticking
    with qtbot.waitSignal(lab.sweepFinished, timeout=SWEEP_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(lab.sweep_button, Qt.MouseButton.LeftButton)
        assert lab.sweep_running and lab.sweep_button.text() == "Stop"
        assert lab.sweeps.handle.running and lab.sweeps.handle.where == "process"  # beside the window
        started = time.perf_counter()
    elapsed = time.perf_counter() - started
    timer.stop()
    result = blocker.args[0]
    assert result.complete and result is lab.sweep_result
    assert not lab.sweep_running and lab.sweep_button.text() == "Sweep learning rates"
    assert limit / 2 <= result.cliff <= 2 * limit
    assert "Diverges above" in lab.sweep_status.text()
    # The GUI thread kept running its timers all along.
    during = [t for t in ticks if t >= started]
    # (Under the GIL a busy worker slows the GUI's Python down, but never stops it.)
    assert len(during) >= max(5, 0.1 * elapsed / 0.010), (len(during), elapsed)
    assert max(np.diff([started, *during])) < 0.5
    # The plot: stable and diverged points, the 2/λ_max, cliff and current-rate lines (log10 positions).
    stable_x, stable_y = lab.plot.stable_item.getData()
    diverged_x, _ = lab.plot.diverged_item.getData()
    assert len(stable_x) + len(diverged_x) == len(result.points)
    assert len(stable_x) and len(diverged_x)
    assert np.all(np.isfinite(stable_y))
    plot = lab.findChild(SweepPlot, "sweepPlot")
    assert plot is lab.plot
    assert plot.limit_line.isVisible() and plot.limit_line.value() == pytest.approx(math.log10(limit), abs=1e-9)
    assert plot.cliff_line.isVisible() and plot.cliff_line.value() == pytest.approx(math.log10(result.cliff))
    assert plot.lr_line.isVisible() and plot.lr_line.value() == pytest.approx(math.log10(0.3 * limit))


def test_sweep_results_arrive_row_by_row_and_stop_promptly(lab, doc_ctl, qtbot):
    document, _ = doc_ctl
    set_model(document, 8, "legendre")
    lab.sweeps.steps = 3000
    qtbot.mouseClick(lab.sweep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(lab.sweep_points_so_far) >= 2, timeout=SWEEP_TIMEOUT_MS)
    assert lab.sweep_running
    handle = lab.sweeps.handle
    with qtbot.waitSignal(lab.sweepFinished, timeout=2000) as blocker:
        started = time.perf_counter()
        qtbot.mouseClick(lab.sweep_button, Qt.MouseButton.LeftButton)
        stopped_in = time.perf_counter() - started
    assert stopped_in < 0.1
    assert not handle.running and not lab.sweep_running
    result = blocker.args[0]
    assert result.stopped and 2 <= len(result.points) < len(result.rates)
    assert lab.sweep_points_so_far == result.points
    assert "Stopped after" in lab.sweep_status.text()
    assert lab.sweep_button.text() == "Sweep learning rates"
    qtbot.wait(50)  # late signals of the stopped sweep change nothing
    assert lab.sweep_result is result


def test_shutdown_stops_a_running_sweep(lab, doc_ctl, qtbot):
    lab.sweeps.steps = 10_000_000  # the first run alone would take hours
    assert lab.start_sweep()
    handle = lab.sweeps.handle
    started = time.perf_counter()
    lab.sweeps.shutdown()
    assert time.perf_counter() - started < 0.1
    assert not handle.running and not lab.sweep_running
    assert lab.sweep_result.points == ()


def drawn_points(lab) -> int:
    xs = lab.plot.stable_item.getData()[0]
    return 0 if xs is None else len(xs)


def test_editing_the_model_clears_the_sweep_and_undo_brings_it_back(lab, doc_ctl, qtbot):
    document, controller = doc_ctl
    set_model(document, 3, "scaled")
    with qtbot.waitSignal(lab.sweepFinished, timeout=SWEEP_TIMEOUT_MS):
        lab.start_sweep()
    swept = drawn_points(lab)
    assert swept and lab.plot.stable_item.opacity() == 1.0
    controller.set_knob(0, 1.0)  # knobs: the cliff does not depend on them
    assert drawn_points(lab) == swept and lab.plot.stable_item.opacity() == 1.0
    controller.set_degree(4)  # another problem: its own (empty) sweep, nothing stale on screen
    assert drawn_points(lab) == 0 and lab.sweep_result is None
    document.undo_stack.undo()
    assert drawn_points(lab) == swept and lab.sweep_result is not None

    lab.sweeps.steps = 10_000_000
    lab.start_sweep()
    handle = lab.sweeps.handle
    controller.add_point(5.0, 5.0)  # new data: the running sweep is for the old
    assert not handle.running and not lab.sweep_running
    assert drawn_points(lab) == 0


def test_clicking_a_point_sets_the_learning_rate(lab, doc_ctl, qtbot):
    document, _ = doc_ctl
    set_model(document, 3, "legendre")
    with qtbot.waitSignal(lab.sweepFinished, timeout=SWEEP_TIMEOUT_MS):
        lab.start_sweep()
    spot = lab.plot.stable_item.scatter.points()[5]
    with qtbot.waitSignal(lab.plot.rateClicked):
        lab.plot.stable_item.sigPointsClicked.emit(lab.plot.stable_item, [spot], None)
    assert document.settings.lr == pytest.approx(lab.sweep_result.points[5].rate)


def test_other_optimisers_sweep_too(lab, doc_ctl, qtbot):
    document, controller = doc_ctl
    set_model(document, 3, "legendre")
    controller.set_run_settings(optimizer="momentum")
    with qtbot.waitSignal(lab.sweepFinished, timeout=SWEEP_TIMEOUT_MS) as blocker:
        lab.start_sweep()
    result = blocker.args[0]
    assert result.complete and result.cliff is not None


# -- without a closed-form Hessian, or without data ----------------------------------------------------
def test_neural_net_shows_not_available(qtbot, doc_ctl, monkeypatch):
    document, controller = doc_ctl
    x, y = document.dataset.x, document.dataset.y
    net = FitProblem(x, y, MLPModel((4,), Basis.for_data("scaled", x)))
    monkeypatch.setattr(FitDocument, "problem", property(lambda self: net))
    widget = conditioning_lab(document, controller)
    qtbot.addWidget(widget, before_close_func=lambda w: w.sweeps.shutdown())
    assert widget.stability_limit is None and widget.condition_number is None
    assert widget.limit_label.text() == "not available for the neural net"
    assert widget.condition_label.text() == "not available for the neural net"
    assert not widget.scaled_button.isEnabled() and not widget.legendre_button.isEnabled()
    assert not widget.lr_above_limit and not widget.lr_label.isVisibleTo(widget)
    document.apply(replace(document.state, theta=net.model.initial_params(0)), "net knobs")
    widget.sweeps.steps = 5
    with qtbot.waitSignal(widget.sweepFinished, timeout=SWEEP_TIMEOUT_MS) as blocker:
        widget.start_sweep()
    assert blocker.args[0].complete
    assert not widget.plot.limit_line.isVisible()


def test_no_data(qtbot):
    document = FitDocument(Dataset(np.empty(0), np.empty(0)))
    controller = Controller(document)
    widget = conditioning_lab(document, controller)
    qtbot.addWidget(widget, before_close_func=lambda w: w.sweeps.shutdown())
    assert widget.stability_limit is None and widget.limit_label.text() == "—"
    assert not widget.sweep_button.isEnabled() and not widget.start_sweep()
    assert not widget.scaled_button.isEnabled()
    controller.add_point(1.0, 2.0)
    controller.add_point(3.0, 1.0)
    assert widget.stability_limit is not None and widget.sweep_button.isEnabled()


def test_format_number():
    assert format_number(0.837) == "0.837"
    assert format_number(1630.0) == "1630"
    assert format_number(9.79e-13) == "9.79×10⁻¹³"
    assert format_number(5.01e13) == "5.01×10¹³"
    assert format_number(1e-20) == "10⁻²⁰"
    assert format_number(float("inf")) == "∞"


def test_the_basis_ladder_tells_the_story_down_to_an_orthonormal_basis(lab, doc_ctl):
    document, controller = doc_ctl
    ladder = lab.ladder
    rungs = {rung.kind: rung for rung in ladder.rungs}
    assert list(rungs) == ["monomial", "scaled", "legendre", "orthonormal"]
    x = document.dataset.x
    for kind, rung in rungs.items():  # the ladder's κ is the Hessian's, computed independently here
        eig = hessian_eigenvalues(x, 5, kind)
        # (eigvalsh of XᵀX knows λ_min to about eps·λ_max: a few 10⁻³ of it at κ ≈ 5·10¹³)
        rel = 1e-2 if kind == "monomial" else 1e-6
        assert rung.condition_number == pytest.approx(eig.max() / eig.min(), rel=rel), kind
    kappas = [rungs[k].condition_number for k in ("monomial", "scaled", "legendre", "orthonormal")]
    assert kappas == sorted(kappas, reverse=True) and kappas[-1] == pytest.approx(1.0, abs=1e-9)
    assert rungs["orthonormal"].gd_steps <= 2 and rungs["monomial"].gd_steps > 1e6
    assert "in use" in ladder.item(0, 0).text() and ladder.item(0, 0).font().bold()
    controller.set_basis("orthonormal")
    assert "in use" in ladder.item(3, 0).text() and "in use" not in ladder.item(0, 0).text()
    assert "orthonormal" in lab.explanation_label.text().lower()
    assert not lab.orthonormal_button.isEnabled()


def test_a_switch_that_changes_little_says_so(qtbot):
    x = np.linspace(-1.0, 1.0, 30)  # already on [−1, 1]: scaling is the identity here
    document = FitDocument(Dataset(x, np.sin(3 * x), "unit"))
    controller = Controller(document)
    widget = conditioning_lab(document, controller)
    qtbot.addWidget(widget, before_close_func=lambda w: w.sweeps.shutdown())
    controller.set_basis("monomial")
    before = widget.condition_number
    controller.set_basis("scaled")
    assert widget.condition_number == pytest.approx(before, rel=1e-6)
    text = widget.explanation_label.text()
    assert "changed little" in text and "rounder" not in text
    controller.set_basis("orthonormal")
    assert "times rounder" in widget.explanation_label.text()
    controller.shutdown()

"""The gradient-check panel: backprop against central differences, knob by knob, through the real document."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from workbench.fitting import number_text
from workbench.fitting.basis import BASIS_KINDS, Basis
from workbench.fitting.data import Dataset
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel
from workbench.fitting.problem import FitProblem
from workbench.qt.app_state.controller import Controller
from workbench.qt.app_state.document import FitDocument
from workbench.qt.views.gradcheck_panel import (
    MAX_CHECKED,
    STALE,
    TOLERANCE,
    GradientCheckPanel,
    check_knobs,
    checked_indices,
    knob_names,
)


def wide_data() -> Dataset:
    x = np.linspace(0.0, 20.0, 40)
    return Dataset(x, 10 * np.sin(x / 3) + 0.1 * x**2 + 0.3 * np.cos(5.1 * x), "wide")


@pytest.fixture
def doc_ctl(qtbot):
    document = FitDocument(wide_data())
    controller = Controller(document)
    yield document, controller
    controller.shutdown()


@pytest.fixture
def panel(qtbot, doc_ctl):
    widget = GradientCheckPanel(doc_ctl[0])
    qtbot.addWidget(widget)
    widget.resize(450, 300)
    widget.show()
    return widget


def set_model(document: FitDocument, degree: int, kind: str, theta=None, loss: Loss = Loss()) -> None:
    """Degree, basis, loss and knobs at once (theta: by default somewhere unremarkable)."""
    basis = Basis.for_data(kind, document.dataset.x)
    document.apply(replace(document.state, degree=degree, basis=basis, loss=loss, theta=np.zeros(degree + 1)), "model")
    if theta is None:
        # Half-way to the optimum, plus a nudge to every knob that moves the curve by ~0.3 at most.
        reach = np.abs(document.problem.design_matrix).max(axis=0)
        theta = 0.5 * document.exact.coefficients + 0.3 * (-1.0) ** np.arange(degree + 1) / reach
    document.apply(replace(document.state, theta=np.asarray(theta, dtype=np.float64)), "knobs")


def table_column(panel: GradientCheckPanel, column: int) -> list[str]:
    table = panel.table
    return [table.item(row, column).text() for row in range(table.rowCount())]


@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_relative_errors_below_tolerance_for_every_degree(panel, doc_ctl, qtbot, kind):
    document, _ = doc_ctl
    for degree in range(9):
        set_model(document, degree, kind)
        with qtbot.waitSignal(panel.checked, timeout=5000) as blocker:
            qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
        result = blocker.args[0]
        assert result is panel.result and not panel.is_stale
        assert panel.table.rowCount() == degree + 1 == len(result.names)
        assert table_column(panel, 0) == [f"k{i}" for i in range(degree + 1)]
        assert not np.any(result.rounding_limited)  # every knob really checked
        assert np.all(result.relative < TOLERANCE), (kind, degree, result.relative)
        assert result.passed and result.checked_all
        assert "✓ below 1e-06" in panel.summary.text()
        assert all(text.endswith("✓") for text in table_column(panel, 3))


@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_gradients_match_the_closed_form(panel, doc_ctl, kind):
    document, _ = doc_ctl
    set_model(document, 5, kind)
    result = panel.check()
    # MSE: ∂L/∂k = (2/N)·Xᵀ(Xk − y), with X built here from the basis functions themselves.
    x, y = document.dataset.x, document.dataset.y
    t = x if kind == "monomial" else (x - 10.0) / 10.0
    if kind in ("legendre", "orthonormal"):
        X = np.column_stack([np.polynomial.legendre.Legendre.basis(i)(t) for i in range(6)])
    else:
        X = np.column_stack([t**i for i in range(6)])
    if kind == "orthonormal":  # Q of the Legendre design (R with a positive diagonal), Σφ_j²/N = 1
        q, r = np.linalg.qr(X)
        X = q * np.sign(np.diag(r)) * np.sqrt(x.size)
    theta = document.theta
    expected = 2.0 / x.size * X.T @ (X @ theta - y)
    scale = np.abs(expected).max()
    assert np.abs(result.backprop - expected).max() <= 1e-9 * scale
    assert np.abs(result.numeric - expected).max() <= 1e-6 * scale
    # The table shows what was computed, to ten digits.
    assert table_column(panel, 1) == [number_text.gradient(v, digits=10) for v in result.backprop]
    assert table_column(panel, 2) == [number_text.gradient(v, digits=10) for v in result.numeric]
    assert np.array_equal(result.backprop, document.evaluation()[1])


@pytest.mark.parametrize("loss", [Loss("sse"), Loss("huber", 2.0), Loss("mae"), Loss("mse", l2=0.05)])
def test_other_losses(panel, doc_ctl, loss):
    document, _ = doc_ctl
    for kind in BASIS_KINDS:
        set_model(document, 4, kind, loss=loss)
        assert panel.check().passed, (loss, kind)


@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_at_the_optimum_nothing_is_flagged_wrong(panel, doc_ctl, kind):
    document, _ = doc_ctl
    for degree in (3, 6, 8):
        set_model(document, degree, kind, theta=np.zeros(degree + 1))
        set_model(document, degree, kind, theta=document.exact.coefficients)
        result = panel.check()
        # The gradient is ~0: central differences cannot check it to six digits, and must not cry wolf.
        assert result.passed, (kind, degree, result.relative, result.rounding_limited)
        assert "✗" not in "".join(table_column(panel, 3))


def test_a_wrong_gradient_is_caught(doc_ctl):
    document, _ = doc_ctl
    set_model(document, 4, "scaled")

    class SlightlyWrong(FitProblem):
        def value_and_grad(self, theta):
            value, grad = super().value_and_grad(theta)
            grad = grad.copy()
            grad[2] *= 1 + 1e-4
            return value, grad

    s = document.state
    wrong = SlightlyWrong(s.dataset.x, s.dataset.y, document.problem.model, s.loss)
    result = check_knobs(wrong, document.theta)
    assert not result.passed
    assert result.relative[2] == pytest.approx(1e-4, rel=0.01)
    assert np.all(np.delete(result.relative, 2) < TOLERANCE)


def test_results_go_stale_when_knobs_or_model_change(panel, doc_ctl):
    document, controller = doc_ctl
    set_model(document, 3, "legendre")
    panel.check()
    controller.set_run_settings(lr=0.01)  # not the loss's business
    assert not panel.is_stale
    controller.set_knob(1, document.theta[1] + 0.5)
    assert panel.is_stale
    assert panel.summary.text().startswith("Out of date")
    assert panel.table.item(0, 1).foreground().color() == STALE
    panel.check()
    assert not panel.is_stale and not panel.summary.text().startswith("Out of date")
    controller.set_degree(4)
    assert panel.is_stale
    panel.check()
    controller.set_basis("scaled")
    assert panel.is_stale
    panel.check()
    controller.add_point(3.0, 4.0)
    assert panel.is_stale


def test_no_data_disables_the_button(qtbot):
    document = FitDocument(Dataset(np.empty(0), np.empty(0)))
    widget = GradientCheckPanel(document)
    qtbot.addWidget(widget)
    assert not widget.button.isEnabled()
    assert widget.check() is None


def test_neural_net_checks_a_spread_subset():
    x = np.linspace(0.0, 20.0, 300)
    model = MLPModel((16, 16), Basis.for_data("scaled", x))
    problem = FitProblem(x, np.sin(x / 2), model)
    theta = model.initial_params(1)
    result = check_knobs(problem, theta)
    assert result.indices.size == MAX_CHECKED < problem.n_params and not result.checked_all
    assert result.indices[0] == 0 and result.indices[-1] == problem.n_params - 1
    assert result.names[0] == "W1[0,0]" and result.names[-1] == "b_out"
    groups = {name.split("[")[0] for name in result.names}
    assert groups == set(model.parameter_names)  # every layer represented
    assert result.passed, result.relative
    assert len(knob_names(problem)) == problem.n_params
    assert list(checked_indices(5)) == [0, 1, 2, 3, 4]

"""The computational graph view: its knob gradients are the engine's, and its walk visits every node once."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt

from workbench.fitting import number_text
from workbench.fitting.basis import Basis
from workbench.fitting.data import Dataset
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel
from workbench.fitting.problem import FitProblem
from workbench.qt.app_state.document import FitDocument
from workbench.qt.views.graph_view import GraphView

X = np.linspace(0.0, 3.0, 17)
Y = np.sin(X) + 0.1 * np.cos(7 * X)


@pytest.fixture
def make_view(qtbot):
    """``make_view(document=None, provider=None)``: a shown 700×300 GraphView on a FitDocument."""

    def factory(document: FitDocument | None = None, provider=None) -> GraphView:
        document = document or FitDocument(Dataset(X, Y, "wavy"))
        view = GraphView(document, problem_provider=provider)
        qtbot.addWidget(view)
        view.resize(700, 300)
        view.show()
        qtbot.waitExposed(view)
        return view

    return factory


def set_model(
    document: FitDocument, degree: int, basis: str = "monomial", loss: Loss | None = None, seed: int = 0
) -> np.ndarray:
    """Change degree/basis/loss the way the controller does, then turn the knobs to random values."""
    state = document.state
    document.apply(
        dataclasses.replace(
            state,
            degree=degree,
            basis=Basis.for_data(basis, state.dataset.x),
            loss=loss or state.loss,
            theta=np.zeros(degree + 1),
        ),
        "model",
    )
    theta = np.random.default_rng(seed).normal(0.0, 0.5, degree + 1)
    document.apply(dataclasses.replace(document.state, theta=theta), "t")
    return theta


def assert_same_gradient(shown: np.ndarray, engine: np.ndarray) -> None:
    assert shown.shape == engine.shape
    np.testing.assert_allclose(shown, engine, rtol=1e-9, atol=1e-12 * max(1.0, float(np.max(np.abs(engine)))))


@pytest.mark.parametrize("basis", ["monomial", "scaled", "legendre"])
def test_batch_knob_gradients_equal_the_knob_panel_gradients_for_degree_0_to_8(make_view, basis):
    view = make_view()
    document = view.document
    for degree in range(9):
        set_model(document, degree, basis, seed=degree)
        assert view.objectName() == "graphView"
        assert view.point() is None
        assert_same_gradient(view.knob_gradients(), document.evaluation()[1])
        knobs = [p for p in view.loss_graph().params]
        assert [view.node_text(k)[0] for k in knobs] == [f"k{i}" for i in range(degree + 1)]


@pytest.mark.parametrize("loss", [Loss("sse"), Loss("mae"), Loss(l2=0.05)], ids=["sse", "mae", "l2"])
def test_batch_gradients_for_other_losses(make_view, loss):
    view = make_view()
    set_model(view.document, 4, "scaled", loss)
    assert_same_gradient(view.knob_gradients(), view.document.evaluation()[1])


def test_single_point_gradients_are_that_points_loss_gradient(make_view, qtbot):
    view = make_view()
    document = view.document
    theta = set_model(document, 5, seed=7)
    combo = view.findChild(type(view.point_box), "graphPointCombo")
    assert combo is view.point_box and combo.text() == "whole batch"
    for index in (0, 6, 16):
        view.set_point(index)
        assert view.point() == index and combo.value() == index + 1  # numbered from 1, as the table
        assert combo.text() == f"point {index + 1}"
        single = FitProblem(X[index : index + 1], Y[index : index + 1], document.problem.model, document.state.loss)
        assert_same_gradient(view.knob_gradients(), single.value_and_grad(theta)[1])
        assert "[" not in "".join(view.node_text(n)[1] for n in view.loss_graph().graph.nodes)  # plain numbers
    combo.setValue(4)  # the spin box picks a point too: point 4 is the fourth
    assert view.point() == 3
    view.set_point(None)
    assert view.point() is None and combo.text() == "whole batch"
    assert_same_gradient(view.knob_gradients(), document.evaluation()[1])


def test_redraws_after_the_knobs_move_and_stops_walking(make_view, qtbot):
    view = make_view()
    document = view.document
    set_model(document, 3)
    view.step_forward()
    assert view.walk_position()[0] == "forward"
    with qtbot.waitSignal(view.redrawn, timeout=2000):
        document.apply(dataclasses.replace(document.state, theta=np.array([0.3, -0.2, 0.1, 0.05])), "t")
    assert view.walk_position() == ("idle", 0, 0)
    assert_same_gradient(view.knob_gradients(), document.evaluation()[1])


def click(qtbot, view: GraphView, name: str) -> None:
    button = view.findChild(type(view.forward_button), name)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def walk_forward_then_backward(qtbot, view: GraphView):
    """Click Forward through a whole pass, then Backward through a whole pass; returns both event lists."""
    nodes = view.loss_graph().graph.nodes
    forward = []
    for step in range(len(nodes)):
        click(qtbot, view, "graphForwardButton")
        event = view.current_event()
        forward.append(event)
        assert view.walk_position() == ("forward", step + 1, len(nodes))
        assert view.highlighted() == (event.node, None)
        assert view.rule_label.text().startswith(event.rule)
    backward = []
    while True:
        click(qtbot, view, "graphBackwardButton")
        event = view.current_event()
        backward.append(event)
        phase, position, total = view.walk_position()
        assert phase == "backward" and position == len(backward) <= total
        current, receiver = view.highlighted()
        if event.kind == "zero":
            assert current is None and receiver is None
        else:
            assert current is event.node
            assert receiver is (event.parent if event.kind == "accumulate" else None)
        if position == total:
            break
    return forward, backward


def test_forward_then_backward_clicks_walk_every_node_once_in_order(make_view, qtbot):
    view = make_view()
    document = view.document
    theta = set_model(document, 3, seed=2)
    view.set_point(5)
    graph = view.loss_graph().graph
    rules_at = {}

    forward, backward = walk_forward_then_backward(qtbot, view)
    assert [e.node for e in forward] == graph.nodes
    assert backward[0].kind == "zero"
    assert [e.node for e in backward if e.kind == "visit"] == list(reversed(graph.nodes))
    for event in backward:
        if event.kind == "visit":
            rules_at.setdefault(event.node.op, event.rule)
    assert "copies" in rules_at["add"]
    assert "other input" in rules_at["mul"]
    assert "n·x^(n−1)" in rules_at["pow"]

    single = FitProblem(X[5:6], Y[5:6], document.problem.model, document.state.loss)
    assert_same_gradient(view.knob_gradients(), single.value_and_grad(theta)[1])
    assert "backward pass done" in view.rule_label.text()


def test_rule_label_and_boxes_say_what_each_step_does(make_view, qtbot):
    view = make_view()
    set_model(view.document, 2, seed=4)
    view.set_point(2)
    lg = view.loss_graph()
    k0 = lg.params[0]
    click(qtbot, view, "graphForwardButton")
    assert view.node_text(lg.output)[1] == "= ?"  # not computed yet in this pass
    click(qtbot, view, "graphBackwardButton")  # finishes the forward pass, then zeroes
    assert view.current_event().kind == "zero"
    assert "zero every gradient" in view.rule_label.text()
    assert all(view.node_text(p)[2] == "∂ 0  zeroed" for p in lg.params)
    click(qtbot, view, "graphBackwardButton")
    assert view.current_event().kind == "seed" and view.node_text(lg.output)[2] == "∂ +1"  # signed, as every gradient
    seen = {}
    while view.walk_position()[1] < view.walk_position()[2]:
        click(qtbot, view, "graphBackwardButton")
        event = view.current_event()
        key = (event.kind, event.node.op)
        seen.setdefault(key, view.rule_label.text())
    assert "copies the gradient" in seen[("visit", "add")]
    assert "other input" in seen[("visit", "mul")]
    assert "n·x^(n−1)" in seen[("visit", "pow")]
    assert "/ N" in seen[("visit", "mean")]
    assert "accumulate into" in seen[("accumulate", "mul")]
    assert view.node_text(k0)[2] == f"∂ {number_text.gradient(float(k0.grad))}"  # as the knob panel writes it
    click(qtbot, view, "graphResetButton")
    assert view.walk_position() == ("idle", 0, 0) and view.current_event() is None


def test_accumulation_is_flagged_at_knobs_with_an_l2_penalty(make_view, qtbot):
    view = make_view()
    set_model(view.document, 3, loss=Loss(l2=0.1))
    view.set_point(1)
    _, backward = walk_forward_then_backward(qtbot, view)
    repeated = [e for e in backward if e.accumulated]
    assert {e.parent.label for e in repeated} == {"k1", "k2", "k3"}
    assert all("earlier contribution" in e.rule for e in repeated)


def test_run_pass_from_any_point_of_the_walk(make_view, qtbot):
    view = make_view()
    set_model(view.document, 6)
    for _ in range(5):
        click(qtbot, view, "graphForwardButton")
    click(qtbot, view, "graphRunButton")
    phase, position, total = view.walk_position()
    assert phase == "backward" and position == total
    assert_same_gradient(view.knob_gradients(), view.document.evaluation()[1])


@pytest.mark.parametrize("hidden", [(6,), (4, 3)])
def test_neural_net_graph_through_a_problem_provider(make_view, qtbot, hidden):
    """The document builds polynomials only for now; a provider hands the view an MLP problem instead."""
    model = MLPModel(hidden)
    problem = FitProblem(X, Y, model, Loss())
    theta = model.initial_params(5)
    view = make_view(provider=lambda document: (problem, theta))
    assert_same_gradient(view.knob_gradients(), problem.value_and_grad(theta)[1])
    names = {view.node_text(p)[0] for p in view.loss_graph().params}
    assert names == set(model.parameter_names)
    forward, backward = walk_forward_then_backward(qtbot, view)
    graph = view.loss_graph().graph
    assert [e.node for e in forward] == graph.nodes
    assert [e.node for e in backward if e.kind == "visit"] == list(reversed(graph.nodes))
    assert_same_gradient(view.knob_gradients(), problem.value_and_grad(theta)[1])
    view.set_point(4)
    single = FitProblem(X[4:5], Y[4:5], model, Loss())
    assert_same_gradient(view.knob_gradients(), single.value_and_grad(theta)[1])


def test_without_data_the_view_says_so(make_view):
    view = make_view(FitDocument(Dataset([], [])))
    assert view.loss_graph() is None
    assert "No data" in view.rule_label.text()
    assert not view.forward_button.isEnabled()
    np.testing.assert_array_equal(view.knob_gradients(), np.zeros(6))


def test_redraws_are_coalesced_and_a_hidden_view_waits_until_shown(make_view, qtbot):
    view = make_view()
    document = view.document
    set_model(document, 2)
    view.knob_gradients()  # settle
    emitted = []
    view.redrawn.connect(lambda: emitted.append(1))
    with qtbot.waitSignal(view.redrawn, timeout=2000):
        for i in range(5):  # a run moving the knobs many times between two redraws
            document.set_theta_live(np.array([0.1, 0.2, 0.3]) * (i + 1))
    assert len(emitted) == 1
    assert_same_gradient(view.knob_gradients(), document.evaluation()[1])

    view.hide()
    with qtbot.assertNotEmitted(view.redrawn, wait=150):
        document.set_theta_live(np.array([-0.4, 0.1, 0.2]))
    with qtbot.waitSignal(view.redrawn, timeout=2000):
        view.show()
    assert_same_gradient(view.knob_gradients(), document.evaluation()[1])

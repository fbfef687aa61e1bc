"""The step-by-step walk drives the real engine: every node once, in order, ending where Graph's passes end."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from workbench.engine import Graph, constant, ops, parameter
from workbench.engine.explain import describe, node_names, pretty
from workbench.engine.walk import BACKWARD, FORWARD, IDLE, Walker, backward_events, forward_events, receivers
from workbench.fitting.basis import Basis
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel, PolynomialModel

X = np.linspace(-1.5, 2.5, 23)
Y = np.sin(2 * X) + 0.3 * X
BASES = ("monomial", "scaled", "legendre")
LOSSES = (Loss(), Loss("sse"), Loss("mae"), Loss("huber", 0.5), Loss(l2=0.01))


def polynomial_graph(degree: int, basis: str = "monomial", loss: Loss = Loss(), x=X, y=Y, seed: int = 0):
    model = PolynomialModel(degree, Basis.for_data(basis, X))
    lg = model.loss_graph(x, y, loss, "expanded")
    theta = np.random.default_rng(seed).normal(0.0, 0.7, model.n_params)
    lg.set_params(theta)
    return lg, theta


def mlp_graph(hidden, loss: Loss = Loss(), seed: int = 3):
    model = MLPModel(hidden)
    lg = model.loss_graph(X, Y, loss, "expanded")
    theta = model.initial_params(seed) + np.random.default_rng(seed).normal(0.0, 0.1, model.n_params)
    lg.set_params(theta)
    return lg, theta


def reference(lg, theta):
    """Loss and gradient of the same theta from a fresh graph run by Graph.forward/backward."""
    return lg.value_and_grad(theta)


def walk_everything(lg):
    names = node_names(lg.graph)
    forward = list(forward_events(lg.graph, names))
    backward = list(backward_events(lg.graph, names))
    return forward, backward


def graphs():
    cases = []
    for degree in range(9):
        for basis in BASES:
            cases.append(pytest.param(("poly", degree, basis, Loss()), id=f"deg{degree}-{basis}"))
    for loss in LOSSES[1:]:
        cases.append(pytest.param(("poly", 5, "scaled", loss), id=f"deg5-{loss.kind}-l2{loss.l2:g}"))
    for hidden in ((6,), (4, 3)):
        for loss in (Loss(), Loss(l2=0.01)):
            cases.append(pytest.param(("mlp", hidden, None, loss), id=f"mlp{hidden}-l2{loss.l2:g}"))
    return cases


def build(case):
    kind, arg, basis, loss = case
    return polynomial_graph(arg, basis, loss) if kind == "poly" else mlp_graph(arg, loss)


@pytest.mark.parametrize("case", graphs())
def test_walk_visits_every_node_once_in_order_and_ends_like_graph_passes(case):
    lg, theta = build(case)
    # Scramble what the engine holds, so the walk must recompute every value and gradient itself.
    lg.graph.backward()
    for node in lg.graph.backward_nodes:
        node.grad += 123.0
    forward, backward = walk_everything(lg)

    assert [e.node for e in forward] == lg.graph.nodes
    assert all(e.phase == FORWARD and e.kind == "visit" and e.rule for e in forward)
    assert backward[0].kind == "zero" and backward[1].kind == "seed" and backward[1].node is lg.graph.output
    assert set(map(id, backward[0].zeroed)) == set(map(id, lg.graph.backward_nodes))
    visits = [e.node for e in backward if e.kind == "visit"]
    assert visits == list(reversed(lg.graph.nodes))
    assert all(e.phase == BACKWARD and e.rule for e in backward)

    walked_loss, walked_grad = float(lg.output.value), lg.gradient()
    walked_grads = {id(n): n.grad.copy() for n in lg.graph.backward_nodes}
    loss, grad = reference(lg, theta)
    assert walked_loss == loss
    np.testing.assert_array_equal(walked_grad, grad)
    for node in lg.graph.backward_nodes:  # every intermediate gradient too, not just the knobs'
        np.testing.assert_array_equal(walked_grads[id(node)], node.grad)


@pytest.mark.parametrize("case", graphs())
def test_every_contribution_is_an_accumulate_event_flagged_when_the_node_has_several_consumers(case):
    lg, _ = build(case)
    consumers = Counter(id(p) for n in lg.graph.nodes for p in receivers(n))
    _, backward = walk_everything(lg)
    events = [e for e in backward if e.kind == "accumulate"]
    assert Counter(id(e.parent) for e in events) == consumers
    seen: Counter = Counter()
    for event in events:
        assert event.earlier_contributions == seen[id(event.parent)]
        assert event.accumulated == (seen[id(event.parent)] > 0)
        seen[id(event.parent)] += 1
        np.testing.assert_allclose(event.after, event.before + event.contribution)
        assert ("earlier contribution" in event.rule) == event.accumulated
    # Each accumulate event follows the visit of the node that sends it.
    sender = None
    for event in backward:
        if event.kind == "visit":
            sender = event.node
        elif event.kind == "accumulate":
            assert event.node is sender and any(event.parent is p for p in sender.parents)
    kind, _, _, loss = case
    shared = [p for p in lg.params if consumers[id(p)] > 1]
    if loss.l2:  # the penalised knobs feed both the curve and the penalty: their gradients accumulate
        assert shared and any(e.accumulated and e.parent is p for e in events for p in shared)
    else:
        assert not shared and not any(e.accumulated for e in events)


def test_accumulation_at_x_feeding_every_power_node():
    """When x itself is a knob, every power node sends it a share: the articles' picture of accumulation."""
    x = parameter(1.5, label="x")
    terms = [ops.mul(parameter(float(i + 1), label=f"k{i}"), ops.pow(x, i)) for i in range(4)]
    loss = ops.square(ops.sub(ops.sum_all(terms), constant(2.0, label="y")))
    graph = Graph(loss)
    names = node_names(graph)
    list(forward_events(graph, names))
    events = [e for e in backward_events(graph, names) if e.kind == "accumulate" and e.parent is x]
    assert len(events) == 3  # x^0 = 1 sends nothing: it does not depend on x
    assert [e.earlier_contributions for e in events] == [0, 1, 2]
    walked = float(x.grad)
    graph.backward()
    assert walked == float(x.grad) == pytest.approx(sum(float(e.contribution) for e in events))
    power_rules = [e.rule for e in backward_events(graph, names) if e.kind == "visit" and e.node.op == "pow"]
    assert all("n·x^(n−1)" in rule for rule in power_rules)


def test_rules_name_the_articles_rules_for_a_single_point():
    lg, _ = polynomial_graph(3, x=X[4:5], y=Y[4:5])
    forward, backward = walk_everything(lg)
    rules = {e.node.op: e.rule for e in backward if e.kind == "visit" and e.node is not None}
    assert "copies" in rules["add"]
    assert "other input" in rules["mul"]
    assert "n·x^(n−1)" in rules["pow"]
    assert "2·r" in rules["square"]
    assert "/ N" in rules["mean"]
    assert "zero" in backward[0].rule and "k0" in backward[0].rule
    product = next(e for e in forward if e.node.label == "k2·x^2")
    assert product.rule.startswith("product: k2·x² = ") and product.rule.count(" · ") == 1
    assert not any("[" in e.rule for e in forward)  # one point: every number is printed, no summaries


def test_mlp_rules_name_matmul_and_tanh():
    lg, _ = mlp_graph((4,))
    _, backward = walk_everything(lg)
    rules = {e.node.op: e.rule for e in backward if e.kind == "visit" and e.node is not None}
    assert "transposed" in rules["matmul"]
    assert "1 − tanh²" in rules["tanh"]
    knob_events = [e for e in backward if e.kind == "accumulate" and e.parent.label == "W1"]
    assert knob_events and knob_events[0].summed_elements == X.size


def test_walker_steps_show_values_and_gradients_as_they_are_computed():
    lg, theta = polynomial_graph(2)
    walker = Walker(lg.graph)
    walker.reset()
    assert walker.phase == IDLE and walker.current is None
    k1 = lg.params[1]
    assert walker.shown_grad(k1) is k1.grad

    first = walker.step_forward()
    assert walker.phase == FORWARD and first.node is lg.graph.nodes[0] and walker.position == 1
    assert walker.shown_value(lg.graph.output) is None and walker.shown_grad(k1) is None
    while not walker.finished:
        walker.step_forward()
    assert walker.position == len(lg.graph.nodes) and walker.current.node is lg.graph.output

    zero = walker.step_backward()
    assert zero.kind == "zero" and float(walker.shown_grad(k1)) == 0.0
    data = next(n for n in lg.graph.nodes if n.op == "leaf" and not n.requires_grad)
    assert walker.shown_grad(data) is None  # x or y: data, no gradient
    seed = walker.step_backward()
    assert seed.kind == "seed" and float(walker.shown_grad(lg.graph.output)) == 1.0
    while not walker.finished:
        walker.step_backward()
    _, grad = reference(lg, theta)
    np.testing.assert_array_equal([float(walker.shown_grad(p)) for p in lg.params], grad)

    walker.step_forward()  # a new forward pass after a finished backward one
    assert walker.position == 1 and walker.phase == FORWARD
    walker.step_backward()  # finishes the forward pass silently, then zeroes
    assert walker.current.kind == "zero" and walker.position == 1
    walker.finish()
    assert walker.phase == BACKWARD and walker.finished
    np.testing.assert_array_equal([float(walker.shown_grad(p)) for p in lg.params], grad)


def test_walker_finish_from_idle_walks_both_passes():
    lg, theta = mlp_graph((3,))
    walker = Walker(lg.graph)
    walker.finish()
    assert walker.phase == BACKWARD and walker.finished
    shown = np.concatenate([walker.shown_grad(p).reshape(-1) for p in lg.params])
    _, grad = reference(lg, theta)
    np.testing.assert_array_equal(shown, grad)


def test_names_and_summaries():
    assert pretty("x^12") == "x¹²" and pretty("k3·x^3") == "k3·x³"
    assert describe(0.125) == "0.125" and describe(np.array([1.0, 2.0, 3.0])) == "[3 values] mean 2"
    assert describe(np.zeros((4, 2))) == "[4×2] mean 0"
    lg, _ = polynomial_graph(3)
    names = node_names(lg.graph)
    assert sorted(names[id(n)] for n in lg.graph.nodes if n.op == "add") == ["s1", "s2", "ŷ"]
    assert len(set(names.values())) == len(names)

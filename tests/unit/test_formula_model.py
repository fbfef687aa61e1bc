"""A formula as a model: its loss graph and Jacobian against central differences, its place in a
FitProblem (predict, surfaces, every optimiser), the walk over its own nodes, and its messages."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

from workbench.engine import check_gradient, numerical_gradient, relative_error
from workbench.engine.explain import node_names
from workbench.engine.walk import backward_events, forward_events
from workbench.fitting.formula import FormulaError
from workbench.fitting.formula_model import FormulaJacobian, FormulaModel, nonfinite_reason
from workbench.fitting.losses import Loss
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import StopRules

X = np.linspace(0.2, 4.0, 25)
SHAPES = {
    "a*exp(-b*x) + c": np.array([2.0, 0.8, 0.5]),
    "A*sin(w*x + phi)": np.array([1.5, 1.3, 0.4]),
    "b1/(1 + exp(b2 - b3*x))": np.array([3.0, 2.0, 1.2]),
    "b1*(b2 + x)^(-1/b3)": np.array([2.0, 1.5, 0.9]),
    "(b1 + b2*x) / (1 + b3*x^2) + sqrt(b4*x) - abs(b5 - x) + log(x + b6)": np.linspace(0.5, 1.5, 6),
    "a*arctan(b*x) + tanh(c*x)*tan(x/5)": np.array([1.2, 0.7, 0.4]),
}
LOSSES = (Loss(), Loss("sse"), Loss("mae"), Loss("huber", 0.3), Loss(l2=0.05))


def noisy_data(text: str, theta, seed: int = 0):
    model = FormulaModel(text)
    rng = np.random.default_rng(seed)
    return model, model.predict(theta, X) + rng.normal(0, 0.05, X.size)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: f"{loss.kind}-l2{loss.l2:g}")
@pytest.mark.parametrize("text", sorted(SHAPES))
def test_loss_gradient_matches_central_differences(text, loss):
    theta = SHAPES[text]
    model, y = noisy_data(text, theta)
    sigma = np.linspace(0.5, 1.5, X.size)
    for s in (None, sigma):
        graph = model.loss_graph(X, y, loss, sigma=s)
        start = theta * 1.07 + 0.03  # away from the optimum (and from Huber's and |·|'s kinks)
        assert check_gradient(graph.value_and_grad, start) < 1e-6


@pytest.mark.parametrize("text", sorted(SHAPES))
def test_jacobian_rows_are_each_points_gradient(text):
    """J from one reverse pass over per-point knob copies equals ∂ŷ_i/∂θ by central differences."""
    theta = SHAPES[text] * 1.05
    model = FormulaModel(text)
    prediction, jacobian = model.jacobian(theta, X)
    np.testing.assert_allclose(prediction, model.predict(theta, X), rtol=1e-15)
    for i in (0, 7, X.size - 1):
        numeric = numerical_gradient(lambda t, i=i: float(model.predict(t, X[i : i + 1])[0]), theta)
        assert np.max(relative_error(jacobian[i], numeric, 1e-7)) < 1e-6


def test_jacobian_agrees_with_the_loss_gradient():
    theta = SHAPES["a*exp(-b*x) + c"]
    model, y = noisy_data("a*exp(-b*x) + c", theta)
    start = theta + 0.2
    prediction, jacobian = FormulaJacobian(model, X).evaluate(start)
    _, grad = model.loss_graph(X, y, Loss()).value_and_grad(start)
    np.testing.assert_allclose(grad, 2.0 / X.size * jacobian.T @ (prediction - y), rtol=1e-12)


def test_model_protocol_and_pickling():
    model = FormulaModel("amp*exp(-((x - mu)/sd)^2/2) + base")
    assert model.parameter_names == ("amp", "mu", "sd", "base") == tuple(model.parameter_labels())
    assert model.n_params == 4 and np.all(model.initial_params() == 1.0) and np.all(model.penalty_mask() == 1.0)
    again = pickle.loads(pickle.dumps(model))
    assert again == model and again.parameter_names == model.parameter_names
    theta = np.array([2.0, 1.0, 0.5, 0.1])
    np.testing.assert_array_equal(again.predict(theta, X), model.predict(theta, X))
    problem = FitProblem(X, model.predict(theta, X), model)
    assert pickle.loads(pickle.dumps(problem)).model == model


def test_problem_with_a_formula_predicts_maps_and_reports_nothing_polynomial():
    theta = SHAPES["a*exp(-b*x) + c"]
    model, y = noisy_data("a*exp(-b*x) + c", theta)
    problem = FitProblem(X, y, model)
    assert not problem.is_polynomial and problem.exact is None and problem.report is None
    np.testing.assert_array_equal(problem.predict(theta), model.predict(theta, X))
    a, b = np.linspace(1, 3, 5), np.linspace(0.2, 1.4, 4)
    grid = problem.surface(theta, 0, 1, a, b)
    assert grid.shape == (4, 5)
    assert grid[1, 2] == pytest.approx(problem.loss_at(np.array([a[2], b[1], theta[2]])), rel=1e-12)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov", "adam", "lm"])
def test_every_optimiser_steps_a_formula_through_the_trainer(optimizer):
    truth = SHAPES["a*exp(-b*x) + c"]
    model, y = noisy_data("a*exp(-b*x) + c", truth)
    problem = FitProblem(X, y, model)
    start = np.array([1.0, 0.5, 0.0])
    trainer = problem.trainer(optimizer, 0.02, start, StopRules(max_steps=300))
    first = trainer.step()
    assert first.step == 1 and first.loss == pytest.approx(problem.loss_at(start))
    np.testing.assert_allclose(first.grad, problem.value_and_grad(start)[1], rtol=1e-9, atol=1e-12)
    result = trainer.run_to_end()
    assert result.loss < 0.5 * problem.loss_at(start)
    if optimizer == "lm":
        assert result.stop_reason == "converged" and result.steps < 50
        np.testing.assert_allclose(result.params, truth, rtol=0.1)


def test_the_walk_narrates_a_formulas_own_nodes():
    model, y = noisy_data("a*exp(-b*x) + c", SHAPES["a*exp(-b*x) + c"])
    graph = model.loss_graph(X[:1], y[:1], Loss())  # one point: every number printed
    graph.set_params(np.array([2.0, 0.8, 0.5]))
    names = node_names(graph.graph)
    forward = {e.node.op: e.rule for e in forward_events(graph.graph, names)}
    backward = {e.node.op: e.rule for e in backward_events(graph.graph, names) if e.kind == "visit"}
    assert forward["exp"].startswith("exponential: exp(")
    assert "e^a × the gradient" in backward["exp"] and "gets" in backward["exp"]
    assert "other input" in backward["mul"] and "−g" in backward["neg"]
    assert {"a", "b", "c", "x"} <= set(names.values())


@pytest.mark.parametrize(
    ("text", "theta", "x", "words"),
    [
        ("a*log(x - b)", [1.0, 2.0], [3.0, 1.0, 5.0], ["log of -1", "point 2 (x = 1)", "needs positive input"]),
        ("a*exp(b*x)", [1.0, 2.0], [3.0, 1000.0], ["exp of 2000", "point 2", "above about 709"]),
        ("a/(x - b)", [1.0, 1.0], [3.0, 1.0], ["quotient of 1 and 0", "cannot divide by zero"]),
        ("a*x^b", [1.0, 0.5], [3.0, -1.0], ["power of -1", "whole number"]),
        ("a*sqrt(x)", [1.0], [4.0, -4.0], ["sqrt of -4", "needs input ≥ 0"]),
    ],
)
def test_non_finite_values_are_explained_in_one_sentence(text, theta, x, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reason = nonfinite_reason(FormulaModel(text), theta, np.array(x))
    assert reason.startswith("At ") and all(w in reason for w in words), reason
    assert nonfinite_reason(FormulaModel(text), theta, np.array(x[:1])) is None


def test_lm_refuses_a_start_where_the_formula_is_not_finite_and_says_why():
    model = FormulaModel("a*log(x - b)")
    problem = FitProblem(X, np.log(X + 1.0), model)
    with pytest.raises(ValueError, match="log of"):
        problem.trainer("lm", 0.1, np.array([1.0, 3.0]))


def test_formula_errors_are_value_errors():
    assert issubclass(FormulaError, ValueError)
    with pytest.raises(ValueError):
        FormulaModel("a*exp(-b*x")


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: f"{loss.kind}-l2{loss.l2:g}")
def test_fused_and_expanded_graphs_give_the_same_loss_and_gradient(loss):
    model, y = noisy_data("a*exp(-b*x) + c", SHAPES["a*exp(-b*x) + c"])
    theta = np.array([1.7, 0.6, 0.2])
    fused = model.loss_graph(X, y, loss, "fused").value_and_grad(theta)
    expanded_graph = model.loss_graph(X, y, loss, "expanded")
    expanded = expanded_graph.value_and_grad(theta)
    assert expanded[0] == pytest.approx(fused[0], rel=1e-14)
    np.testing.assert_allclose(expanded[1], fused[1], rtol=1e-12)
    if loss.kind == "mse" and not loss.l2:
        assert {"square", "mean"} <= {n.op for n in expanded_graph.graph.nodes}  # as the articles draw it


def test_copy_formula_with_values_and_start_values_from_text():
    model = FormulaModel("a*exp(-b*x) + 2*pi*c")
    assert model.with_values([2.0, 0.5, -1.0], digits=6) == "2*exp(-0.5*x) + 2*pi*(-1)"
    np.testing.assert_array_equal(model.start_values("a=3, c = -0.5"), [3.0, 1.0, -0.5])
    np.testing.assert_array_equal(model.start_values("b=2", default=[0.0, 0.0, 0.0]), [0.0, 2.0, 0.0])
    for text, message in [
        ("d=1", "unknown parameter 'd': the formula's parameters are a, b, c"),
        ("a", "write start values as name=value"),
        ("a=x", "must be a number"),
        ("a=inf", "must be a finite number"),
    ]:
        with pytest.raises(ValueError, match=message):
            model.start_values(text)

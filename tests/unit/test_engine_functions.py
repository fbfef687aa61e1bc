"""The formula ops (exp log sqrt sin cos tan arctan abs div, pow with a knob exponent) against central
differences, including at the awkward points where a careless rule breaks, and each op's words.

Awkward points are checked with steps relative to the input (``floor=0``), so the difference stays in
the function's domain: log and √ near 0, a quotient near a zero denominator, tan near its pole.  Where a
derivative does not exist (|a| at 0, √ at 0) the test says what the engine sends instead and why.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_engine_ops import HYPOTHESIS, TOLERANCE, away_from_zero, make_objective, positive

from workbench.engine import Graph, check_gradient, constant, op_info, ops, parameter, registered_ops
from workbench.engine.explain import node_names
from workbench.engine.walk import backward_events, forward_events


def gradient_error(build, values, floor: float = 1.0, eps: float = 1e-6) -> float:
    values = [np.asarray(v, dtype=np.float64) for v in values]
    f_and_grad = make_objective(build, [v.shape for v in values])
    theta = np.concatenate([v.reshape(-1) for v in values])
    return check_gradient(f_and_grad, theta, eps=eps, floor=floor)


def assert_ok(build, values, floor: float = 1.0, eps: float = 1e-6) -> None:
    error = gradient_error(build, values, floor, eps)
    assert error < TOLERANCE, f"max relative gradient error {error:.3g}"


def finite_range(low, high, shape=(7,)):
    return arrays(np.float64, shape, elements=st.floats(low, high))


# -- every op on ordinary inputs --------------------------------------------------------------------------
@HYPOTHESIS
@given(a=positive((7,), 0.05, 40.0))
def test_sqrt_and_log_gradients(a):
    assert_ok(ops.sqrt, [a])
    assert_ok(ops.log, [a])


@HYPOTHESIS
@given(a=finite_range(-12.0, 12.0))
def test_sin_cos_arctan_gradients(a):
    assert_ok(ops.sin, [a])
    assert_ok(ops.cos, [a])
    assert_ok(ops.arctan, [a])


@HYPOTHESIS
@given(a=finite_range(-1.3, 1.3))
def test_tan_gradient(a):
    assert_ok(ops.tan, [a])


@HYPOTHESIS
@given(a=away_from_zero((3, 4), 0.1, 5.0), b=away_from_zero((3, 4), 0.2, 5.0))
def test_div_gradient(a, b):
    assert_ok(ops.div, [a, b])


@HYPOTHESIS
@given(a=away_from_zero((4,), 0.1, 5.0), b=away_from_zero((), 0.2, 5.0))
def test_div_by_a_broadcast_scalar_sums_its_gradient(a, b):
    assert_ok(ops.div, [a, b])
    assert_ok(ops.div, [b, a])


@HYPOTHESIS
@given(a=positive((6,), 0.1, 6.0), b=finite_range(-3.0, 3.0, (6,)))
def test_power_with_a_knob_exponent(a, b):
    assert_ok(ops.power, [a, b])


def test_power_with_a_scalar_knob_exponent_over_data():
    """a^k with data a and one knob k: k's gradient is the sum of its per-point shares."""
    a = np.array([0.5, 1.0, 2.0, 3.5])
    assert_ok(lambda k: ops.power(constant(a), k), [np.array(1.7)])
    assert_ok(lambda k: ops.power(k, constant(a)), [np.array(1.3)])


# -- awkward points ---------------------------------------------------------------------------------------
def test_log_and_sqrt_near_zero():
    tiny = np.array([1e-9, 3e-7, 1e-4, 2e-2])
    assert_ok(ops.log, [tiny], floor=0.0)
    assert_ok(ops.sqrt, [tiny], floor=0.0)


def test_div_near_a_zero_denominator():
    a = np.array([1.5, -2.0, 0.7, 3.0])
    b = np.array([1e-6, -3e-5, 2e-3, -1e-8])
    assert_ok(ops.div, [a, b], floor=0.0)


def test_tan_near_its_pole():
    a = np.array([np.pi / 2 - 1e-3, -np.pi / 2 + 1e-4, np.pi / 2 - 1e-2])
    assert_ok(ops.tan, [a], floor=0.0, eps=1e-9)


def test_exp_of_large_and_very_negative_arguments():
    assert_ok(ops.exp, [np.array([-700.0, -50.0, 30.0, 700.0])], floor=0.0)


def test_abs_at_zero_sends_zero_a_subgradient():
    """|a| has no derivative at 0; every number in [−1, 1] is a subgradient and the engine sends 0."""
    a = parameter(np.array([0.0, -0.0, 2.0, -3.0]))
    ops.sum(ops.abs(a)).backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.0, 1.0, -1.0])
    h = 1e-7  # the one-sided slopes at 0 are −1 and +1: 0 lies between them
    left, right = (0.0 - abs(-h)) / h, (abs(h) - 0.0) / h
    assert left <= 0.0 <= right


def test_sqrt_and_log_at_zero_are_infinite_without_a_warning():
    a = parameter(np.array([0.0, 4.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        root = ops.sqrt(a)
        ops.sum(root).backward()
        logs = ops.log(constant(np.array([0.0, -1.0])))
    assert root.value[0] == 0.0 and np.isinf(a.grad[0]) and a.grad[1] == 0.25
    assert logs.value[0] == -np.inf and np.isnan(logs.value[1])


def test_pow_of_a_negative_base():
    base = np.array([-2.5, -0.4, -1.0, -3.0])
    for n in (2.0, 3.0, -1.0, -2.0):  # whole exponents: real, differentiable in the base
        assert_ok(lambda a, n=n: ops.pow(a, n), [base])
        assert_ok(lambda a, n=n: ops.power(a, constant(n)), [base])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isnan(ops.pow(constant(base), 0.5).value))  # no real square root: NaN, no warning


def test_power_exponent_gradient_at_a_negative_base_is_that_of_the_real_part():
    """At a whole exponent a negative base has a real power; off it the power is complex.  The exponent's
    gradient the engine sends is the derivative of Re(a^b) (a^b·ln|a|), checked here by differences."""
    a = np.array([-2.0, -0.5, -3.0])
    for b in (2.0, 3.0):
        k = parameter(b)
        ops.sum(ops.power(constant(a), k)).backward()
        h = 1e-6
        real = [np.sum(((a + 0j) ** (b + s)).real) for s in (h, -h)]
        assert float(k.grad) == pytest.approx((real[0] - real[1]) / (2 * h), rel=1e-6)


def test_power_at_a_zero_base():
    """0^b = 0 for b > 0; the exponent's share there is the limit of a^b·ln a, which is 0."""
    a = parameter(np.array([0.0, 2.0]))
    k = parameter(1.5)
    ops.sum(ops.power(a, k)).backward()
    assert float(k.grad) == pytest.approx(2.0**1.5 * np.log(2.0))
    assert a.grad[0] == 0.0  # 1.5·0^0.5


def test_node_division_operators_use_the_div_op():
    a, b = parameter(np.array([1.0, 4.0])), parameter(np.array([2.0, -8.0]))
    assert (a / b).op == "div" and (3.0 / b).op == "div"
    np.testing.assert_array_equal((3.0 / b).value, 3.0 / b.value)


# -- each op's words ---------------------------------------------------------------------------------------
FORMULA_OPS = ("exp", "log", "sqrt", "sin", "cos", "tan", "arctan", "tanh", "abs", "div", "power", "pow")


def test_every_op_says_what_it_computes_and_teaches():
    infos = registered_ops()
    for name in (*FORMULA_OPS, "add", "sub", "mul", "neg", "square", "sum", "mean", "mean_square", "matmul"):
        info = infos[name]
        assert info.title and info.word and info.rule and info.derivative, name
    assert op_info("no such op").rule  # an unknown op still gets words, never an error


@pytest.mark.parametrize("name", FORMULA_OPS)
def test_the_walk_narrates_each_op_with_its_own_rule(name):
    x = constant(np.array([0.4, 0.9, 1.3]), label="x")
    k = parameter(0.7, label="k")
    builders = {
        "div": lambda: ops.div(x, k),
        "power": lambda: ops.power(x, k),
        "pow": lambda: ops.pow(ops.mul(k, x), 3),
    }
    node = builders.get(name, lambda: getattr(ops, name)(ops.mul(k, x)))()
    loss = ops.mean(ops.square(ops.sub(node, constant(np.ones(3), label="y"))))
    graph = Graph(loss)
    names = node_names(graph)
    forward = {e.node.op: e.rule for e in forward_events(graph, names)}
    backward = {e.node.op: e.rule for e in backward_events(graph, names) if e.kind == "visit"}
    info = op_info(name)
    assert forward[name].startswith(info.title + ":")
    assert info.rule_for(node).split(":")[0] in backward[name]
    assert "gets" in backward[name]

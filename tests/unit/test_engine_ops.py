"""Every engine op's backward rule against central finite differences, plus the plumbing of backprop.

Each op is wrapped as f(θ) = Σ W ⊙ op(inputs(θ)) with a fixed random weight array W, so every element
of the op's output carries a different upstream gradient (a seed of all ones would hide transposes and
mixed-up axes).  Gradients must agree with central differences to a relative error below 1e-6.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workbench.engine import (
    Graph,
    Node,
    check_gradient,
    constant,
    numerical_gradient,
    ops,
    parameter,
    relative_error,
    topological_order,
    unbroadcast,
)

TOLERANCE = 1e-6
HYPOTHESIS = settings(max_examples=25, deadline=None)

Builder = Callable[..., Node]


def make_objective(build: Builder, shapes: Sequence[tuple[int, ...]], seed: int = 0):
    """f(θ) = Σ W ⊙ build(*params(θ)) and its engine gradient, with θ the inputs flattened together."""
    sizes = [int(np.prod(s)) for s in shapes]
    probe = build(*[parameter(np.ones(s)) for s in shapes])
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, probe.value.shape)

    def f_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params, start = [], 0
        for shape, size in zip(shapes, sizes):
            params.append(parameter(theta[start : start + size].reshape(shape).copy()))
            start += size
        out = ops.sum(ops.mul(build(*params), constant(weights)))
        Graph(out).forward()
        out.backward()
        for p in params:
            assert p.grad.shape == p.value.shape
        return float(out.value), np.concatenate([p.grad.reshape(-1) for p in params])

    return f_and_grad


def assert_gradient_ok(build: Builder, values: Sequence[np.ndarray], seed: int = 0) -> None:
    """The op's analytic gradient with respect to every input matches central differences."""
    values = [np.asarray(v, dtype=np.float64) for v in values]
    f_and_grad = make_objective(build, [v.shape for v in values], seed)
    theta = np.concatenate([v.reshape(-1) for v in values])
    error = check_gradient(f_and_grad, theta)
    assert error < TOLERANCE, f"max relative gradient error {error:.3g}"


def away_from_zero(shape, low=0.3, high=2.0):
    """Arrays whose elements have magnitude in [low, high] and either sign."""
    magnitudes = arrays(np.float64, shape, elements=st.floats(low, high))
    signs = arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))
    return st.tuples(magnitudes, signs).map(lambda ms: ms[0] * ms[1])


def positive(shape, low=0.2, high=3.0):
    """Arrays with every element in [low, high]."""
    return arrays(np.float64, shape, elements=st.floats(low, high))


# -- the articles' three rules and the rest of arithmetic ---------------------------------------------
@HYPOTHESIS
@given(a=away_from_zero((3, 4)), b=away_from_zero((3, 4)))
def test_add_sub_mul_gradients(a, b):
    assert_gradient_ok(ops.add, [a, b])
    assert_gradient_ok(ops.sub, [a, b])
    assert_gradient_ok(ops.mul, [a, b])


@HYPOTHESIS
@given(a=away_from_zero((5,)))
def test_neg_square_sum_mean_gradients(a):
    assert_gradient_ok(ops.neg, [a])
    assert_gradient_ok(ops.square, [a])
    assert_gradient_ok(lambda n: ops.sum(n), [a])
    assert_gradient_ok(lambda n: ops.mean(n), [a])


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, -1, 0.5, -2.5, 1.5])
@HYPOTHESIS
@given(a=positive((6,)))
def test_pow_gradient_on_positive_inputs(exponent, a):
    assert_gradient_ok(lambda n: ops.pow(n, exponent), [a])


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 4])
def test_pow_gradient_with_integer_exponent_on_negative_inputs(exponent):
    assert_gradient_ok(lambda n: ops.pow(n, exponent), [np.array([-1.7, -0.4, 0.6, 1.3])])


def test_pow_zero_is_one_and_sends_no_gradient():
    x = parameter(np.array([0.0, -2.0, 3.0]))
    out = ops.pow(x, 0)
    np.testing.assert_array_equal(out.value, 1.0)
    ops.sum(out).backward()
    np.testing.assert_array_equal(x.grad, 0.0)


def test_operators_on_nodes_match_ops():
    a, b = parameter(np.array([1.5, -2.0])), parameter(np.array([0.5, 4.0]))
    np.testing.assert_array_equal((a + b).value, a.value + b.value)
    np.testing.assert_array_equal((a - b).value, a.value - b.value)
    np.testing.assert_array_equal((a * b).value, a.value * b.value)
    np.testing.assert_array_equal((-a).value, -a.value)
    np.testing.assert_array_equal((b**2).value, b.value**2)
    np.testing.assert_allclose((a / b).value, a.value / b.value, rtol=1e-15)
    np.testing.assert_array_equal((2.0 + a).value, 2.0 + a.value)
    np.testing.assert_array_equal((2.0 - a).value, 2.0 - a.value)
    np.testing.assert_array_equal((2.0 * a).value, 2.0 * a.value)
    assert_gradient_ok(lambda p, q: p / q, [a.value, b.value])


# -- matmul in all four shape combinations ---------------------------------------------------------------
MATMUL_SHAPES = {
    "matrix@matrix": ((3, 4), (4, 2)),
    "matrix@vector": ((3, 4), (4,)),
    "vector@matrix": ((4,), (4, 2)),
    "vector@vector": ((4,), (4,)),
}


@pytest.mark.parametrize("case", sorted(MATMUL_SHAPES))
@HYPOTHESIS
@given(data=st.data())
def test_matmul_gradients(case, data):
    shape_a, shape_b = MATMUL_SHAPES[case]
    a = data.draw(away_from_zero(shape_a), label="a")
    b = data.draw(away_from_zero(shape_b), label="b")
    assert_gradient_ok(ops.matmul, [a, b])
    np.testing.assert_allclose(ops.matmul(constant(a), constant(b)).value, a @ b, rtol=1e-15)


@pytest.mark.parametrize("case", sorted(MATMUL_SHAPES))
def test_matmul_with_one_constant_side(case):
    """The design-matrix product X·k: only the knob side wants a gradient."""
    shape_a, shape_b = MATMUL_SHAPES[case]
    rng = np.random.default_rng(3)
    a_value, b_value = rng.normal(size=shape_a), rng.normal(size=shape_b)
    assert_gradient_ok(lambda b: ops.matmul(constant(a_value), b), [b_value])
    assert_gradient_ok(lambda a: ops.matmul(a, constant(b_value)), [a_value])


# -- element-wise functions ---------------------------------------------------------------------------------
@HYPOTHESIS
@given(a=arrays(np.float64, (7,), elements=st.floats(-3.0, 3.0)))
def test_tanh_and_exp_gradients(a):
    assert_gradient_ok(ops.tanh, [a])
    assert_gradient_ok(ops.exp, [a])


@HYPOTHESIS
@given(a=positive((7,), 0.1, 50.0))
def test_log_gradient(a):
    assert_gradient_ok(ops.log, [a])


@HYPOTHESIS
@given(a=away_from_zero((7,), 0.05, 5.0))
def test_abs_gradient_away_from_zero(a):
    assert_gradient_ok(ops.abs, [a])


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_gradient_in_both_regions(delta):
    # |a| < δ (quadratic) and |a| > δ (linear), on both sides of zero, kept off the joins at ±δ.
    a = delta * np.array([-3.0, -1.6, -0.7, -0.2, 0.1, 0.45, 0.9, 1.2, 2.5])
    assert_gradient_ok(lambda n: ops.huber(n, delta), [a])
    out = ops.huber(constant(a), delta)
    quadratic = np.abs(a) <= delta
    np.testing.assert_allclose(out.value[quadratic], 0.5 * a[quadratic] ** 2)
    np.testing.assert_allclose(out.value[~quadratic], delta * (np.abs(a[~quadratic]) - delta / 2))


@pytest.mark.parametrize("degree", range(7))
def test_legendre_gradient_and_value(degree):
    t = np.linspace(-0.97, 0.95, 9)
    assert_gradient_ok(lambda n: ops.legendre(n, degree), [t])
    reference = np.polynomial.legendre.Legendre.basis(degree)(t)
    np.testing.assert_allclose(ops.legendre(constant(t), degree).value, reference, rtol=1e-13, atol=1e-15)


# -- broadcasting is undone in backward ------------------------------------------------------------------
BROADCAST_CASES = {
    "scalar*vector": (ops.mul, (), (6,)),
    "vector*scalar": (ops.mul, (6,), ()),
    "scalar+vector": (ops.add, (), (6,)),
    "(1,n)+(m,n)": (ops.add, (1, 4), (3, 4)),
    "(n,)+(m,n)": (ops.add, (4,), (3, 4)),
    "(m,n)-(n,)": (ops.sub, (3, 4), (4,)),
    "(m,1)*(m,n)": (ops.mul, (3, 1), (3, 4)),
    "(1,n)*(m,1)": (ops.mul, (1, 4), (3, 1)),
    "(n,)*(m,n)": (ops.mul, (4,), (3, 4)),
}


@pytest.mark.parametrize("case", sorted(BROADCAST_CASES))
@HYPOTHESIS
@given(data=st.data())
def test_broadcast_gradients(case, data):
    op, shape_a, shape_b = BROADCAST_CASES[case]
    a = data.draw(away_from_zero(shape_a), label="a")
    b = data.draw(away_from_zero(shape_b), label="b")
    assert_gradient_ok(op, [a, b])


def test_scalar_knob_times_vector_gets_the_sum():
    """A knob copied to N data points collects the N gradients (the articles' Σ over points)."""
    x = np.array([1.0, 2.0, -3.0, 0.5])
    k = parameter(2.0)
    ops.sum(ops.mul(k, constant(x))).backward()
    assert k.grad.shape == ()
    assert float(k.grad) == pytest.approx(x.sum())


@pytest.mark.parametrize(
    "grad_shape, shape",
    [
        ((3, 4), ()),
        ((3, 4), (4,)),
        ((3, 4), (1, 4)),
        ((3, 4), (3, 1)),
        ((2, 3, 4), (3, 1)),
        ((3, 4), (3, 4)),
        ((5,), (1,)),
    ],
)
def test_unbroadcast_sums_stretched_axes(grad_shape, shape):
    grad = np.random.default_rng(1).normal(size=grad_shape)
    reduced = unbroadcast(grad, shape)
    assert reduced.shape == shape
    # Σ over everything is preserved: every copy's gradient lands somewhere.
    assert float(np.sum(reduced)) == pytest.approx(float(np.sum(grad)))
    # And it is the adjoint of broadcasting: <unbroadcast(G), v> = <G, broadcast(v)>.
    v = np.random.default_rng(2).normal(size=shape)
    assert float(np.sum(reduced * v)) == pytest.approx(float(np.sum(grad * np.broadcast_to(v, grad_shape))))


# -- backprop plumbing -----------------------------------------------------------------------------------
@HYPOTHESIS
@given(x=arrays(np.float64, (5,), elements=st.floats(-10.0, 10.0)))
def test_node_used_twice_accumulates_both_contributions(x):
    k = parameter(x)
    ops.sum(ops.mul(k, k)).backward()  # d/dx Σ x·x = 2x: both inputs of the product are k
    np.testing.assert_allclose(k.grad, 2 * x, rtol=1e-15)

    k = parameter(x)
    ops.sum(ops.add(k, k)).backward()
    np.testing.assert_array_equal(k.grad, 2.0)


def test_diamond_graph_accumulates_every_path():
    # y = (x + x²)·x² : x feeds three nodes, x² feeds two.
    x = parameter(1.7)
    square = ops.square(x)
    y = ops.mul(ops.add(x, square), square)
    y.backward()
    analytic = 3 * 1.7**2 + 4 * 1.7**3
    assert float(x.grad) == pytest.approx(analytic, rel=1e-14)


def test_backward_twice_gives_the_same_gradients_not_double():
    rng = np.random.default_rng(4)
    k = parameter(rng.normal(size=3))
    X = constant(rng.normal(size=(10, 3)))
    y = constant(rng.normal(size=10))
    graph = Graph(ops.mean(ops.square(ops.sub(ops.matmul(X, k), y))))
    graph.forward()
    graph.backward()
    first = {id(n): n.grad.copy() for n in graph.nodes}
    graph.backward()
    for node in graph.nodes:
        np.testing.assert_array_equal(node.grad, first[id(node)])
    # Node.backward zeroes too.
    graph.output.backward()
    np.testing.assert_array_equal(k.grad, first[id(k)])
    # Replaying the same graph at new knob values gives that point's gradient, with no residue.
    k.value = rng.normal(size=3)
    graph.forward()
    graph.backward()
    expected = 2 / 10 * X.value.T @ (X.value @ k.value - y.value)
    np.testing.assert_allclose(k.grad, expected, rtol=1e-12)


def test_forward_replays_the_graph_at_new_knob_values():
    k = parameter(np.array([1.0, 2.0]))
    x = constant(np.array([3.0, -1.0]))
    graph = Graph(ops.sum(ops.mul(ops.tanh(ops.mul(k, x)), k)))
    for value in ([1.0, 2.0], [0.1, -0.4], [2.0, 0.0]):
        k.value = np.array(value)
        expected = float(np.sum(np.tanh(k.value * x.value) * k.value))
        assert graph.forward() == pytest.approx(expected, rel=1e-15)


def test_deep_chain_backprops_without_recursion_error():
    x = parameter(np.array([1.5, -2.0]))
    node = x
    for _ in range(100_000):
        node = ops.neg(node)
    graph = Graph(ops.sum(node))
    assert len(graph) == 100_002
    graph.forward()
    graph.backward()
    np.testing.assert_array_equal(x.grad, 1.0)  # (−1)^100000

    k = parameter(2.0)
    node = k
    for _ in range(100_000):
        node = ops.add(node, k)  # k used 100,001 times along one long chain
    node.backward()
    assert float(k.grad) == 100_001.0


def test_topological_order_puts_inputs_first_and_visits_each_node_once():
    a, b = parameter(1.0), parameter(2.0)
    c = ops.mul(a, b)
    d = ops.add(c, a)
    e = ops.mul(d, c)
    order = topological_order(e)
    assert len(order) == len({id(n) for n in order}) == 5
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
    assert order[-1] is e


def _mixed_graph():
    rng = np.random.default_rng(5)
    X = constant(rng.normal(size=(8, 3)), label="X")
    y = constant(rng.normal(size=8), label="y")
    W = parameter(rng.normal(size=(3, 4)), label="W")
    b = parameter(rng.normal(size=(4,)), label="b")
    w = parameter(rng.normal(size=(4,)), label="w")
    c = parameter(0.3, label="c")
    h = ops.tanh(ops.add(ops.matmul(X, W), b))
    prediction = ops.add(ops.matmul(h, w), c)
    r = ops.sub(prediction, y)
    loss = ops.add(ops.mean(ops.huber(r, 0.7)), ops.mul(ops.sum(ops.square(w)), 0.01))
    loss = ops.add(loss, ops.mean(ops.abs(ops.mul(ops.exp(ops.neg(ops.square(c))), r))))
    return Graph(loss), (X, y), (W, b, w, c)


def test_every_gradient_has_its_values_shape():
    graph, _, _ = _mixed_graph()
    graph.forward()
    graph.backward()
    for node in graph.nodes:
        assert node.grad.shape == node.value.shape, node


def test_constants_receive_no_gradient():
    graph, constants, params = _mixed_graph()
    graph.forward()
    graph.backward()
    for node in constants:
        assert not node.requires_grad
        np.testing.assert_array_equal(node.grad, 0.0)
    assert all(n.requires_grad for n in params)
    assert all(np.any(n.grad != 0) for n in params)
    leaves = [n for n in graph.nodes if n.op == "leaf" and not n.requires_grad]
    assert all(not np.any(n.grad) for n in leaves)
    assert all(n not in graph.backward_nodes for n in leaves)


@pytest.mark.parametrize("op", [ops.add, ops.sub, ops.mul, lambda a, b: ops.matmul(a, b)])
def test_constant_inputs_of_binary_ops_stay_at_zero_gradient(op):
    data = constant(np.array([1.0, -2.0, 3.0]))
    knob = parameter(np.array([0.5, 0.25, -1.0]))
    for first, second in ((data, knob), (knob, data)):
        ops.sum(ops.mul(op(first, second), 1.0)).backward()
        np.testing.assert_array_equal(data.grad, 0.0)
        assert np.any(knob.grad != 0)


def test_unary_ops_send_nothing_into_a_constant():
    data = constant(np.array([0.5, 1.5]))
    for op in (
        ops.neg,
        ops.square,
        ops.tanh,
        ops.exp,
        ops.log,
        ops.abs,
        ops.huber,
        ops.sum,
        ops.mean,
        lambda a: ops.pow(a, 3),
        lambda a: ops.legendre(a, 3),
    ):
        out = ops.add(ops.sum(op(data)), parameter(1.0))
        out.backward()
        np.testing.assert_array_equal(data.grad, 0.0)
    data.accumulate(np.ones(2))  # even a direct contribution is refused
    np.testing.assert_array_equal(data.grad, 0.0)


def test_op_counts_of_a_small_graph():
    graph, _, _ = _mixed_graph()
    counts = Counter(n.op for n in graph.nodes)
    assert counts["matmul"] == 2
    assert counts["tanh"] == 1
    assert counts["huber"] == 1


def test_graph_needs_a_scalar_output():
    with pytest.raises(ValueError, match="scalar"):
        Graph(parameter(np.ones(3)))


def test_check_gradient_notices_a_wrong_gradient():
    """The witness itself: a gradient off by a factor 2 is reported as a large error."""

    def wrong(theta):
        return float(np.sum(theta**2)), 4 * theta

    assert check_gradient(wrong, np.array([1.0, -2.0])) > 0.1
    numeric = numerical_gradient(lambda v: float(np.sum(v**3)), np.array([1.0, 2.0]))
    assert np.max(relative_error(3 * np.array([1.0, 4.0]), numeric)) < 1e-8


def test_check_gradient_forgives_rounding_but_not_a_wrong_tiny_gradient():
    """Entries of 1e-7 beside an f of 7 (cos at float32's ε, which hypothesis once drew): the central
    difference carries ~1e-9 of rounding there, which is no error of the gradient; a wrong sign is."""
    weights = np.linspace(0.5, 1.5, 7)
    theta = np.full(7, 1.1920929e-07)

    def right(t):
        return float(np.sum(weights * np.cos(t))), -weights * np.sin(t)

    def wrong_sign(t):
        return float(np.sum(weights * np.cos(t))), weights * np.sin(t)

    assert check_gradient(right, theta) < TOLERANCE
    assert check_gradient(wrong_sign, theta) > 0.1

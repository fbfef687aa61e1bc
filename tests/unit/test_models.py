"""Models: the expanded graph (as the articles draw it) and the fused graph (X·k) agree, every model's
gradient matches central differences, and the bases convert to and from powers of x faithfully."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from workbench.engine import numerical_gradient, topological_order
from workbench.fitting.basis import BASIS_KINDS, MAX_DEGREE, Basis, check_degree
from workbench.fitting.exact import solve_exact
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel, PolynomialModel

LOSSES = {
    "mse": Loss("mse"),
    "sse": Loss("sse"),
    "mae": Loss("mae"),
    "huber": Loss("huber", huber_delta=0.5),
    "mse+l2": Loss("mse", l2=0.1),
}
DEGREES = range(9)
# An odd number of points: with MAE the intercept's gradient mean(sign r) can then never be exactly 0.
N_POINTS = 41


def dataset(kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Raw x in [−1.5, 2] for monomials (powers stay moderate); a wide x in [0, 20] for the others."""
    rng = np.random.default_rng(seed)
    lo, hi = (-1.5, 2.0) if kind == "monomial" else (0.0, 20.0)
    x = np.sort(rng.uniform(lo, hi, N_POINTS))
    t = (x - lo) / (hi - lo)
    return x, np.sin(5 * t) + rng.normal(0, 0.3, N_POINTS)


def gradient_error(value_and_grad, theta: np.ndarray) -> float:
    """Largest relative error between backprop and central differences.

    Central differences carry a rounding error of about 1e-10·|L| (ε·|L|/h with h = 1e-6), so components
    smaller than 1e-4·|L| are measured against 1e-4·|L| instead of themselves; all larger components
    must match to the stated relative error.
    """
    loss, analytic = value_and_grad(np.array(theta, dtype=np.float64))
    numeric = numerical_gradient(lambda v: value_and_grad(v)[0], theta)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), max(1e-4 * abs(loss), 1e-8))
    return float(np.max(np.abs(analytic - numeric) / scale))


# -- the two graphs of one polynomial loss ---------------------------------------------------------------
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_expanded_and_fused_graphs_agree(kind, loss_name):
    x, y = dataset(kind)
    loss = LOSSES[loss_name]
    rng = np.random.default_rng(7)
    for degree in DEGREES:
        model = PolynomialModel(degree, Basis.for_data(kind, x))
        fused = model.loss_graph(x, y, loss, "fused")
        expanded = model.loss_graph(x, y, loss, "expanded")
        for _ in range(3):
            theta = rng.normal(0, 1, model.n_params)
            loss_f, grad_f = fused.value_and_grad(theta)
            loss_e, grad_e = expanded.value_and_grad(theta)
            assert loss_e == pytest.approx(loss_f, rel=1e-12), (degree, theta)
            tiny = 1e-13 * max(abs(loss_f), float(np.max(np.abs(grad_f))))
            np.testing.assert_allclose(grad_e, grad_f, rtol=1e-9, atol=tiny, err_msg=f"degree {degree}")
            # Both agree with a plain NumPy evaluation of the loss too.
            coefficients_penalised = theta[1:] if loss.l2 else None
            direct = loss.value(model.predict(theta, x) - y, coefficients_penalised)
            assert loss_f == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_both_graphs_are_zero_gradient_at_the_exact_optimum(kind):
    x, y = dataset(kind)
    model = PolynomialModel(4, Basis.for_data(kind, x))
    best = solve_exact(x, y, 4, model.basis).coefficients
    for graph_kind in ("fused", "expanded"):
        loss, grad = model.loss_graph(x, y, Loss("mse"), graph_kind).value_and_grad(best)
        assert np.max(np.abs(grad)) < 1e-10 * max(1.0, loss)


def test_unknown_graph_kind_is_refused():
    x, y = dataset("scaled")
    with pytest.raises(ValueError, match="graph kind"):
        PolynomialModel(2).loss_graph(x, y, Loss(), "sideways")


def test_wrong_number_of_parameters_is_refused():
    x, y = dataset("monomial")
    graph = PolynomialModel(3).loss_graph(x, y)
    with pytest.raises(ValueError, match="expected 4 parameters"):
        graph.value_and_grad(np.zeros(5))


@pytest.mark.parametrize("graph_kind", ["fused", "expanded"])
def test_graph_keeps_its_own_copy_of_theta(graph_kind):
    x, y = dataset("scaled")
    graph = PolynomialModel(3, Basis.for_data("scaled", x)).loss_graph(x, y, Loss(), graph_kind)
    theta = np.array([0.5, -1.0, 2.0, 0.25])
    loss, grad = graph.value_and_grad(theta)
    theta[:] = 99.0  # the caller reuses its array (an in-place update k -= lr·g)
    assert graph.graph.forward() == loss
    grad[:] = 0.0
    assert np.any(graph.gradient() != 0)


# -- central-difference check of every model --------------------------------------------------------------
@pytest.mark.parametrize("graph_kind", ["fused", "expanded"])
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_polynomial_gradient_matches_central_differences(kind, loss_name, graph_kind):
    x, y = dataset(kind, seed=1)
    rng = np.random.default_rng(11)
    for degree in (0, 1, 3, 5, 8):
        model = PolynomialModel(degree, Basis.for_data(kind, x))
        graph = model.loss_graph(x, y, LOSSES[loss_name], graph_kind)
        theta = rng.normal(0, 1, model.n_params)
        error = gradient_error(graph.value_and_grad, theta)
        assert error < 1e-6, f"degree {degree}: relative error {error:.3g}"


@pytest.mark.parametrize("l2", [0.0, 0.01])
@pytest.mark.parametrize("loss_name", ["mse", "sse", "huber"])
@pytest.mark.parametrize("hidden", [(8,), (5, 4)])
def test_mlp_gradient_matches_central_differences(hidden, loss_name, l2):
    x, y = dataset("scaled", seed=2)
    model = MLPModel(hidden, Basis.for_data("scaled", x))
    loss = Loss(loss_name, huber_delta=0.5, l2=l2)
    graph = model.loss_graph(x, y, loss)
    for seed in (0, 1):
        theta = model.initial_params(seed) + np.random.default_rng(seed).normal(0, 0.1, model.n_params)
        error = gradient_error(graph.value_and_grad, theta)
        assert error < 1e-6, f"seed {seed}: relative error {error:.3g}"


@pytest.mark.parametrize("hidden", [(8,), (5, 4)])
def test_mlp_graph_matches_its_numpy_prediction(hidden):
    x, y = dataset("scaled", seed=3)
    model = MLPModel(hidden, Basis.for_data("scaled", x))
    theta = model.initial_params(4)
    loss = Loss("mse", l2=0.05)
    weights = theta[model.penalty_mask() == 1]
    expected = loss.value(model.predict(theta, x) - y, weights)
    assert model.loss_graph(x, y, loss).value(theta) == pytest.approx(expected, rel=1e-13)
    assert model.n_params == theta.size == sum(int(np.prod(s)) for s in model.shapes)


def test_mlp_penalty_covers_weights_not_biases():
    model = MLPModel((3, 2))
    mask = model.penalty_mask()
    # W1 (1×3), b1 (3), W2 (3×2), b2 (2), w_out (2), b_out ().
    expected = [1] * 3 + [0] * 3 + [1] * 6 + [0] * 2 + [1] * 2 + [0]
    np.testing.assert_array_equal(mask, expected)


@pytest.mark.parametrize("hidden", [(), (0,), (300,), (2, 2, 2)])
def test_mlp_refuses_bad_layer_sizes(hidden):
    with pytest.raises(ValueError, match="hidden layers"):
        MLPModel(hidden)


# -- the expanded graph is the articles' picture ------------------------------------------------------------
@pytest.mark.parametrize("kind", [k for k in BASIS_KINDS if k != "orthonormal"])  # its φ_j: test_orthonormal
@pytest.mark.parametrize("degree", DEGREES)
def test_expanded_graph_has_one_power_product_and_sum_node_per_term(kind, degree):
    x, y = dataset(kind)
    graph = PolynomialModel(degree, Basis.for_data(kind, x)).loss_graph(x, y, Loss("mse"), "expanded")
    nodes = topological_order(graph.output)
    counts = Counter(node.op for node in nodes)
    basis_op = "legendre" if kind == "legendre" else "pow"
    other_op = "pow" if kind == "legendre" else "legendre"
    assert counts[basis_op] == degree + 1  # one φ_i(x) per term
    assert counts[other_op] == 0
    assert counts["mul"] == degree + 1  # one k_i·φ_i per term
    assert counts["add"] == degree  # ŷ = a chain of D two-input sum nodes
    assert counts["sub"] == 1 and counts["square"] == 1 and counts["mean"] == 1
    assert counts["matmul"] == 0
    knobs = [n for n in nodes if n.requires_grad and n.op == "leaf"]
    assert [n.label for n in knobs] == [f"k{i}" for i in range(degree + 1)]
    # Every power node reads the one x leaf; every product multiplies a knob by a power.
    for node in nodes:
        if node.op == basis_op:
            assert len(node.parents) == 1 and node.parents[0].op == "leaf"
        if node.op == "mul":
            assert {p.op for p in node.parents} == {"leaf", basis_op}
    assert [n for n in nodes if n.label == "ŷ"][0].op == ("add" if degree else "mul")


def test_fused_graph_is_one_matrix_product():
    x, y = dataset("scaled")
    graph = PolynomialModel(5, Basis.for_data("scaled", x)).loss_graph(x, y, Loss("mse"), "fused")
    counts = Counter(node.op for node in topological_order(graph.output))
    assert counts["matmul"] == 1 and counts["pow"] == 0 and counts["add"] == 0
    assert len(graph.params) == 1 and graph.params[0].shape == (6,)


# -- bases ----------------------------------------------------------------------------------------------------
INTERVALS = [(-1.0, 1.0), (-3.0, 5.0), (0.0, 20.0), (1000.0, 1050.0)]


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_basis_round_trip_through_monomials(kind, interval):
    basis = Basis(kind, *interval)
    rng = np.random.default_rng(5)
    reach = max(abs(interval[0]), abs(interval[1]))
    # Off-centre beyond degree 6 the float64 monomial form no longer determines the curve at all.
    for degree in range(11 if interval[0] < 1000 else 7):
        coefficients = rng.normal(0, 1, degree + 1)
        monomial = basis.to_monomial(coefficients)
        back = basis.from_monomial(monomial)
        # The conversions are exact; the only loss is rounding the monomial coefficients to float64.
        # Near zero that costs nothing visible.  Off-centre (x ≈ 1000) it moves the curve on [lo, hi] by
        # up to ε·Σ|m_i|·reach^i, and a polynomial that small on the interval has basis coefficients at
        # most (1 + √2)^D times larger (Chebyshev growth): that is all a round trip can promise there.
        moved = np.finfo(float).eps * float(np.sum(np.abs(monomial) * reach ** np.arange(degree + 1)))
        bound = 1e-9 if interval[0] < 1000 else 4 * (1 + np.sqrt(2)) ** degree * moved
        np.testing.assert_allclose(back, coefficients, rtol=0, atol=bound, err_msg=f"degree {degree}")


@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_round_trip_on_the_unit_interval_is_exact_for_powers(kind):
    basis = Basis(kind, -1.0, 1.0)
    coefficients = np.random.default_rng(6).normal(size=8)
    back = basis.from_monomial(basis.to_monomial(coefficients))
    if kind in ("legendre", "orthonormal"):  # conversions that round: P_i's and R's rational entries
        np.testing.assert_allclose(back, coefficients, rtol=1e-13, atol=1e-14)
    else:
        np.testing.assert_array_equal(back, coefficients)


@pytest.mark.parametrize("interval", [(-1.0, 1.0), (-3.0, 5.0), (0.0, 4.0)])
@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_evaluate_agrees_with_polyval_of_the_monomial_form(kind, interval):
    basis = Basis(kind, *interval)
    x = np.linspace(*interval, 57)
    rng = np.random.default_rng(8)
    for degree in range(9):
        coefficients = rng.normal(0, 1, degree + 1)
        values = basis.evaluate(coefficients, x)
        monomial = basis.to_monomial(coefficients)
        reference = np.polyval(monomial[::-1], x)
        np.testing.assert_allclose(values, reference, rtol=0, atol=1e-9 * max(1.0, np.max(np.abs(values))))
        # And the design matrix is the same function, column by column.
        np.testing.assert_allclose(
            basis.design_matrix(x, degree) @ coefficients, values, rtol=0, atol=1e-12 * max(1.0, np.max(np.abs(values)))
        )


def test_known_conversions():
    # P2(t) = (3t² − 1)/2 on [−1, 1]; t = (x − 1)/2 on [−1, 3] turns t into x/2 − 1/2.
    np.testing.assert_allclose(Basis("legendre").to_monomial([0, 0, 1]), [-0.5, 0, 1.5], rtol=1e-15)
    np.testing.assert_allclose(Basis("scaled", -1.0, 3.0).to_monomial([0, 1]), [-0.5, 0.5], rtol=1e-15)
    np.testing.assert_allclose(Basis("scaled", -1.0, 3.0).from_monomial([0, 1]), [1.0, 2.0], rtol=1e-15)


def test_basis_for_data_spans_the_data_and_survives_constant_x():
    basis = Basis.for_data("scaled", [3.0, 7.0, 5.0])
    assert (basis.lo, basis.hi) == (3.0, 7.0)
    np.testing.assert_allclose(basis.to_t([3.0, 5.0, 7.0]), [-1.0, 0.0, 1.0])
    flat = Basis.for_data("legendre", [2.0, 2.0])
    assert flat.lo < 2.0 < flat.hi


def test_basis_refuses_unknown_kind_and_bad_interval():
    with pytest.raises(ValueError, match="unknown basis"):
        Basis("chebyshev")
    with pytest.raises(ValueError, match="lo < hi"):
        Basis("scaled", 1.0, 1.0)
    with pytest.raises(ValueError, match="finite"):
        Basis("scaled", 0.0, float("inf"))


@pytest.mark.parametrize("degree", [-1, MAX_DEGREE + 1, 100, 2.5, "3"])
def test_degree_outside_range_is_refused(degree):
    with pytest.raises(ValueError, match="degree must be a whole number from 0 to 15"):
        check_degree(degree)
    with pytest.raises(ValueError, match="degree"):
        PolynomialModel(degree)
    with pytest.raises(ValueError, match="degree"):
        Basis("scaled").design_matrix(np.linspace(-1, 1, 20), degree)
    with pytest.raises(ValueError, match="degree"):
        solve_exact(np.linspace(-1, 1, 20), np.ones(20), degree)


@pytest.mark.parametrize("degree", [0, MAX_DEGREE])
def test_degree_limits_are_accepted(degree):
    assert PolynomialModel(degree).n_params == degree + 1
    assert Basis("legendre").design_matrix(np.linspace(-1, 1, 20), degree).shape == (20, degree + 1)


# --- per-point forces: −∂L/∂ŷ_i read off the engine's ŷ node ---------------------------------------------


@pytest.mark.parametrize("kind", ["mse", "sse", "mae", "huber"])
def test_point_forces_are_minus_the_loss_gradient_with_respect_to_each_prediction(kind):
    from workbench.fitting.losses import Loss as _Loss
    from workbench.fitting.problem import FitProblem

    rng = np.random.default_rng(7)
    x = np.linspace(-1, 1, 25)
    y = np.cos(2 * x) + 0.1 * rng.normal(size=x.size)
    loss = _Loss(kind, huber_delta=0.2)
    problem = FitProblem.polynomial(x, y, 3, "scaled", loss)
    theta = rng.normal(size=4)
    forces = problem.point_forces(theta)
    yhat = problem.model.predict(theta, x)
    numeric = numerical_gradient(lambda p: loss.value(p - y), yhat)
    np.testing.assert_allclose(forces, -numeric, rtol=1e-6, atol=1e-9)
    if kind == "mse":
        np.testing.assert_allclose(forces, -2.0 * (yhat - y) / x.size, rtol=1e-12)


@pytest.mark.parametrize("graph_kind", ["fused", "expanded"])
def test_the_graphs_residual_node_is_data_minus_curve(graph_kind):
    """The engine's r node holds y − ŷ, the sign every view shows; the loss and its gradient are unchanged."""
    from workbench.fitting.models import residual_node

    x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 2.0])
    model = PolynomialModel(degree=1)
    theta = np.array([0.5, 1.0])
    graph = model.loss_graph(x, y, Loss(), graph_kind)
    loss, grad = graph.value_and_grad(theta)
    prediction = model.predict(theta, x)
    residual = next(n for n in topological_order(graph.output) if n.label == "r")
    np.testing.assert_allclose(residual.value, y - prediction)
    assert loss == pytest.approx(np.mean((y - prediction) ** 2))
    np.testing.assert_allclose(grad, -2.0 / x.size * np.stack([np.ones_like(x), x]) @ (y - prediction))
    scaled = residual_node(graph.prediction, y, sigma=np.full(3, 2.0))
    np.testing.assert_allclose(scaled.value, (y - prediction) / 2.0)

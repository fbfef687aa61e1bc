"""Models whose loss the engine differentiates: polynomials (two graph shapes) and a small tanh MLP.

A model knows its parameters as one flat vector ``theta`` (the knobs).  ``loss_graph`` builds the
engine graph of the loss once for a dataset; ``LossGraph.value_and_grad`` then replays it for any theta.
With uncertainties σ the loss sees each residual divided by its σ (weighted least squares): the graph
gets one more node, r·(1/σ), so backprop differentiates the weighting like any other step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.engine import Graph, Node, constant, ops, parameter

from .basis import Basis, check_degree
from .data import first_bad_sigma
from .losses import Loss

GRAPH_KINDS = ("fused", "expanded")

# Widest hidden layer: the window's control goes this far, and a session may hold no wider net
# (2 × 64 units are 4353 weights already).
MAX_HIDDEN = 64


def inverse_sigma(sigma, n: int) -> np.ndarray | None:
    """1/σ as a float64 vector of length ``n`` (None for no σ); refuses σ that cannot weight a fit."""
    if sigma is None:
        return None
    sigma = np.asarray(sigma, dtype=np.float64)
    if sigma.shape != (n,):
        raise ValueError(f"sigma must hold one value per point ({n}), got shape {sigma.shape}")
    problem = first_bad_sigma(sigma)
    if problem is not None:
        raise ValueError(f"sigma[{problem[0]}] = {problem[1]}")
    return 1.0 / sigma


def residual_node(prediction: Node, y, sigma=None) -> Node:
    """r = y − ŷ, or r·(1/σ) when σ is given: the residual every loss is computed from.

    The same sign as every residual the workbench shows (table, plots, reports).  The difference sends
    ŷ the gradient negated, so ∂L/∂ŷ (each point's pull) is what it would be for ŷ − y; the scaling is a
    ``mul`` by a constant node, and ∂L/∂ŷ flows back through it too.
    """
    residual = ops.sub(constant(y, label="y"), prediction)
    residual.label = "r"
    scale = inverse_sigma(sigma, residual.value.size)
    if scale is None:
        return residual
    scaled = ops.mul(residual, constant(scale, label="1/σ"))
    scaled.label = "r/σ"
    return scaled


class LossGraph:
    """A compiled loss graph and the parameter leaves that a flat theta is written into."""

    def __init__(self, output: Node, params: list[Node], kind: str, prediction: Node | None = None):
        self.output = output
        self.prediction = prediction  # the ŷ node: its gradient ∂L/∂ŷ_i is each point's pull
        self.params = params
        self.kind = kind
        self.graph = Graph(output)
        self._shapes = [p.value.shape for p in params]
        self._sizes = [int(np.prod(s)) for s in self._shapes]
        self.n_params = sum(self._sizes)

    def set_params(self, theta: np.ndarray) -> None:
        """Write theta into the parameter leaves (copied: the caller may reuse its array)."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.n_params,):
            raise ValueError(f"expected {self.n_params} parameters, got shape {theta.shape}")
        if len(self.params) == 1 and theta.shape == self._shapes[0]:
            self.params[0].value = theta.copy()
            return
        start = 0
        for node, shape, size in zip(self.params, self._shapes, self._sizes):
            node.value = theta[start : start + size].reshape(shape).copy()
            start += size

    def gradient(self) -> np.ndarray:
        """The parameters' gradients from the last backward pass, as one flat vector."""
        if len(self.params) == 1:
            return self.params[0].grad.reshape(-1).copy()
        return np.concatenate([p.grad.reshape(-1) for p in self.params])

    def value(self, theta: np.ndarray) -> float:
        """Forward pass only: the loss at theta."""
        self.set_params(theta)
        return self.graph.forward()

    def prediction_gradient(self, theta: np.ndarray) -> np.ndarray:
        """∂L/∂ŷ_i for every data point, read off the ŷ node after a backward pass.

        Its negative is the force each point exerts on the curve: the direction and strength with
        which that point pulls the fit (the residual's share of the loss, per the loss's shape).
        """
        if self.prediction is None:
            raise ValueError("this graph has no prediction node")
        self.value_and_grad(theta)
        return np.array(self.prediction.grad, dtype=np.float64).reshape(-1)

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """One forward pass and one backward pass: the loss at theta and ∂L/∂theta."""
        self.set_params(theta)
        loss = self.graph.forward()
        self.graph.backward()
        return loss, self.gradient()


@dataclass(frozen=True)
class PolynomialModel:
    """y = Σ k_i·φ_i(x), i = 0..degree, with φ from ``basis`` (the knobs k_i are its coefficients)."""

    degree: int = 5
    basis: Basis = field(default_factory=Basis)

    def __post_init__(self):
        check_degree(self.degree)

    @property
    def n_params(self) -> int:
        """Number of knobs: degree + 1."""
        return self.degree + 1

    def parameter_labels(self) -> list[str]:
        """A name per knob, in theta order: k0 … kD."""
        return [f"k{i}" for i in range(self.n_params)]

    def initial_params(self, seed: int | None = None) -> np.ndarray:
        """All knobs at zero: the Curve Fitter 6000 fresh out of the box."""
        return np.zeros(self.n_params)

    def predict(self, theta, x) -> np.ndarray:
        """The curve's values at x."""
        return self.basis.evaluate(theta, x)

    def penalty_mask(self) -> np.ndarray:
        """Which coefficients the L2 penalty applies to (all but the intercept)."""
        mask = np.ones(self.n_params)
        mask[0] = 0.0
        return mask

    def loss_graph(self, x, y, loss: Loss = Loss(), kind: str = "fused", design=None, sigma=None) -> LossGraph:
        """The engine graph of the loss on (x, y): ``fused`` (X·k, fast) or ``expanded`` (as drawn).

        ``design`` optionally passes in an already computed design matrix (saves memory at 10⁶ points).
        ``sigma`` (one uncertainty per point) makes the loss work on residuals divided by σ.
        """
        if kind == "fused":
            return self._fused_graph(x, y, loss, design, sigma)
        if kind == "expanded":
            return self._expanded_graph(x, y, loss, sigma)
        raise ValueError(f"unknown graph kind {kind!r}: choose one of {', '.join(GRAPH_KINDS)}")

    def _fused_graph(self, x, y, loss: Loss, design=None, sigma=None) -> LossGraph:
        k = parameter(np.zeros(self.n_params), label="k")
        X = constant(self.basis.design_matrix(x, self.degree) if design is None else design, label="X")
        prediction = ops.matmul(X, k)
        prediction.label = "ŷ"
        total = loss.data_term(residual_node(prediction, y, sigma), fused=True)
        if loss.l2:
            penalty = ops.sum(ops.square(ops.mul(k, constant(self.penalty_mask(), label="mask"))))
            total = ops.add(total, ops.mul(penalty, loss.l2))
        total.label = "L"
        return LossGraph(total, [k], "fused", prediction)

    def _expanded_graph(self, x, y, loss: Loss, sigma=None) -> LossGraph:
        """One power (or P_i), one product and one sum node per term: the articles' picture."""
        x_leaf = constant(self.basis.to_t(x), label="x" if self.basis.kind == "monomial" else "t")
        knobs = [parameter(0.0, label=f"k{i}") for i in range(self.n_params)]
        functions = self._expanded_functions(x_leaf)
        terms = []
        for i, (k, phi) in enumerate(zip(knobs, functions)):
            term = ops.mul(k, phi)
            term.label = f"k{i}·{phi.label}"
            terms.append(term)
        prediction = ops.sum_all(terms)
        prediction.label = "ŷ"
        total = loss.data_term(residual_node(prediction, y, sigma))
        if loss.l2:
            squares = [ops.square(k) for k in knobs[1:]]
            if squares:
                total = ops.add(total, ops.mul(ops.sum_all(squares), loss.l2))
        total.label = "L"
        return LossGraph(total, knobs, "expanded", prediction)

    def _expanded_functions(self, t: Node) -> list[Node]:
        """φ_0 … φ_D as nodes: powers of t, Legendre P_i(t), or (orthonormal) φ_j = Σ_i (R⁻¹)_ij·P_i(t)."""
        kind = self.basis.kind
        if kind in ("monomial", "scaled"):
            powers = []
            for i in range(self.n_params):
                power = ops.pow(t, i)
                power.label = f"{t.label}^{i}"
                powers.append(power)
            return powers
        legendre = [ops.legendre(t, i) for i in range(self.n_params)]
        if kind == "legendre":
            return legendre
        inverse = self.basis.inverse_factor(self.degree)
        functions = []
        for j in range(self.n_params):
            parts = [ops.mul(legendre[i], float(inverse[i, j])) for i in range(j + 1) if inverse[i, j] != 0.0]
            phi = ops.sum_all(parts)
            phi.label = f"φ{j}"
            functions.append(phi)
        return functions


@dataclass(frozen=True)
class MLPModel:
    """ŷ = w·tanh(…tanh(W₁·t + b₁)…) + b: 1 input, one or two tanh hidden layers, 1 output.

    The input is x scaled to [−1, 1] by ``basis`` (raw x in the thousands would saturate tanh).
    """

    hidden: tuple[int, ...] = (8,)
    basis: Basis = field(default_factory=lambda: Basis("scaled"))

    def __post_init__(self):
        if not 1 <= len(self.hidden) <= 2 or any(int(h) < 1 or int(h) > MAX_HIDDEN for h in self.hidden):
            raise ValueError(f"hidden layers must be one or two widths from 1 to {MAX_HIDDEN}, got {self.hidden!r}")

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """Shapes of W₁, b₁, (W₂, b₂), w_out, b_out in theta order."""
        sizes = (1, *self.hidden)
        shapes: list[tuple[int, ...]] = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            shapes += [(n_in, n_out), (n_out,)]
        return shapes + [(sizes[-1],), ()]

    @property
    def parameter_names(self) -> list[str]:
        """Names of the parameter groups, by layer (for the knob panel)."""
        names = []
        for layer in range(len(self.hidden)):
            names += [f"W{layer + 1}", f"b{layer + 1}"]
        return names + ["w_out", "b_out"]

    def parameter_labels(self) -> list[str]:
        """A name per weight, in theta order: W1[0,j], b1[j], (W2[i,j], b2[j],) w_out[j], b_out."""
        labels = []
        for shape, group in zip(self.shapes, self.parameter_names):
            for position in np.ndindex(*shape) if shape else [()]:
                labels.append(group + (f"[{','.join(map(str, position))}]" if position else ""))
        return labels

    @property
    def n_params(self) -> int:
        """Total number of weights and biases."""
        return int(sum(int(np.prod(s)) for s in self.shapes))

    def initial_params(self, seed: int | None = 0) -> np.ndarray:
        """Small random weights (Xavier-scaled) and zero biases, reproducible from ``seed``."""
        rng = np.random.default_rng(seed)
        parts = []
        for shape in self.shapes:
            if len(shape) == 2:
                parts.append(rng.normal(0.0, np.sqrt(1.0 / shape[0]), size=shape).ravel())
            elif shape == (self.hidden[-1],):
                parts.append(rng.normal(0.0, np.sqrt(1.0 / shape[0]), size=shape))
            else:
                parts.append(np.zeros(int(np.prod(shape))))
        return np.concatenate(parts)

    def _unflatten(self, theta) -> list[np.ndarray]:
        theta = np.asarray(theta, dtype=np.float64)
        out, start = [], 0
        for shape in self.shapes:
            size = int(np.prod(shape))
            out.append(theta[start : start + size].reshape(shape))
            start += size
        return out

    def predict(self, theta, x) -> np.ndarray:
        """The net's output at x (plain NumPy, for drawing)."""
        values = self._unflatten(theta)
        h = self.basis.to_t(x)[:, None]
        for layer in range(len(self.hidden)):
            h = np.tanh(h @ values[2 * layer] + values[2 * layer + 1])
        return h @ values[-2] + values[-1]

    def penalty_mask(self) -> np.ndarray:
        """The L2 penalty applies to weights, not biases."""
        return np.concatenate(
            [
                np.full(int(np.prod(shape)), 1.0 if _is_weight(name) else 0.0)
                for shape, name in zip(self.shapes, self.parameter_names)
            ]
        )

    def loss_graph(self, x, y, loss: Loss = Loss(), kind: str = "fused", design=None, sigma=None) -> LossGraph:
        """The engine graph of the net's loss on (x, y), residuals divided by ``sigma`` if given
        (one shape only: ``kind`` and ``design`` are ignored)."""
        params = [parameter(np.zeros(s), label=name) for s, name in zip(self.shapes, self.parameter_names)]
        h: Node = constant(self.basis.to_t(x)[:, None], label="t")
        for layer in range(len(self.hidden)):
            W, b = params[2 * layer], params[2 * layer + 1]
            h = ops.tanh(ops.add(ops.matmul(h, W), b))
            h.label = f"h{layer + 1}"
        prediction = ops.add(ops.matmul(h, params[-2]), params[-1])
        prediction.label = "ŷ"
        total = loss.data_term(residual_node(prediction, y, sigma))
        if loss.l2:
            weights = [p for p, name in zip(params, self.parameter_names) if _is_weight(name)]
            total = ops.add(total, ops.mul(ops.sum_all([ops.sum(ops.square(w)) for w in weights]), loss.l2))
        total.label = "L"
        return LossGraph(total, params, "fused", prediction)


def _is_weight(name: str) -> bool:
    """Weights (W1, W2, w_out) are penalised by L2; biases are not."""
    return name[0] in "Ww"

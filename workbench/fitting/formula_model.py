"""A model written as a formula: ``a*exp(-b*x) + c`` becomes engine ops, knobs named a, b, c.

The formula's tree (``formula.py``) is compiled into the engine's own nodes, one per operation, so the
loss graph the trainer differentiates is the formula's graph, and the graph view and the walk show it
node by node (``exp`` with its rule, the product with its rule, …).  Constant pieces (``2*pi``, ``-1/3``)
are folded into one number first.

The Jacobian ∂ŷ_i/∂θ_j that Levenberg–Marquardt needs comes from the same reverse mode, in one pass:
each knob is copied once per data point, so point i's ŷ_i depends on copy i only, and one backward
pass from Σ ŷ_i leaves ∂ŷ_i/∂θ_j in copy i's gradient.  (Summing the copies' gradients is exactly what
a shared knob's gradient is: ``Node.accumulate`` undoing the broadcast.  Keeping them apart gives the
Jacobian's rows instead of their sum.)  A formula has no operation that mixes points, so this holds.

Formulas meet overflow and domain errors routinely (exp of a large number, log of a negative one while
a run wanders); every evaluation here runs with NumPy's warnings off and leaves ±inf or NaN in the
numbers, which the optimisers treat as a failed step and ``nonfinite_reason`` puts into words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.engine import Graph, Node, constant, op_info, ops, parameter, topological_order
from workbench.engine.words import number

from .formula import Binary, Call, Expr, FormulaError, Negate, Number, Parameter, ParsedFormula, Variable, parse
from .formula_text import render
from .losses import Loss
from .models import LossGraph, residual_node

_QUIET: dict[str, Any] = {"all": "ignore"}
_BINARY_OPS = {"+": ops.add, "-": ops.sub, "*": ops.mul, "/": ops.div}


def read_formula(text: str) -> ParsedFormula:
    """Parse ``text`` and check it can be fitted: at least one parameter, and x used.

    Raises ``FormulaError`` with one sentence saying what is missing.
    """
    parsed = parse(text)
    if not parsed.parameters:
        raise FormulaError("the formula has no parameter to fit: name at least one, e.g. a*x + b or a*exp(-b*x)", text)
    if not parsed.uses_x:
        names = ", ".join(parsed.parameters)
        hint = " (names are case-sensitive: X is a parameter, x the data)" if "X" in parsed.parameters else ""
        raise FormulaError(
            f"the formula does not use x, so the curve would be flat: write y as a function of x "
            f"(parameters found: {names}){hint}",
            text,
        )
    return parsed


def fold_constants(tree: Expr) -> Expr:
    """The tree with every piece that uses neither x nor a parameter replaced by its value."""
    if isinstance(tree, (Number, Variable, Parameter)):
        return tree
    if isinstance(tree, Negate):
        operand = fold_constants(tree.operand)
        if isinstance(operand, Number):
            return Number(tree.position, -operand.value, render(Negate(tree.position, operand)))
        return Negate(tree.position, operand)
    if isinstance(tree, Call):
        argument = fold_constants(tree.argument)
        folded = Call(tree.position, tree.function, argument)
        if isinstance(argument, Number):
            return _folded(folded, getattr(ops, tree.function)(constant(argument.value)).value)
        return folded
    assert isinstance(tree, Binary)  # the one kind of node left
    left, right = fold_constants(tree.left), fold_constants(tree.right)
    binary = Binary(tree.position, tree.op, left, right)
    if isinstance(left, Number) and isinstance(right, Number):
        return _folded(binary, _apply(tree.op, constant(left.value), right).value)
    return binary


def _folded(tree: Expr, value) -> Number:
    value = float(np.asarray(value))
    text = render(tree)
    if not np.isfinite(value):
        raise FormulaError(f"{text} is not a finite number: change it (it uses no parameter, so fitting cannot)")
    return Number(tree.position, value, text)


def _apply(op: str, left: Node, right: Expr | Node) -> Node:
    """left op right, where a constant exponent stays a number (x^2 is the power rule, not a^b)."""
    if op == "^":
        if isinstance(right, Number):
            return ops.pow(left, right.value)
        return ops.power(left, right)
    right_node = constant(right.value, label=right.text) if isinstance(right, Number) else right
    return _BINARY_OPS[op](left, right_node)


def build(tree: Expr, x: Node, knobs: dict[str, Node]) -> Node:
    """Engine nodes computing ``tree`` from the leaf ``x`` and the parameter leaves ``knobs``."""
    if isinstance(tree, Number):
        return constant(tree.value, label=_number_label(tree))
    if isinstance(tree, Variable):
        return x
    if isinstance(tree, Parameter):
        return knobs[tree.name]
    if isinstance(tree, Negate):
        return ops.neg(build(tree.operand, x, knobs))
    if isinstance(tree, Call):
        return getattr(ops, tree.function)(build(tree.argument, x, knobs))
    assert isinstance(tree, Binary)  # the one kind of node left
    left = build(tree.left, x, knobs)
    if tree.op == "^" and isinstance(tree.right, Number):
        return _apply("^", left, tree.right)
    return _apply(tree.op, left, build(tree.right, x, knobs))


def _number_label(tree: Number) -> str:
    return tree.text if len(tree.text) <= 10 else number(tree.value)


@dataclass(frozen=True)
class FormulaModel:
    """y = the user's formula of x, its parameters the knobs (named by the user, in order of first
    appearance).  Raises ``FormulaError`` for a formula that cannot be read or fitted."""

    text: str
    parsed: ParsedFormula = field(init=False, repr=False, compare=False)
    tree: Expr = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        parsed = read_formula(self.text)
        object.__setattr__(self, "parsed", parsed)
        object.__setattr__(self, "tree", fold_constants(parsed.tree))

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The parameters' names, in order of first appearance: the knobs' labels."""
        return self.parsed.parameters

    def parameter_labels(self) -> list[str]:
        """A name per knob, in theta order."""
        return list(self.parsed.parameters)

    @property
    def n_params(self) -> int:
        """Number of parameters."""
        return len(self.parsed.parameters)

    def initial_params(self, seed: int | None = None) -> np.ndarray:
        """Every parameter at 1: neutral, and defined for most formulas (``guess_start`` does better)."""
        return np.ones(self.n_params)

    def penalty_mask(self) -> np.ndarray:
        """The L2 penalty applies to every parameter (a formula has no intercept the model knows of)."""
        return np.ones(self.n_params)

    def _knobs(self, theta, leaf=parameter) -> dict[str, Node]:
        """A leaf per parameter (``constant`` leaves when no gradient is wanted: cheaper)."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape[:1] != (self.n_params,):
            raise ValueError(
                f"expected {self.n_params} parameters ({', '.join(self.parameter_names)}), got {theta.shape}"
            )
        return {name: leaf(value, label=name) for name, value in zip(self.parameter_names, theta)}

    def predict(self, theta, x) -> np.ndarray:
        """The curve at x (±inf or NaN where the formula has no finite value)."""
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(**_QUIET):
            values = build(self.tree, constant(x, label="x"), self._knobs(theta, constant)).value
        return np.broadcast_to(values, x.shape).astype(np.float64, copy=True)

    def loss_graph(self, x, y, loss: Loss = Loss(), kind: str = "fused", design=None, sigma=None) -> LossGraph:
        """The engine graph of the loss on (x, y), residuals divided by ``sigma`` if given: the formula's own
        nodes, then the loss as one mean-of-squares node (``fused``) or as square and mean nodes
        (``expanded``, as the articles draw it); ``design`` is not used."""
        knobs = self._knobs(np.ones(self.n_params))
        with np.errstate(**_QUIET):
            prediction = build(self.tree, constant(np.asarray(x, dtype=np.float64), label="x"), knobs)
            prediction.label = "ŷ"
            total = loss.data_term(residual_node(prediction, y, sigma), fused=kind == "fused")
            if loss.l2:
                penalty = ops.sum_all([ops.square(k) for k in knobs.values()])
                total = ops.add(total, ops.mul(penalty, loss.l2))
        total.label = "L"
        return QuietLossGraph(total, list(knobs.values()), kind, prediction)

    def with_values(self, theta, digits: int = 17) -> str:
        """The formula with the parameters' values written in (for Copy formula and exports)."""
        return render(self.parsed.tree, dict(zip(self.parameter_names, np.asarray(theta, dtype=float))), digits)

    def start_values(self, text: str, default=None) -> np.ndarray:
        """Start values from ``"a=1, b=0.1"`` (the CLI's ``--start``); parameters left out take ``default``
        (all ones when None).  Raises ValueError naming the parameter or value that is wrong."""
        theta = np.array(self.initial_params() if default is None else default, dtype=np.float64)
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, equals, value = item.partition("=")
            name = name.strip()
            if not equals:
                raise ValueError(f"write start values as name=value, e.g. {self.parameter_names[0]}=1, got {item!r}")
            if name not in self.parameter_names:
                raise ValueError(
                    f"unknown parameter {name!r}: the formula's parameters are {', '.join(self.parameter_names)}"
                )
            try:
                number_value = float(value)
            except ValueError:
                raise ValueError(f"the start value of {name} must be a number, got {value.strip()!r}") from None
            if not np.isfinite(number_value):
                raise ValueError(f"the start value of {name} must be a finite number, got {value.strip()!r}")
            theta[self.parameter_names.index(name)] = number_value
        return theta

    def jacobian(self, theta, x) -> tuple[np.ndarray, np.ndarray]:
        """(ŷ, J) at the points x: J[i, j] = ∂ŷ_i/∂θ_j, by one reverse pass (see the module's note)."""
        return FormulaJacobian(self, x).evaluate(theta)


class QuietLossGraph(LossGraph):
    """A loss graph whose passes leave overflow and domain errors as ±inf/NaN, without NumPy warnings."""

    def value(self, theta: np.ndarray) -> float:
        with np.errstate(**_QUIET):
            return super().value(theta)

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(**_QUIET):
            return super().value_and_grad(theta)

    def prediction_gradient(self, theta: np.ndarray) -> np.ndarray:
        with np.errstate(**_QUIET):
            return super().prediction_gradient(theta)


class FormulaJacobian:
    """ŷ and ∂ŷ/∂θ of a formula at fixed x, compiled once and replayed for any θ (one forward and one
    backward pass each): every knob is a leaf holding one copy per point."""

    def __init__(self, model: FormulaModel, x):
        self.model = model
        self.x = np.asarray(x, dtype=np.float64)
        n = self.x.size
        self.knobs = {name: parameter(np.ones(n), label=name) for name in model.parameter_names}
        with np.errstate(**_QUIET):
            self.prediction = build(model.tree, constant(self.x, label="x"), self.knobs)
            self.graph = Graph(ops.sum(self.prediction))

    def _load(self, theta) -> None:
        theta = np.asarray(theta, dtype=np.float64)
        for node, value in zip(self.knobs.values(), theta):
            node.value = np.full(self.x.size, value)

    def predict(self, theta) -> np.ndarray:
        """ŷ at theta by a forward pass only (no Jacobian)."""
        self._load(theta)
        with np.errstate(**_QUIET):
            self.graph.forward()
        return np.broadcast_to(self.prediction.value, (self.x.size,)).astype(np.float64, copy=True)

    def evaluate(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """(ŷ, J) at theta; J has one row per point, one column per parameter."""
        theta = np.asarray(theta, dtype=np.float64)
        n = self.x.size
        self._load(theta)
        with np.errstate(**_QUIET):
            self.graph.forward()
            self.graph.backward()
        prediction = np.broadcast_to(self.prediction.value, (n,)).astype(np.float64, copy=True)
        jacobian = np.column_stack([node.grad for node in self.knobs.values()]) if n else np.zeros((0, len(theta)))
        return prediction, jacobian


def nonfinite_reason(model: FormulaModel, theta, x) -> str | None:
    """One sentence saying where the formula first fails to be a finite number at these parameters and
    these x (which operation, at which point, and what it needs), or None when every value is finite."""
    x = np.asarray(x, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    with np.errstate(**_QUIET):
        output = build(model.tree, constant(x, label="x"), model._knobs(theta, constant))
    values = np.broadcast_to(output.value, x.shape)
    if np.all(np.isfinite(values)):
        return None
    at = ", ".join(f"{name} = {number(v)}" for name, v in zip(model.parameter_names, theta))
    culprit = _first_nonfinite(output)
    point = int(np.flatnonzero(~np.isfinite(values))[0])
    if culprit is not None:
        culprit_values = np.broadcast_to(culprit.value, x.shape)
        point = int(np.flatnonzero(~np.isfinite(culprit_values))[0])
    where = f"at point {point + 1} (x = {number(x[point])})" if x.size > 1 or x.ndim else f"at x = {number(x)}"
    if culprit is None:
        return f"At {at}: the formula is not a finite number {where}; choose other start values"
    info = op_info(culprit.op)
    inputs = " and ".join(number(np.broadcast_to(p.value, x.shape)[point]) for p in culprit.parents)
    domain = f" ({info.word} {info.domain})" if info.domain else ""
    return (
        f"At {at}: {info.word} of {inputs} {where} is not a finite number{domain}; "
        f"choose other start values (or Guess start), or change the formula"
    )


def _first_nonfinite(output: Node) -> Node | None:
    """The first node, in computing order, whose value is not finite while its inputs all are."""
    for node in topological_order(output):
        if node.op == "leaf":
            continue
        if not np.all(np.isfinite(node.value)) and all(np.all(np.isfinite(p.value)) for p in node.parents):
            return node
    return None

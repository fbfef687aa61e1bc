"""Element-wise functions: exp, log, sqrt, sin, cos, tan, arctan, tanh, |·|, Huber, Legendre polynomials.

Each is one input in, one output out, and its backward rule is the chain rule with the function's own
derivative: the input receives f′(a) × the gradient.  Where f′ can be read off the forward value
(e^a for exp, 1 − tanh² for tanh, 1/(2√a) for sqrt) the rule reuses it instead of computing again.
Outside a function's domain (log of a negative number, √ of one, tan at π/2) the value is NaN or ±inf
without a warning: a formula's model turns that into a message for the user.  Each op's words
(``OpInfo``) sit beside it, as in ``ops.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .node import Node, as_node
from .opinfo import OpInfo, register

_QUIET: dict[str, Any] = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


def _elementwise(info: OpInfo, value: Callable, local: Callable, a, **meta) -> Node:
    """A node out = value(a) whose backward sends local(a, out)·g to a: one element-wise op."""
    a = as_node(a)

    def forward(out: Node) -> None:
        with np.errstate(**_QUIET):
            out.value = value(a.value)

    def backward(out: Node) -> None:
        with np.errstate(**_QUIET):
            a.accumulate(out.grad * local(a.value, out.value))

    node = Node.from_op(info.name, (a,), forward, backward, **meta)
    node.label = info.default_label(node)
    return node


def _unary(name: str, title: str, symbol: str, rule: str, derivative: str, domain: str = "") -> OpInfo:
    return register(
        OpInfo(
            name=name,
            title=title,
            symbol=symbol,
            word=name,
            rule=rule,
            derivative=derivative,
            formula=f"{name}({{0}})",
            label=name,
            derived_name=f"{name}({{0}})",
            domain=domain,
            formula_function=True,
        )
    )


EXP = _unary(
    "exp",
    "exponential",
    "eˣ",
    "exp: the input gets e^a × the gradient (its own value)",
    "∂(eᵃ)/∂a = eᵃ",
    "overflows a double when its input is above about 709",
)


def exp(a) -> Node:
    """e^a.  Its own derivative: the input receives the output's value × the gradient."""
    return _elementwise(EXP, np.exp, lambda _a, out: out, a)


LOG = _unary(
    "log", "logarithm", "ln", "log: the input gets the gradient / a", "∂(ln a)/∂a = 1/a", "needs positive input"
)


def log(a) -> Node:
    """ln a (natural logarithm).  d ln a/da = 1/a: the input receives the gradient divided by a."""
    return _elementwise(LOG, np.log, lambda a, _out: 1.0 / a, a)


SQRT = _unary(
    "sqrt",
    "square root",
    "√",
    "square root: the input gets the gradient / (2√a), reusing the forward value",
    "∂(√a)/∂a = 1/(2√a)",
    "needs input ≥ 0",
)


def sqrt(a) -> Node:
    """√a.  d√a/da = 1/(2√a): infinite at a = 0, where the curve stands vertical."""
    return _elementwise(SQRT, np.sqrt, lambda _a, out: 0.5 / out, a)


SIN = _unary("sin", "sine", "∿", "sine: the input gets cos(a) × the gradient", "∂(sin a)/∂a = cos a")


def sin(a) -> Node:
    """sin a (radians).  d sin a/da = cos a."""
    return _elementwise(SIN, np.sin, lambda a, _out: np.cos(a), a)


COS = _unary("cos", "cosine", "∿", "cosine: the input gets −sin(a) × the gradient", "∂(cos a)/∂a = −sin a")


def cos(a) -> Node:
    """cos a (radians).  d cos a/da = −sin a."""
    return _elementwise(COS, np.cos, lambda a, _out: -np.sin(a), a)


TAN = _unary(
    "tan",
    "tangent",
    "",
    "tangent: the input gets (1 + tan²) × the gradient, reusing the forward value",
    "∂(tan a)/∂a = 1 + tan² a",
    "is infinite at ±π/2",
)


def tan(a) -> Node:
    """tan a (radians).  d tan a/da = 1 + tan² a, from the forward value."""
    return _elementwise(TAN, np.tan, lambda _a, out: 1.0 + out * out, a)


ARCTAN = _unary(
    "arctan", "arctangent", "", "arctangent: the input gets the gradient / (1 + a²)", "∂(arctan a)/∂a = 1/(1 + a²)"
)


def arctan(a) -> Node:
    """arctan a, in radians.  d arctan a/da = 1/(1 + a²)."""
    return _elementwise(ARCTAN, np.arctan, lambda a, _out: 1.0 / (1.0 + a * a), a)


TANH = _unary(
    "tanh",
    "tanh",
    "",
    "tanh: the input gets (1 − tanh²) × the gradient, reusing the forward value",
    "∂(tanh a)/∂a = 1 − tanh² a",
)


def tanh(a) -> Node:
    """tanh(a).  d tanh/da = 1 − tanh², reused from the forward value."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = np.tanh(a.value)

    def backward(out: Node) -> None:
        a.accumulate(out.grad * (1.0 - out.value * out.value))

    return Node.from_op("tanh", (a,), forward, backward, label=TANH.label)


ABS = register(
    OpInfo(
        name="abs",
        title="absolute value",
        symbol="",
        word="|·|",
        rule="absolute value: the input gets sign(a) × the gradient",
        derivative="∂|a|/∂a = sign a (0 at a = 0, a subgradient)",
        formula="|{0}|",
        label="|·|",
        derived_name="|{0}|",
        formula_function=True,
    )
)


def abs(a) -> Node:  # noqa: A001
    """|a|.  The gradient passes with the sign of a.

    At the kink a = 0 |a| has no derivative; the engine sends 0, a valid subgradient (any number in
    [−1, 1] is one): the same choice PyTorch and NumPy's sign make.
    """
    return _elementwise(ABS, np.abs, lambda a, _out: np.sign(a), a)


HUBER = register(
    OpInfo(
        name="huber",
        title="Huber",
        symbol="",
        word="huber",
        rule="Huber: the input gets clip(a, −δ, δ) × the gradient",
        derivative="∂huber(a)/∂a = clip(a, −δ, δ)",
        formula=lambda node, parts: f"huber({parts[0]}, δ = {node.meta.get('delta', 1.0):g})",
        label="huber",
        derived_name="huber({0})",
    )
)


def huber(a, delta: float = 1.0) -> Node:
    """Huber penalty: a²/2 near zero, δ(|a| − δ/2) beyond δ, so outliers pull linearly, not quadratically."""
    a = as_node(a)
    delta = float(delta)

    def forward(out: Node) -> None:
        r = np.abs(a.value)
        out.value = np.where(r <= delta, 0.5 * a.value * a.value, delta * (r - 0.5 * delta))

    def backward(out: Node) -> None:
        a.accumulate(out.grad * np.clip(a.value, -delta, delta))

    return Node.from_op("huber", (a,), forward, backward, label=HUBER.label, delta=delta)


LEGENDRE = register(
    OpInfo(
        name="legendre",
        title="Legendre polynomial",
        symbol="Pₙ",
        word="Legendre",
        rule="Legendre: the input gets {label}′(t) × the gradient",
        derivative="∂Pₙ(t)/∂t = Pₙ′(t)",
        formula=lambda node, parts: f"{node.label}({parts[0]})",
        label=lambda node: f"P{node.meta.get('degree', 0)}",
        derived_name=lambda node, parts: node.label,
    )
)


def legendre(t, degree: int) -> Node:
    """P_n(t), the Legendre polynomial of degree n: the orthogonal basis's counterpart of t^n."""
    t = as_node(t)
    degree = int(degree)
    coef = np.zeros(degree + 1)
    coef[-1] = 1.0
    dcoef = np.polynomial.legendre.legder(coef) if degree > 0 else np.zeros(1)

    def forward(out: Node) -> None:
        out.value = np.polynomial.legendre.legval(t.value, coef)

    def backward(out: Node) -> None:
        t.accumulate(out.grad * np.polynomial.legendre.legval(t.value, dcoef))  # P_n'(t)

    return Node.from_op("legendre", (t,), forward, backward, label=f"P{degree}", degree=degree)

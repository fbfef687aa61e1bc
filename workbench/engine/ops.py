"""The engine's arithmetic, each op a forward rule and, right beside it, its backward rule and its words.

Every backward receives ``out`` (the op's output node, whose ``grad`` is d(loss)/d(out)) and adds to
each input's gradient d(loss)/d(input) = d(loss)/d(out) · d(out)/d(input): the chain rule, one link.
The three rules from the Curve Fitter 6000 articles are ``add`` (a sum copies its gradient to every
input), ``mul`` (a product sends each input the gradient times the *other* input) and ``pow`` (a power
x^n sends n·x^(n−1) times the gradient).  Broadcasting is undone in ``Node.accumulate``.

Each op registers an ``OpInfo`` (see ``opinfo.py``) beside its function: what it computes in words,
its rule, its tag in the graph view.  The element-wise functions (exp, log, sin, …) live in
``functions.py`` and are re-exported here, so ``ops.exp`` is where callers expect it.
"""

from __future__ import annotations

import numpy as np

from .node import Node, as_node
from .opinfo import OpInfo, register
from .words import SUPERSCRIPT, describe, exponent_text, power_text, wrap


# -- the articles' three rules ---------------------------------------------------------------------
def _add_name(node: Node, parts: list[str]) -> str | None:
    joined = f"{parts[0]}+{parts[1]}"
    chained = any(p.op == "add" and p.label == "+" for p in node.parents)
    return None if chained or len(joined) > 10 else joined


ADD = register(
    OpInfo(
        name="add",
        title="sum",
        symbol="+",
        word="sum",
        rule="sum copies the gradient to both inputs",
        derivative="∂(a + b)/∂a = 1, ∂(a + b)/∂b = 1",
        formula="{0} + {1}",
        label="+",
        derived_name=_add_name,
        backward_text=lambda c: f"sum copies the gradient to both inputs: g = {c.g}, so {c.got(0)} and {c.got(1)}",
    )
)


def add(a, b) -> Node:
    """a + b.  Sum rule: the gradient is copied, unchanged, to both inputs."""
    a, b = as_node(a), as_node(b)

    def forward(out: Node) -> None:
        out.value = a.value + b.value

    def backward(out: Node) -> None:
        a.accumulate(out.grad)  # sum copies
        b.accumulate(out.grad)  # sum copies

    return Node.from_op("add", (a, b), forward, backward, label=ADD.label)


def _mul_text(c) -> str:
    node, g = c.node, c.g
    parts = []
    for mine, other in ((0, 1), (1, 0)):
        target, partner = node.parents[mine], node.parents[other]
        if not target.requires_grad:
            parts.append(f"{c.parts[mine]} is data and gets nothing")
            continue
        summed = c.summed(target)
        how = (
            f"{g} · {describe(partner.value)}"
            if node.grad.size == 1 and partner.value.size == 1
            else f"g · {c.parts[other]}" + (f" summed over the {summed} points" if summed > 1 else "")
        )
        parts.append(f"{c.parts[mine]} gets {how} = {c.sent_to(mine)}")
    return f"product sends each input the gradient × the other input: g = {g}; " + "; ".join(parts)


MUL = register(
    OpInfo(
        name="mul",
        title="product",
        symbol="×",
        word="product",
        rule="product sends each input the gradient × the other input",
        derivative="∂(a·b)/∂a = b, ∂(a·b)/∂b = a",
        formula="{0} · {1}",
        label="×",
        derived_name="{w0}·{w1}",
        backward_text=_mul_text,
    )
)


def mul(a, b) -> Node:
    """a · b.  Product rule: each input receives the gradient times the other input's value."""
    a, b = as_node(a), as_node(b)

    def forward(out: Node) -> None:
        out.value = a.value * b.value

    def backward(out: Node) -> None:
        if a.requires_grad:
            a.accumulate(out.grad * b.value)  # multiply by the other input
        if b.requires_grad:
            b.accumulate(out.grad * a.value)  # multiply by the other input

    return Node.from_op("mul", (a, b), forward, backward, label=MUL.label)


def _pow_label(node: Node) -> str:
    return "^" + exponent_text(node.meta.get("exponent", 1.0))


def _pow_text(c) -> str:
    n = c.node.meta.get("exponent", 1.0)
    base = c.parts[0]
    if n == 0:
        return f"power rule n·x^(n−1) with n = 0: {c.name} = 1 does not depend on {base}, which gets nothing"
    with np.errstate(all="ignore"):
        local = n * np.power(c.node.parents[0].value, n - 1)
    return (
        f"power rule n·x^(n−1): {base} gets g · {n:g}·{power_text(base, n - 1)} = {c.g} · {describe(local)}: {c.got(0)}"
    )


def _pow_data_note(node: Node, parts: list[str]) -> str:
    n = node.meta.get("exponent", 1.0)
    base = parts[0]
    local = "0 (x⁰ = 1 does not depend on x)" if n == 0 else f"{n:g}" if n == 1 else f"{n:g}·{power_text(base, n - 1)}"
    return f". The power rule n·x^(n−1) would send {base} the gradient × {local}, but {base} is data, not a knob"


POW = register(
    OpInfo(
        name="pow",
        title="power",
        symbol="xⁿ",
        word="power",
        rule="power rule n·x^(n−1): the input gets n·x^(n−1) × the gradient",
        derivative="∂(xⁿ)/∂x = n·xⁿ⁻¹",
        formula=lambda node, parts: f"{parts[0]}^{node.meta.get('exponent', 1.0):g}",
        label=_pow_label,
        derived_name=lambda node, parts: (
            f"{wrap(parts[0])}{exponent_text(node.meta.get('exponent', 1.0)).translate(SUPERSCRIPT)}"
        ),
        backward_text=_pow_text,
        sends_gradient=lambda node: node.meta.get("exponent", 1.0) != 0,
        data_only_note=_pow_data_note,
        domain="has no real value for a negative base unless the exponent is a whole number",
    )
)


def pow(a, n: float) -> Node:  # noqa: A001 - the op is called pow in the articles too
    """a ** n for a constant exponent n.  Power rule: the input receives n·a^(n−1) times the gradient.

    A negative base with a fractional exponent has no real power: the value is NaN (no warning), as
    is the gradient there, and the caller decides what a non-finite value means.
    """
    a = as_node(a)
    n = float(n)

    def forward(out: Node) -> None:
        if n == 0:
            out.value = np.ones_like(a.value)
            return
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            out.value = np.power(a.value, n)

    def backward(out: Node) -> None:
        if n == 0:
            return  # x^0 = 1 does not depend on x
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            local = n * np.power(a.value, n - 1) if n != 1 else 1.0  # n·x^(n−1)
            a.accumulate(out.grad * local)

    node = Node.from_op("pow", (a,), forward, backward, exponent=n)
    node.label = POW.default_label(node)
    return node


def _power_text(c) -> str:
    base, exponent = c.parts
    return (
        f"power a^b: {base} gets g·b·a^(b−1), {exponent} gets g·a^b·ln a (the exponent moves the curve too): "
        f"g = {c.g}; {c.got(0)}; {c.got(1)}"
    )


POWER = register(
    OpInfo(
        name="power",
        title="power",
        symbol="aᵇ",
        word="power",
        rule="power a^b: the base gets b·a^(b−1) × the gradient, the exponent gets a^b·ln a × the gradient",
        derivative="∂(aᵇ)/∂a = b·aᵇ⁻¹, ∂(aᵇ)/∂b = aᵇ·ln a",
        formula="{w0}^{w1}",
        label="^",
        derived_name="{w0}^{w1}",
        backward_text=_power_text,
        domain="has no real value for a negative base unless the exponent is a whole number",
    )
)


def power(a, b) -> Node:
    """a ** b where the exponent b is itself a node (a knob, say): both base and exponent get a gradient.

    The base gets b·a^(b−1)·g (the power rule) and the exponent a^b·ln(a)·g.  Where a = 0 the exponent's
    share is 0 (a^b·ln a → 0 as a → 0 for b > 0).  A negative base has a real power only at whole
    exponents; there the exponent's share uses ln|a|, the derivative of the real part of the power
    (the value itself is NaN at fractional exponents, without a warning).
    """
    a, b = as_node(a), as_node(b)

    def forward(out: Node) -> None:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            out.value = np.power(a.value, b.value)

    def backward(out: Node) -> None:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if a.requires_grad:
                a.accumulate(out.grad * b.value * np.power(a.value, b.value - 1.0))  # b·a^(b−1)
            if b.requires_grad:
                magnitude = np.abs(a.value)
                log_a = np.log(np.where(magnitude > 0, magnitude, 1.0))
                b.accumulate(out.grad * np.where(magnitude > 0, out.value * log_a, 0.0))  # a^b·ln a

    return Node.from_op("power", (a, b), forward, backward, label=POWER.label)


# -- the rest of arithmetic --------------------------------------------------------------------------
NEG = register(
    OpInfo(
        name="neg",
        title="negation",
        symbol="−",
        word="negate",
        rule="negation: the input gets −g",
        derivative="∂(−a)/∂a = −1",
        formula="−{0}",
        label="−",
        derived_name="−{w0}",
    )
)


def neg(a) -> Node:
    """−a.  The gradient flows back with its sign flipped."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = -a.value

    def backward(out: Node) -> None:
        a.accumulate(-out.grad)

    return Node.from_op("neg", (a,), forward, backward, label=NEG.label)


SUB = register(
    OpInfo(
        name="sub",
        title="difference",
        symbol="−",
        word="difference",
        rule="difference copies the gradient to the first input and sends it negated to the second",
        derivative="∂(a − b)/∂a = 1, ∂(a − b)/∂b = −1",
        formula="{0} − {1}",
        label="−",
        derived_name="{w0}−{w1}",
        backward_text=lambda c: (
            "difference copies the gradient to the first input and sends it negated to the second: "
            f"g = {c.g}, so {c.got(0)}; {c.got(1)}"
        ),
    )
)


def sub(a, b) -> Node:
    """a − b.  Like a sum, but the second input receives the gradient negated."""
    a, b = as_node(a), as_node(b)

    def forward(out: Node) -> None:
        out.value = a.value - b.value

    def backward(out: Node) -> None:
        a.accumulate(out.grad)
        if b.requires_grad:
            b.accumulate(-out.grad)

    return Node.from_op("sub", (a, b), forward, backward, label=SUB.label)


DIV = register(
    OpInfo(
        name="div",
        title="quotient",
        symbol="÷",
        word="quotient",
        rule="quotient: the numerator gets g / b, the denominator gets −g·a / b²",
        derivative="∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²",
        formula="{0} / {1}",
        label="÷",
        derived_name="{w0}/{w1}",
        domain="cannot divide by zero",
    )
)


def div(a, b) -> Node:
    """a / b.  Quotient rule: the numerator receives g/b, the denominator −g·a/b² (= −g·out/b).

    Division by zero gives ±inf or NaN, without a warning: the caller decides what it means.
    """
    a, b = as_node(a), as_node(b)

    def forward(out: Node) -> None:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out.value = a.value / b.value

    def backward(out: Node) -> None:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            share = out.grad / b.value  # g / b
            if a.requires_grad:
                a.accumulate(share)
            if b.requires_grad:
                b.accumulate(-share * out.value)  # −g·a/b² = −(g/b)·(a/b)

    return Node.from_op("div", (a, b), forward, backward, label=DIV.label)


def _square_text(c) -> str:
    a = c.node.parents[0]
    base = c.parts[0]
    how = f"2 · {describe(a.value)} · {c.g}" if a.value.size == 1 else f"2·{base}·g"
    return f"square: the input gets 2·{base} × the gradient: {base} gets {how} = {c.sent_to(0)}"


SQUARE = register(
    OpInfo(
        name="square",
        title="square",
        symbol="²",
        word="square",
        rule="square: the input gets 2·a × the gradient",
        derivative="∂(a²)/∂a = 2a",
        formula="{0}²",
        label="²",
        derived_name="{w0}²",
        backward_text=_square_text,
    )
)


def square(a) -> Node:
    """a².  The power rule with n = 2: the input receives 2·a times the gradient."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = a.value * a.value

    def backward(out: Node) -> None:
        a.accumulate(2.0 * a.value * out.grad)

    return Node.from_op("square", (a,), forward, backward, label=SQUARE.label)


def sum_all(nodes) -> Node:
    """Add many nodes with a chain of two-input sum nodes, as the articles draw ŷ = Σ k_i·x^i."""
    nodes = list(nodes)
    total = nodes[0]
    for node in nodes[1:]:
        total = add(total, node)
    return total


# The element-wise functions and the reductions, where callers look for them: ops.exp, ops.mean, …
from .functions import abs, arctan, cos, exp, huber, legendre, log, sin, sqrt, tan, tanh  # noqa: E402, A004
from .reductions import matmul, mean, mean_square, sum  # noqa: E402, A004

__all__ = [
    "abs",
    "add",
    "arctan",
    "cos",
    "div",
    "exp",
    "huber",
    "legendre",
    "log",
    "matmul",
    "mean",
    "mean_square",
    "mul",
    "neg",
    "pow",
    "power",
    "sin",
    "sqrt",
    "square",
    "sub",
    "sum",
    "sum_all",
    "tan",
    "tanh",
]

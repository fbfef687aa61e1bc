"""Backprop in words: readable names for a graph's nodes, and each op's forward and backward rule with numbers.

Used by ``walk.py`` to narrate a pass.  The rules are the ones in ``ops.py`` (a sum copies its gradient,
a product sends each input the gradient times the other input, a power x^n sends n·x^(n−1) times it),
written out for the node at hand with the engine's own values.
"""

from __future__ import annotations

import re

import numpy as np

from .graph import Graph
from .node import Node

# Labels an op gives its node when nobody names it: such nodes get a name made from their inputs.
_DEFAULT_LABELS = {"", "+", "×", "−", "²", "Σ", "mean", "mean(·²)", "@", "tanh", "exp", "log", "|·|", "huber"}
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


# -- names and numbers -------------------------------------------------------------------------------
def pretty(label: str) -> str:
    """``x^3`` → ``x³``: integer exponents written as superscripts."""
    return re.sub(r"\^(-?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), label)


def number(value: float) -> str:
    """A number to four significant digits (no ``-0``)."""
    value = float(value)
    if value == 0:
        return "0"
    return f"{value:.4g}"


def describe(value) -> str:
    """A value for display: the number itself for a scalar, a size and mean summary for an array."""
    a = np.asarray(value, dtype=np.float64)
    if a.size == 1:
        return number(a.reshape(-1)[0])
    if a.size == 0:
        return "[no values]"
    size = f"{a.size} values" if a.ndim == 1 else "×".join(str(n) for n in a.shape)
    return f"[{size}] mean {number(a.mean())}"


def node_names(graph: Graph) -> dict[int, str]:
    """A short readable name for every node (keyed by ``id``): its label, or one made from its inputs."""
    names: dict[int, str] = {}
    sums = 0
    for node in graph.nodes:
        label = node.label
        if node.op == "leaf":
            if label in ("", "const"):
                name = describe(node.value) if node.value.size == 1 else "const"
            else:
                name = pretty(label)
        elif label not in _DEFAULT_LABELS and not (node.op == "pow" and label.startswith("^")):
            name = pretty(label)
        else:
            parts = [names[id(p)] for p in node.parents]
            name = _derived_name(node, parts)
            if name is None:
                sums += 1
                name = f"s{sums}"
        names[id(node)] = name
    return names


def _derived_name(node: Node, parts: list[str]) -> str | None:
    op = node.op
    if op == "add":
        joined = f"{parts[0]}+{parts[1]}"
        chained = any(p.op == "add" and p.label == "+" for p in node.parents)
        return None if chained or len(joined) > 10 else joined
    if op == "pow":
        exponent = node.meta.get("exponent", 1.0)
        text = f"{int(exponent)}" if exponent == int(exponent) else f"{exponent:g}"
        return f"{wrap(parts[0])}{text.translate(_SUPERSCRIPT)}"
    formats = {
        "sub": "{w0}−{w1}",
        "mul": "{w0}·{w1}",
        "matmul": "{w0}@{w1}",
        "square": "{w0}²",
        "sum": "Σ{w0}",
        "mean": "mean {w0}",
        "mean_square": "mean {w0}²",
        "neg": "−{w0}",
        "abs": "|{0}|",
    }
    if op in formats:
        wrapped = {f"w{i}": wrap(part) for i, part in enumerate(parts)}
        return formats[op].format(*parts, **wrapped)
    return f"{op}({parts[0]})"


def wrap(name: str) -> str:
    """A name ready to follow ∂ or an operator: in parentheses unless it is a plain word."""
    return name if len(name) <= 3 or name.replace("_", "").isalnum() else f"({name})"


# -- rules in words ------------------------------------------------------------------------------------
def forward_rule(node: Node, names: dict[int, str]) -> str:
    """What computing ``node`` means, with its numbers (after its value was computed)."""
    name = names[id(node)]
    value = describe(node.value)
    if node.op == "leaf":
        if node.requires_grad:
            return f"knob {name} = {value}: a leaf, read straight from the knob, nothing to compute"
        return f"data {name} = {value}: a leaf, nothing to compute"
    p = [names[id(q)] for q in node.parents]
    v = [q.value for q in node.parents]
    scalars = all(np.size(x) == 1 for x in v)
    op = node.op
    n = node.meta.get("exponent", 1.0)
    formulas = {
        "add": ("sum", "{0} + {1}"),
        "sub": ("difference", "{0} − {1}"),
        "mul": ("product", "{0} · {1}"),
        "pow": ("power", "{0}^" + f"{n:g}"),
        "square": ("square", "{0}²"),
        "sum": ("sum of all elements", "Σ {0}"),
        "tanh": ("tanh", "tanh({0})"),
        "matmul": ("matrix product", "{0} @ {1}"),
        "neg": ("negation", "−{0}"),
        "exp": ("exponential", "exp({0})"),
        "log": ("logarithm", "log({0})"),
        "abs": ("absolute value", "|{0}|"),
        "legendre": ("Legendre polynomial", node.label + "({0})"),
        "huber": ("Huber", "huber({0}, δ = " + f"{node.meta.get('delta', 1.0):g})"),
    }
    if op == "mean":
        count = max(np.size(v[0]), 1)
        formula = f"{p[0]} / 1" if count == 1 else f"(sum of the {count} values of {p[0]}) / {count}"
        return f"mean: {name} = {formula} = {value}"
    if op == "mean_square":
        return f"mean of squares: {name} = Σ {p[0]}² / {max(np.size(v[0]), 1)} = {value}"
    kind, template = formulas.get(op, (op, op + "(" + ", ".join(f"{{{i}}}" for i in range(len(p))) + ")"))
    text = f"{kind}: {name}"
    formula = template.format(*p)
    if formula.replace(" ", "") != name.replace(" ", ""):
        text += f" = {formula}"
    if scalars and op not in ("matmul",):
        text += " = " + template.format(*(describe(x) for x in v))
    elif op == "matmul":
        text += f" (shapes {_shape(v[0])} @ {_shape(v[1])})"
    return f"{text} = {value}"


def backward_rule(node: Node, names: dict[int, str], sent: dict[int, np.ndarray]) -> str:
    """What ``node``'s backward rule does with its gradient g, with the numbers it sent to each input."""
    name = names[id(node)]
    g = describe(node.grad)
    if node.op == "leaf":
        if node.requires_grad:
            return (
                f"{name} is a knob: every path from L to it has delivered its share, so ∂L/∂{wrap(name)} = {g} is final"
            )
        return f"{name} is data: it receives no gradient"
    if not node.requires_grad:
        text = f"{name} depends on data only (no knob upstream): the engine sends it no gradient and skips it"
        if node.op == "pow":
            n = node.meta.get("exponent", 1.0)
            p = names[id(node.parents[0])]
            local = "0 (x⁰ = 1 does not depend on x)" if n == 0 else f"{n:g}" if n == 1 else f"{n:g}·{_power(p, n - 1)}"
            text += f". The power rule n·x^(n−1) would send {p} the gradient × {local}, but {p} is data, not a knob"
        return text
    p = [names[id(q)] for q in node.parents]

    def got(i: int) -> str:
        parent = node.parents[i]
        if not parent.requires_grad:
            return f"{p[i]} is data and gets nothing"
        if id(parent) not in sent:
            return f"{p[i]} gets nothing"
        return f"{p[i]} gets {describe(sent[id(parent)])}"

    op = node.op
    if op == "add":
        return f"sum copies the gradient to both inputs: g = {g}, so {got(0)} and {got(1)}"
    if op == "sub":
        return (
            f"difference copies the gradient to the first input and sends it negated to the second: "
            f"g = {g}, so {got(0)}; {got(1)}"
        )
    if op == "mul":
        parts = []
        for mine, other in ((0, 1), (1, 0)):
            target, partner = node.parents[mine], node.parents[other]
            if not target.requires_grad:
                parts.append(f"{p[mine]} is data and gets nothing")
                continue
            summed = summed_elements(node, target)
            how = (
                f"{g} · {describe(partner.value)}"
                if node.grad.size == 1 and partner.value.size == 1
                else f"g · {p[other]}" + (f" summed over the {summed} points" if summed > 1 else "")
            )
            parts.append(f"{p[mine]} gets {how} = {describe(sent[id(target)])}")
        return f"product sends each input the gradient × the other input: g = {g}; " + "; ".join(parts)
    if op == "pow" and node.meta.get("exponent", 1.0) == 0:
        return f"power rule n·x^(n−1) with n = 0: {names[id(node)]} = 1 does not depend on {p[0]}, which gets nothing"
    if op == "pow":
        n = node.meta.get("exponent", 1.0)
        return (
            f"power rule n·x^(n−1): {p[0]} gets g · {n:g}·{_power(p[0], n - 1)} = {g} · "
            f"{describe(n * np.power(node.parents[0].value, n - 1))}: {got(0)}"
        )
    if op == "square":
        a = node.parents[0]
        how = f"2 · {describe(a.value)} · {g}" if a.value.size == 1 else f"2·{p[0]}·g"
        return f"square: the input gets 2·{p[0]} × the gradient: {p[0]} gets {how} = {describe(sent[id(a)])}"
    if op == "mean":
        count = max(node.parents[0].value.size, 1)
        each = f"each of the {count} elements of {p[0]}" if count > 1 else f"{p[0]} (one element)"
        return (
            f"mean: gradient / N to each element: {each} gets {g} / {count} = {describe(np.asarray(node.grad) / count)}"
        )
    if op == "sum":
        return f"sum copies the gradient to every element it added up: each element of {p[0]} gets {g}"
    if op == "mean_square":
        count = max(node.parents[0].value.size, 1)
        return f"mean of squares: each element gets 2·{p[0]}/{count} × the gradient; {got(0)}"
    if op == "matmul":
        return (
            f"matrix product: each input gets the gradient times the other input, transposed "
            f"({p[0]} gets G·{p[1]}ᵀ, {p[1]} gets {p[0]}ᵀ·G, summed over the data points); "
            f"{got(0)}; {got(1)}"
        )
    if op in _ONE_INPUT_RULES:
        return _ONE_INPUT_RULES[op].format(label=node.label) + f"; {got(0)}"
    return f"{op}: chain rule, local derivative × the gradient; " + "; ".join(got(i) for i in range(len(p)))


_ONE_INPUT_RULES = {
    "tanh": "tanh: the input gets (1 − tanh²) × the gradient, reusing the forward value",
    "neg": "negation: the input gets −g",
    "exp": "exp: the input gets e^a × the gradient (its own value)",
    "log": "log: the input gets the gradient / a",
    "abs": "absolute value: the input gets sign(a) × the gradient",
    "huber": "Huber: the input gets clip(a, −δ, δ) × the gradient",
    "legendre": "Legendre: the input gets {label}′(t) × the gradient",
}


def _power(name: str, n: float) -> str:
    if n == 0:
        return "1"
    if n == 1:
        return name
    text = f"{int(n)}" if n == int(n) else f"{n:g}"
    return f"{wrap(name)}{text.translate(_SUPERSCRIPT)}"


def _shape(value) -> str:
    shape = np.shape(value)
    return "×".join(str(n) for n in shape) if shape else "scalar"


def summed_elements(node: Node, parent: Node) -> int:
    """How many per-element contributions were added up into ``parent`` (a scalar knob used at N points)."""
    if node.op in ("add", "sub", "mul") and node.value.size > parent.value.size:
        return node.value.size // max(parent.value.size, 1)
    if node.op == "matmul" and parent is node.parents[1] and node.parents[0].value.ndim == 2:
        return node.parents[0].value.shape[0]
    return 1

"""A formula's tree written back as text: with as few parentheses as it needs, and with fitted values.

``render(tree)`` is the canonical text of a formula (``parse(render(t))`` computes what ``t`` does);
``render(tree, values)`` writes the parameters' values in their place, for "Copy formula" and exports:
``a*exp(-b*x) + c`` with a = 2, b = 0.5, c = 1 becomes ``2*exp(-0.5*x) + 1``.
"""

from __future__ import annotations

import math
import re

from .formula import Binary, Call, Expr, Negate, Number, Parameter, Variable

_PRECEDENCE = {"+": 10, "-": 10, "*": 20, "/": 20, "^": 40}
_PREFIX = 30
_ATOM = 50
_LITERAL = re.compile(r"^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^(pi|e)$")


def render(tree: Expr, values: dict[str, float] | None = None, digits: int = 17) -> str:
    """The formula as text; with ``values`` each named parameter is replaced by its value (to ``digits``
    significant digits; 17 or more: the shortest text that reads back as exactly the same double)."""
    return _render(tree, values or {}, digits)[0]


def _render(tree: Expr, values: dict[str, float], digits: int) -> tuple[str, int]:
    """(text, precedence of its outermost operation)."""
    if isinstance(tree, Variable):
        return "x", _ATOM
    if isinstance(tree, Parameter):
        if tree.name in values:
            return _number(values[tree.name], digits, literal=None)
        return tree.name, _ATOM
    if isinstance(tree, Number):
        return _number(tree.value, digits, literal=tree.text)
    if isinstance(tree, Call):
        return f"{tree.function}({_render(tree.argument, values, digits)[0]})", _ATOM
    if isinstance(tree, Negate):
        text, precedence = _render(tree.operand, values, digits)
        return "-" + (text if precedence > _PREFIX else f"({text})"), _PREFIX
    assert isinstance(tree, Binary)  # the one kind of node left
    return _binary(tree, values, digits)


def _binary(tree: Binary, values: dict[str, float], digits: int) -> tuple[str, int]:
    own = _PRECEDENCE[tree.op]
    left, left_precedence = _render(tree.left, values, digits)
    right, right_precedence = _render(tree.right, values, digits)
    if tree.op == "^":
        wrap_left = left_precedence <= own  # powers group to the right: (a^b)^c keeps its parentheses
        wrap_right = right_precedence < _PREFIX
    else:
        wrap_left = left_precedence < own
        wrap_right = right_precedence < own or (right_precedence == own and tree.op in "-/")
    wrap_right = wrap_right or right.startswith("-")  # x*(-2), not x*-2: clearer, and other tools read it
    if wrap_left:
        left = f"({left})"
    if wrap_right:
        right = f"({right})"
    if tree.op in "+-":
        return f"{left} {tree.op} {right}", own
    return f"{left}{tree.op}{right}", own


def _number(value: float, digits: int, literal: str | None) -> tuple[str, int]:
    """A number as text; negative numbers bind like a unary minus."""
    if literal is not None and _LITERAL.match(literal):
        return literal, _ATOM
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} in a formula")
    text = repr(float(value)) if digits >= 17 else f"{value:.{digits}g}"  # repr: the shortest exact text
    return (text, _PREFIX) if text.startswith("-") else (text, _ATOM)

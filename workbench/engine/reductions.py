"""Reductions: ops that turn many numbers into one (Σ, mean, mean of squares) or mix them (matrix product).

Their backward rules spread one gradient back over many elements: a sum copies it to each, a mean
divides it by the count, a matrix product multiplies it by the other input, transposed.  Each op's
words (``OpInfo``) sit beside it, as in ``ops.py``.
"""

from __future__ import annotations

import numpy as np

from .node import Node, as_node
from .opinfo import OpInfo, register
from .words import describe

SUM = register(
    OpInfo(
        name="sum",
        title="sum of all elements",
        symbol="Σ",
        word="sum",
        rule="sum copies the gradient to every element it added up",
        derivative="∂(Σ a)/∂aᵢ = 1",
        formula="Σ {0}",
        label="Σ",
        derived_name="Σ{w0}",
        backward_text=lambda c: (
            f"sum copies the gradient to every element it added up: each element of {c.parts[0]} gets {c.g}"
        ),
    )
)


def sum(a) -> Node:  # noqa: A001 - reads like the maths
    """Σ a over all elements.  A sum node copies its gradient to every element it added up."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = np.sum(a.value)

    def backward(out: Node) -> None:
        a.accumulate(out.grad)  # a scalar: broadcast to every element (copied)

    return Node.from_op("sum", (a,), forward, backward, label=SUM.label)


def _mean_forward(c) -> str:
    count = max(np.size(c.node.parents[0].value), 1)
    base = c.parts[0]
    formula = f"{base} / 1" if count == 1 else f"(sum of the {count} values of {base}) / {count}"
    return f"mean: {c.name} = {formula} = {describe(c.node.value)}"


def _mean_text(c) -> str:
    count = max(c.node.parents[0].value.size, 1)
    base = c.parts[0]
    each = f"each of the {count} elements of {base}" if count > 1 else f"{base} (one element)"
    return (
        f"mean: gradient / N to each element: {each} gets {c.g} / {count} = {describe(np.asarray(c.node.grad) / count)}"
    )


MEAN = register(
    OpInfo(
        name="mean",
        title="mean",
        symbol="",
        word="mean",
        rule="mean: gradient / N to each element",
        derivative="∂(mean a)/∂aᵢ = 1/N",
        formula="mean {0}",
        label="mean",
        derived_name="mean {w0}",
        forward_text=_mean_forward,
        backward_text=_mean_text,
    )
)


def mean(a) -> Node:
    """Mean of a over all elements: a sum whose copied gradient is divided by the count."""
    a = as_node(a)
    count = max(a.value.size, 1)

    def forward(out: Node) -> None:
        out.value = np.sum(a.value) / count

    def backward(out: Node) -> None:
        a.accumulate(out.grad / count)  # a scalar: broadcast to every element, divided by the count

    return Node.from_op("mean", (a,), forward, backward, label=MEAN.label)


MEAN_SQUARE = register(
    OpInfo(
        name="mean_square",
        title="mean of squares",
        symbol="",
        word="mean of ²",
        rule="mean of squares: each element gets 2·a/N × the gradient",
        derivative="∂(mean a²)/∂aᵢ = 2aᵢ/N",
        formula="mean {0}²",
        label="mean(·²)",
        derived_name="mean {w0}²",
        forward_text=lambda c: (
            f"mean of squares: {c.name} = Σ {c.parts[0]}² / {max(np.size(c.node.parents[0].value), 1)} "
            f"= {describe(c.node.value)}"
        ),
        backward_text=lambda c: (
            f"mean of squares: each element gets 2·{c.parts[0]}/{max(c.node.parents[0].value.size, 1)} "
            f"× the gradient; {c.got(0)}"
        ),
    )
)


def mean_square(a) -> Node:
    """mean(a²) in one node (the fused graph's MSE): the power rule and the mean's copy, d/da = 2a/N."""
    a = as_node(a)
    count = max(a.value.size, 1)

    def forward(out: Node) -> None:
        v = a.value.ravel()
        out.value = np.asarray(v @ v / count)

    def backward(out: Node) -> None:
        a.accumulate(a.value * (2.0 * out.grad / count))

    return Node.from_op("mean_square", (a,), forward, backward, label=MEAN_SQUARE.label)


def _shape(value) -> str:
    shape = np.shape(value)
    return "×".join(str(n) for n in shape) if shape else "scalar"


def _matmul_summed(node: Node, parent: Node) -> int:
    if parent is node.parents[1] and node.parents[0].value.ndim == 2:
        return node.parents[0].value.shape[0]
    return 1


MATMUL = register(
    OpInfo(
        name="matmul",
        title="matrix product",
        symbol="@",
        word="matmul",
        rule="matrix product: each input gets the gradient times the other input, transposed",
        derivative="∂(A·B)/∂A = G·Bᵀ, ∂(A·B)/∂B = Aᵀ·G",
        formula="{0} @ {1}",
        label="@",
        derived_name="{w0}@{w1}",
        forward_text=lambda c: c.forward_sentence(
            numbers=False, extra=f" (shapes {_shape(c.node.parents[0].value)} @ {_shape(c.node.parents[1].value)})"
        ),
        backward_text=lambda c: (
            "matrix product: each input gets the gradient times the other input, transposed "
            f"({c.parts[0]} gets G·{c.parts[1]}ᵀ, {c.parts[1]} gets {c.parts[0]}ᵀ·G, summed over the data points); "
            f"{c.got(0)}; {c.got(1)}"
        ),
        summed=_matmul_summed,
    )
)


def matmul(a, b) -> Node:
    """a @ b for matrices and vectors (matvec is the design-matrix product X·k)."""
    a, b = as_node(a), as_node(b)

    def forward(out: Node) -> None:
        out.value = a.value @ b.value

    def backward(out: Node) -> None:
        g, av, bv = out.grad, a.value, b.value
        if a.requires_grad:
            if bv.ndim == 1:
                a.accumulate(np.multiply.outer(g, bv))  # (n,m)·(m,) or (m,)·(m,): outer(g, b)
            else:
                a.accumulate(g @ bv.T if av.ndim > 1 else bv @ g)  # G·Bᵀ, or B·g for a vector a
        if b.requires_grad:
            if av.ndim == 1:
                b.accumulate(np.multiply.outer(av, g))  # (m,)·(m,p) or (m,)·(m,): outer(a, g)
            else:
                b.accumulate(av.T @ g)  # Aᵀ·G; for the design matrix, d/dk (X·k) = Xᵀ·g

    return Node.from_op("matmul", (a, b), forward, backward, label=MATMUL.label)

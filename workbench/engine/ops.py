"""The engine's operations, each a forward rule and, right beside it, its backward rule.

Every backward receives ``out`` (the op's output node, whose ``grad`` is d(loss)/d(out)) and adds to
each input's gradient d(loss)/d(input) = d(loss)/d(out) · d(out)/d(input): the chain rule, one link.
The three rules from the Curve Fitter 6000 articles are ``add`` (a sum copies its gradient to every
input), ``mul`` (a product sends each input the gradient times the *other* input) and ``pow`` (a power
x^n sends n·x^(n−1) times the gradient).  Broadcasting is undone in ``Node.accumulate``.
"""

from __future__ import annotations

import numpy as np

from .node import Node, as_node


# -- the articles' three rules ---------------------------------------------------------------------
def add(a, b) -> Node:
    """a + b.  Sum rule: the gradient is copied, unchanged, to both inputs."""
    a, b = as_node(a), as_node(b)

    def forward(out: Node) -> None:
        out.value = a.value + b.value

    def backward(out: Node) -> None:
        a.accumulate(out.grad)  # sum copies
        b.accumulate(out.grad)  # sum copies

    return Node.from_op("add", (a, b), forward, backward, label="+")


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

    return Node.from_op("mul", (a, b), forward, backward, label="×")


def pow(a, n: float) -> Node:  # noqa: A001 - the op is called pow in the articles too
    """a ** n for a constant exponent n.  Power rule: the input receives n·a^(n−1) times the gradient."""
    a = as_node(a)
    n = float(n)

    def forward(out: Node) -> None:
        out.value = np.power(a.value, n) if n != 0 else np.ones_like(a.value)

    def backward(out: Node) -> None:
        if n == 0:
            return  # x^0 = 1 does not depend on x
        local = n * np.power(a.value, n - 1) if n != 1 else 1.0  # n·x^(n−1)
        a.accumulate(out.grad * local)

    label = f"^{int(n)}" if n == int(n) else f"^{n:g}"
    return Node.from_op("pow", (a,), forward, backward, label=label, exponent=n)


# -- the rest of arithmetic --------------------------------------------------------------------------
def neg(a) -> Node:
    """−a.  The gradient flows back with its sign flipped."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = -a.value

    def backward(out: Node) -> None:
        a.accumulate(-out.grad)

    return Node.from_op("neg", (a,), forward, backward, label="−")


def sub(a, b) -> Node:
    """a − b.  Like a sum, but the second input receives the gradient negated."""
    a, b = as_node(a), as_node(b)

    def forward(out: Node) -> None:
        out.value = a.value - b.value

    def backward(out: Node) -> None:
        a.accumulate(out.grad)
        if b.requires_grad:
            b.accumulate(-out.grad)

    return Node.from_op("sub", (a, b), forward, backward, label="−")


def square(a) -> Node:
    """a².  The power rule with n = 2: the input receives 2·a times the gradient."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = a.value * a.value

    def backward(out: Node) -> None:
        a.accumulate(2.0 * a.value * out.grad)

    return Node.from_op("square", (a,), forward, backward, label="²")


def sum(a) -> Node:  # noqa: A001 - reads like the maths
    """Σ a over all elements.  A sum node copies its gradient to every element it added up."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = np.sum(a.value)

    def backward(out: Node) -> None:
        a.accumulate(out.grad)  # a scalar: broadcast to every element (copied)

    return Node.from_op("sum", (a,), forward, backward, label="Σ")


def mean(a) -> Node:
    """Mean of a over all elements: a sum whose copied gradient is divided by the count."""
    a = as_node(a)
    count = max(a.value.size, 1)

    def forward(out: Node) -> None:
        out.value = np.sum(a.value) / count

    def backward(out: Node) -> None:
        a.accumulate(out.grad / count)  # a scalar: broadcast to every element, divided by the count

    return Node.from_op("mean", (a,), forward, backward, label="mean")


def mean_square(a) -> Node:
    """mean(a²) in one node (the fused graph's MSE): the power rule and the mean's copy, d/da = 2a/N."""
    a = as_node(a)
    count = max(a.value.size, 1)

    def forward(out: Node) -> None:
        v = a.value.ravel()
        out.value = np.asarray(v @ v / count)

    def backward(out: Node) -> None:
        a.accumulate(a.value * (2.0 * out.grad / count))

    return Node.from_op("mean_square", (a,), forward, backward, label="mean(·²)")


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

    return Node.from_op("matmul", (a, b), forward, backward, label="@")


# -- element-wise functions --------------------------------------------------------------------------
def tanh(a) -> Node:
    """tanh(a).  d tanh/da = 1 − tanh², reused from the forward value."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = np.tanh(a.value)

    def backward(out: Node) -> None:
        a.accumulate(out.grad * (1.0 - out.value * out.value))

    return Node.from_op("tanh", (a,), forward, backward, label="tanh")


def exp(a) -> Node:
    """e^a.  Its own derivative."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = np.exp(a.value)

    def backward(out: Node) -> None:
        a.accumulate(out.grad * out.value)

    return Node.from_op("exp", (a,), forward, backward, label="exp")


def log(a) -> Node:
    """ln a.  d ln a/da = 1/a."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = np.log(a.value)

    def backward(out: Node) -> None:
        a.accumulate(out.grad / a.value)

    return Node.from_op("log", (a,), forward, backward, label="log")


def abs(a) -> Node:  # noqa: A001
    """|a|.  The gradient passes with the sign of a (0 at the kink, a valid subgradient)."""
    a = as_node(a)

    def forward(out: Node) -> None:
        out.value = np.abs(a.value)

    def backward(out: Node) -> None:
        a.accumulate(out.grad * np.sign(a.value))

    return Node.from_op("abs", (a,), forward, backward, label="|·|")


def huber(a, delta: float = 1.0) -> Node:
    """Huber penalty: a²/2 near zero, δ(|a| − δ/2) beyond δ, so outliers pull linearly, not quadratically."""
    a = as_node(a)
    delta = float(delta)

    def forward(out: Node) -> None:
        r = np.abs(a.value)
        out.value = np.where(r <= delta, 0.5 * a.value * a.value, delta * (r - 0.5 * delta))

    def backward(out: Node) -> None:
        a.accumulate(out.grad * np.clip(a.value, -delta, delta))

    return Node.from_op("huber", (a,), forward, backward, label="huber", delta=delta)


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


def sum_all(nodes) -> Node:
    """Add many nodes with a chain of two-input sum nodes, as the articles draw ŷ = Σ k_i·x^i."""
    nodes = list(nodes)
    total = nodes[0]
    for node in nodes[1:]:
        total = add(total, node)
    return total

"""The node of a computational graph: a NumPy value, its gradient, and how it was made.

A node made by an op remembers its inputs (``parents``), a ``forward`` that recomputes its value from
theirs, and a ``backward`` that sends its gradient back to them by the chain rule.  Keeping both beside
each other in each op (see ``ops.py``) is what lets a graph be replayed: the app's graph view walks the
forward pass and the backward pass node by node, and the training loop re-runs a graph it built once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

ForwardFn = Callable[["Node"], None]
BackwardFn = Callable[["Node"], None]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Undo NumPy broadcasting: sum ``grad`` over the axes along which a value of ``shape`` was stretched.

    A scalar knob k that multiplies a vector of N data points was copied N times in the forward pass;
    each copy received a gradient, and the knob's gradient is their sum.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


class Node:
    """A value in the graph together with d(output)/d(value), accumulated by ``backward``.

    Leaves are created directly (data, knobs); every other node comes from an op in ``ops.py``.
    ``requires_grad`` is False for constants (the data x and y), so backward never spends time on them.
    """

    __slots__ = (
        "value",
        "grad",
        "parents",
        "op",
        "label",
        "requires_grad",
        "forward",
        "backward_fn",
        "meta",
        "__weakref__",
    )

    def __init__(self, value, *, label: str = "", requires_grad: bool = False):
        self.value = np.asarray(value, dtype=np.float64)
        self.requires_grad = requires_grad
        self.grad = _gradient_storage(self.value, requires_grad)
        self.parents: tuple[Node, ...] = ()
        self.op = "leaf"
        self.label = label
        self.forward: ForwardFn | None = None
        self.backward_fn: BackwardFn | None = None
        self.meta: dict = {}

    @classmethod
    def from_op(
        cls,
        op: str,
        parents: Iterable[Node],
        forward: ForwardFn,
        backward: BackwardFn,
        *,
        label: str | Callable[[Node], str] = "",
        **meta,
    ) -> Node:
        """Create an op's output node and compute its value at once (eager forward).

        ``label`` is a string, or a function of the new node (its parents and meta are set when called).
        """
        out = cls.__new__(cls)
        out.parents = tuple(parents)
        out.op = op
        out.requires_grad = any(p.requires_grad for p in out.parents)
        out.forward = forward
        out.backward_fn = backward
        out.meta = meta
        out.label = (label(out) if callable(label) else label) or op
        forward(out)
        out.grad = _gradient_storage(out.value, out.requires_grad)
        return out

    # -- gradient plumbing -------------------------------------------------------------------------
    def accumulate(self, grad) -> None:
        """Add one downstream contribution to this node's gradient (a node used twice gets both).

        A contribution with more elements than the value was broadcast in the forward pass and is
        summed back down; one with fewer (a scalar spread over a vector) broadcasts up by itself.
        """
        if not self.requires_grad:
            return
        if getattr(grad, "shape", None) != self.grad.shape and (
            np.ndim(grad) > self.grad.ndim or np.size(grad) > self.grad.size
        ):
            grad = unbroadcast(np.asarray(grad, dtype=np.float64), self.grad.shape)
        self.grad += grad

    def zero_grad(self) -> None:
        """Forget gradients from an earlier pass; each backward pass starts from zero."""
        if self.grad.shape == self.value.shape:
            self.grad.fill(0.0)
        else:
            self.grad = np.zeros_like(self.value)

    def backward(self) -> None:
        """Backpropagate from this scalar node: zero every gradient, seed 1 here, apply the chain rule."""
        from .graph import Graph  # local import: graph.py builds on this module

        Graph(self).backward()

    # -- conveniences so formulas read like maths (all delegate to ops.py) -------------------------
    def __add__(self, other):
        from . import ops

        return ops.add(self, other)

    def __radd__(self, other):
        from . import ops

        return ops.add(other, self)

    def __sub__(self, other):
        from . import ops

        return ops.sub(self, other)

    def __rsub__(self, other):
        from . import ops

        return ops.sub(other, self)

    def __mul__(self, other):
        from . import ops

        return ops.mul(self, other)

    def __rmul__(self, other):
        from . import ops

        return ops.mul(other, self)

    def __neg__(self):
        from . import ops

        return ops.neg(self)

    def __pow__(self, exponent):
        from . import ops

        return ops.pow(self, exponent)

    def __matmul__(self, other):
        from . import ops

        return ops.matmul(self, other)

    def __truediv__(self, other):
        from . import ops

        return ops.div(self, other)

    def __rtruediv__(self, other):
        from . import ops

        return ops.div(other, self)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the value (and of the gradient)."""
        return self.value.shape

    def __repr__(self) -> str:
        return f"Node({self.label or self.op}, shape={self.value.shape})"


def _gradient_storage(value: np.ndarray, requires_grad: bool) -> np.ndarray:
    """Zeros shaped like ``value``; for constants a read-only view that costs no memory.

    Data (the design matrix, y) never receives a gradient, and at a million points a real array of
    zeros for it would be tens of megabytes spent on nothing.
    """
    if requires_grad:
        return np.zeros_like(value)
    return np.broadcast_to(np.zeros((), dtype=np.float64), value.shape)


def as_node(value) -> Node:
    """Wrap a plain number or array as a constant leaf; leave nodes unchanged."""
    return value if isinstance(value, Node) else Node(value, label="const")


def parameter(value, label: str = "") -> Node:
    """A leaf whose gradient we want: a knob, a weight."""
    return Node(value, label=label, requires_grad=True)


def constant(value, label: str = "") -> Node:
    """A leaf that is data, not a knob: no gradient is accumulated into it."""
    return Node(value, label=label, requires_grad=False)

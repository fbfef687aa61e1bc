"""A loss graph compiled once into topological order, so it can be replayed pass after pass.

``topological_order`` walks the graph with an explicit stack (no recursion: a 100,000-node chain must
not hit Python's recursion limit).  ``Graph.forward`` recomputes every value from the leaves in that
order; ``Graph.backward`` zeroes every gradient, seeds d(loss)/d(loss) = 1 and applies each node's
backward rule in reverse order.  Training re-runs the same graph with new knob values, and the graph
view walks the very same order one node at a time.
"""

from __future__ import annotations

import numpy as np

from .node import Node


def topological_order(output: Node) -> list[Node]:
    """Every node ``output`` depends on, each after all of its inputs (inputs first, output last)."""
    order: list[Node] = []
    visited: set[int] = set()
    stack: list[tuple[Node, bool]] = [(output, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in reversed(node.parents):
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


class Graph:
    """The nodes behind one scalar output, in an order fixed once and reused by every pass."""

    def __init__(self, output: Node):
        if output.value.size != 1:
            raise ValueError(f"backward needs a scalar output, got shape {output.value.shape}")
        self.output = output
        self.nodes = topological_order(output)
        # Only nodes that lead to a knob take part in the backward pass; constants are skipped.
        self.backward_nodes = [n for n in self.nodes if n.requires_grad]

    def forward(self) -> float:
        """Recompute every value from the leaves (after knob values changed); returns the output."""
        for node in self.nodes:
            if node.forward is not None:
                node.forward(node)
        return float(self.output.value)

    def zero_grad(self) -> None:
        """Clear every gradient: gradients accumulate, so each pass must start from zero."""
        for node in self.backward_nodes:
            node.zero_grad()

    def backward(self) -> None:
        """Zero, seed d(output)/d(output) = 1, then apply the chain rule from the output back to the leaves."""
        self.zero_grad()
        if self.output.grad.shape != self.output.value.shape:
            self.output.grad = np.zeros_like(self.output.value)
        self.output.grad.fill(1.0)
        for node in reversed(self.backward_nodes):
            if node.backward_fn is not None:
                node.backward_fn(node)

    def __len__(self) -> int:
        return len(self.nodes)

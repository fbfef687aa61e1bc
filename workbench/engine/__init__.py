"""A small reverse-mode automatic differentiation engine over NumPy arrays (knows nothing of curves)."""

from . import ops
from .gradcheck import check_gradient, numerical_gradient, relative_error
from .graph import Graph, topological_order
from .node import Node, as_node, constant, parameter, unbroadcast

__all__ = [
    "Graph",
    "Node",
    "as_node",
    "check_gradient",
    "constant",
    "numerical_gradient",
    "ops",
    "parameter",
    "relative_error",
    "topological_order",
    "unbroadcast",
]

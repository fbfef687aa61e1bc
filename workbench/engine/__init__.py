"""A small reverse-mode automatic differentiation engine over NumPy arrays (knows nothing of curves)."""

from . import ops
from .gradcheck import check_gradient, numerical_gradient, relative_error
from .graph import Graph, topological_order
from .node import Node, as_node, constant, parameter, unbroadcast
from .opinfo import OpInfo, op_info, registered_ops

__all__ = [
    "Graph",
    "Node",
    "OpInfo",
    "as_node",
    "check_gradient",
    "constant",
    "numerical_gradient",
    "op_info",
    "ops",
    "parameter",
    "registered_ops",
    "relative_error",
    "topological_order",
    "unbroadcast",
]

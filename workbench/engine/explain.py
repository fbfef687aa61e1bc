"""Backprop in words: readable names for a graph's nodes, and each op's forward and backward rule with numbers.

Used by ``walk.py`` to narrate a pass.  What each op computes and which rule its backward pass applies
come from the op itself (its ``OpInfo``, registered beside it in ``ops.py`` or ``functions.py``); this
module fills them in for the node at hand with the engine's own values.
"""

from __future__ import annotations

import numpy as np

from .graph import Graph
from .node import Node
from .opinfo import op_info
from .words import describe, number, pretty, wrap

__all__ = [
    "RuleContext",
    "backward_rule",
    "describe",
    "forward_rule",
    "node_names",
    "number",
    "pretty",
    "summed_elements",
    "wrap",
]


# -- names ---------------------------------------------------------------------------------------------
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
        else:
            info = op_info(node.op)
            if label and label != info.default_label(node):
                name = pretty(label)
            else:
                derived = info.name_for(node, [names[id(p)] for p in node.parents])
                if derived is None:
                    sums += 1
                    derived = f"s{sums}"
                name = derived
        names[id(node)] = name
    return names


class RuleContext:
    """One node's rule being put into words: its name, its inputs' names, and what each input was sent.

    The ops' own narration functions (``OpInfo.backward_text`` and ``forward_text``) receive one.
    """

    def __init__(self, node: Node, names: dict[int, str], sent: dict[int, np.ndarray] | None = None):
        self.node = node
        self.names = names
        self.sent = sent or {}
        self.name = names[id(node)]
        self.parts = [names[id(p)] for p in node.parents]
        self.info = op_info(node.op)

    @property
    def g(self) -> str:
        """The node's gradient, described."""
        return describe(self.node.grad)

    def got(self, i: int) -> str:
        """What input ``i`` received in this backward step, in words."""
        parent = self.node.parents[i]
        if not parent.requires_grad:
            return f"{self.parts[i]} is data and gets nothing"
        if id(parent) not in self.sent:
            return f"{self.parts[i]} gets nothing"
        return f"{self.parts[i]} gets {describe(self.sent[id(parent)])}"

    def sent_to(self, i: int) -> str:
        """The contribution input ``i`` received, described."""
        return describe(self.sent[id(self.node.parents[i])])

    def summed(self, parent: Node) -> int:
        """How many per-point contributions were added up into ``parent``."""
        return summed_elements(self.node, parent)

    def forward_sentence(self, numbers: bool = True, extra: str = "") -> str:
        """ "title: name = formula [= the same with numbers]{extra} = value", the usual forward sentence."""
        node, info = self.node, self.info
        text = f"{info.title}: {self.name}"
        formula = info.formula_for(node, self.parts)
        if formula.replace(" ", "") != self.name.replace(" ", ""):
            text += f" = {formula}"
        values = [p.value for p in node.parents]
        if numbers and all(np.size(v) == 1 for v in values):
            text += " = " + info.formula_for(node, [describe(v) for v in values])
        return f"{text}{extra} = {describe(node.value)}"


# -- rules in words ------------------------------------------------------------------------------------
def forward_rule(node: Node, names: dict[int, str]) -> str:
    """What computing ``node`` means, with its numbers (after its value was computed)."""
    name = names[id(node)]
    value = describe(node.value)
    if node.op == "leaf":
        if node.requires_grad:
            return f"knob {name} = {value}: a leaf, read straight from the knob, nothing to compute"
        return f"data {name} = {value}: a leaf, nothing to compute"
    context = RuleContext(node, names)
    if context.info.forward_text is not None:
        return context.info.forward_text(context)
    return context.forward_sentence()


def backward_rule(node: Node, names: dict[int, str], sent: dict[int, np.ndarray]) -> str:
    """What ``node``'s backward rule does with its gradient g, with the numbers it sent to each input."""
    name = names[id(node)]
    if node.op == "leaf":
        if node.requires_grad:
            return (
                f"{name} is a knob: every path from L to it has delivered its share, "
                f"so ∂L/∂{wrap(name)} = {describe(node.grad)} is final"
            )
        return f"{name} is data: it receives no gradient"
    context = RuleContext(node, names, sent)
    info = context.info
    if not node.requires_grad:
        text = f"{name} depends on data only (no knob upstream): the engine sends it no gradient and skips it"
        if info.data_only_note is not None:
            text += info.data_only_note(node, context.parts)
        return text
    if info.backward_text is not None:
        return info.backward_text(context)
    return f"{info.rule_for(node)}; " + "; ".join(context.got(i) for i in range(len(node.parents)))


def summed_elements(node: Node, parent: Node) -> int:
    """How many per-element contributions were added up into ``parent`` (a scalar knob used at N points)."""
    info = op_info(node.op)
    if info.summed is not None:
        return info.summed(node, parent)
    if node.op != "leaf" and node.value.size > parent.value.size:
        return node.value.size // max(parent.value.size, 1)
    return 1

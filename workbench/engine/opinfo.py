"""What an op teaches, kept beside its forward and backward: its name in words, its tag, its rule.

Each op in ``ops.py`` and ``functions.py`` registers one ``OpInfo`` next to the function that builds its
node.  The step-by-step walk, the explanations (``explain.py``) and the graph view read everything they
say about a node from here, so a new op is one function, one ``OpInfo`` and its test: nothing else
switches on op names.

Texts are templates.  ``formula`` and ``derived_name`` see the inputs' names as ``{0}``, ``{1}`` and,
wrapped in parentheses when needed, ``{w0}``, ``{w1}``; ``rule`` sees the node's ``label`` and ``meta``
(``{exponent}``, ``{delta}``, …).  Where a sentence needs more than a template (the product rule with
its numbers, say) the op gives a function of a ``RuleContext`` (see ``explain.py``) instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .node import Node
from .words import wrap

Text = str | Callable[..., str]


def _always(_node: Node) -> bool:
    return True


@dataclass(frozen=True)
class OpInfo:
    """One op's words: what it computes, the rule its backward pass applies, how the graph tags it.

    ``name`` is the op's key (``Node.op``); ``title`` what computing it is called ("exponential");
    ``symbol`` and ``word`` the tag in the corner of its box in the graph view; ``rule`` the backward
    rule in one line, the one it teaches ("exp: the input gets e^a × the gradient (its own value)");
    ``derivative`` the local derivative in symbols (∂out/∂a = e^a).  ``label`` is the label the op gives
    a node nobody named (a string, or a function of the node); such nodes get ``derived_name`` built from
    their inputs' names (None: a numbered name s1, s2, …).  ``domain`` says, for a message, where the op
    has no finite value ("is defined only for positive input").
    """

    name: str
    title: str
    symbol: str
    word: str
    rule: Text
    derivative: str
    formula: Text
    label: Text = ""
    derived_name: str | Callable[[Node, list[str]], str | None] | None = None
    backward_text: Callable[[Any], str] | None = None  # full backward sentence from a RuleContext
    forward_text: Callable[[Any], str] | None = None  # full forward sentence from a RuleContext
    sends_gradient: Callable[[Node], bool] = _always  # False where the output does not depend on the input
    summed: Callable[[Node, Node], int] | None = None  # per-point contributions a parent's gradient sums
    data_only_note: Callable[[Node, list[str]], str] | None = None  # what the rule would do to data
    domain: str = ""  # where the op has no finite value, said of its input(s): "needs positive input"
    formula_function: bool = False  # offered by name in the formula language: exp(…), sin(…)

    def default_label(self, node: Node) -> str:
        """The label this op gives a node when nobody names it."""
        label = self.label
        return label(node) if callable(label) else (label or self.name)

    def formula_for(self, node: Node, parts: list[str]) -> str:
        """The forward formula over the inputs' names (``exp(x)``, ``a · b``)."""
        if callable(self.formula):
            return self.formula(node, parts)
        return self.formula.format(*parts, **_wrapped(parts))

    def name_for(self, node: Node, parts: list[str]) -> str | None:
        """A readable name made from the inputs' names, or None for a numbered one."""
        derived = self.derived_name
        if derived is None:
            return None
        if callable(derived):
            return derived(node, parts)
        return derived.format(*parts, **_wrapped(parts))

    def rule_for(self, node: Node) -> str:
        """The backward rule in words, filled in for this node."""
        rule = self.rule
        if callable(rule):
            return rule(node)
        return rule.format(label=node.label, **node.meta)


def _wrapped(parts: list[str]) -> dict[str, str]:
    return {f"w{i}": wrap(part) for i, part in enumerate(parts)}


_REGISTRY: dict[str, OpInfo] = {}


def register(info: OpInfo) -> OpInfo:
    """Make ``info`` the words of every node whose ``op`` is ``info.name`` (one op, one entry)."""
    if info.name in _REGISTRY and _REGISTRY[info.name] is not info:
        raise ValueError(f"op {info.name!r} is registered twice")
    _REGISTRY[info.name] = info
    return info


LEAF = OpInfo(
    name="leaf",
    title="leaf",
    symbol="",
    word="leaf",
    rule="a leaf: the gradient stops here",
    derivative="",
    formula="",
)


def op_info(op: str) -> OpInfo:
    """The words of op ``op`` (a generic entry for an op nobody registered, so a view never fails)."""
    if op == "leaf":
        return LEAF
    info = _REGISTRY.get(op)
    if info is None:
        return OpInfo(
            name=op,
            title=op,
            symbol="",
            word=op,
            rule=f"{op}: chain rule, local derivative × the gradient",
            derivative="",
            formula=lambda _node, parts: f"{op}(" + ", ".join(parts) + ")",
            derived_name=lambda _node, parts: f"{op}(" + ", ".join(parts) + ")",
        )
    return info


def registered_ops() -> dict[str, OpInfo]:
    """Every registered op by name (a copy)."""
    return dict(_REGISTRY)

"""A graph's forward and backward passes as a sequence of small events, for showing backprop step by step.

The walk drives the real engine: each forward event calls that node's own ``forward``, each backward
event calls its own ``backward_fn``, so every number it reports is the engine's, and a finished walk
leaves the graph exactly as ``Graph.forward()`` followed by ``Graph.backward()`` would.

Forward: one ``visit`` per node in topological order (leaves are visited too: they are read, not
computed).  Backward: a ``zero`` event (every gradient cleared: gradients accumulate, so a pass must start
from zero), a ``seed`` event (∂L/∂L = 1), then one ``visit`` per node in reverse topological order, each
followed by one ``accumulate`` event per input that receives a contribution (with the input's gradient
before and after the ``+=``, and whether earlier consumers had already added theirs in this pass).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .explain import backward_rule, describe, forward_rule, node_names, summed_elements, wrap
from .graph import Graph
from .node import Node
from .opinfo import op_info

FORWARD, BACKWARD, IDLE = "forward", "backward", "idle"

__all__ = [
    "BACKWARD",
    "FORWARD",
    "IDLE",
    "WalkEvent",
    "Walker",
    "backward_events",
    "describe",
    "forward_events",
    "node_names",
    "receivers",
]


@dataclass(frozen=True, eq=False)
class WalkEvent:
    """One step of a walk: which node, what happened to it, and the rule in plain words with numbers.

    ``kind`` is ``visit`` (a node computed in the forward pass, or a node applying its backward rule),
    ``zero`` (all gradients cleared; ``zeroed`` lists the nodes), ``seed`` (∂L/∂L = 1 at ``node``) or
    ``accumulate`` (``node`` sends a contribution to ``parent``; ``before``/``after`` are the parent's
    gradient around the ``+=``).  Gradients are copies taken at the event; values are the engine's own
    arrays (a forward pass assigns new arrays instead of writing into old ones, so they stay as they were).
    """

    phase: str
    kind: str
    node: Node | None
    rule: str
    value: np.ndarray | None = None
    grad: np.ndarray | None = None
    parent: Node | None = None
    before: np.ndarray | None = None
    after: np.ndarray | None = None
    earlier_contributions: int = 0
    summed_elements: int = 1
    skipped: bool = False
    zeroed: tuple[Node, ...] = field(default_factory=tuple)

    @property
    def accumulated(self) -> bool:
        """True when the receiving node already had a contribution in this pass (several consumers)."""
        return self.kind == "accumulate" and self.earlier_contributions > 0

    @property
    def contribution(self) -> np.ndarray | None:
        """What this ``accumulate`` event added to the parent's gradient."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


# -- the passes ------------------------------------------------------------------------------------------
def receivers(node: Node) -> list[Node]:
    """The inputs ``node``'s backward rule adds a contribution to (each once, in order)."""
    if node.backward_fn is None or not node.requires_grad:
        return []
    if not op_info(node.op).sends_gradient(node):
        return []  # e.g. x^0 = 1 does not depend on x: nothing is sent
    seen: dict[int, Node] = {}
    for parent in node.parents:
        if parent.requires_grad and id(parent) not in seen:
            seen[id(parent)] = parent
    return list(seen.values())


def forward_events(graph: Graph, names: dict[int, str] | None = None) -> Iterator[WalkEvent]:
    """Compute the nodes one at a time in topological order, yielding an event after each."""
    names = node_names(graph) if names is None else names
    for node in graph.nodes:
        if node.forward is not None:
            node.forward(node)
        yield WalkEvent(FORWARD, "visit", node, forward_rule(node, names), value=node.value)


def backward_events(graph: Graph, names: dict[int, str] | None = None) -> Iterator[WalkEvent]:
    """Zero, seed, then apply each node's backward rule in reverse topological order, event by event.

    Mirrors ``Graph.backward`` exactly (same zeroing, same seed, same backward functions in the same
    order), so the graph ends in the state ``Graph.backward`` leaves it in.
    """
    names = node_names(graph) if names is None else names
    graph.zero_grad()
    zeroed = tuple(graph.backward_nodes)
    listed = ", ".join(names[id(n)] for n in zeroed)
    yield WalkEvent(
        BACKWARD,
        "zero",
        None,
        f"zero every gradient first: gradients accumulate with +=, so whatever the last pass left "
        f"would be added in. Zeroed: {listed}",
        zeroed=zeroed,
    )
    output = graph.output
    if output.grad.shape != output.value.shape:
        output.grad = np.zeros_like(output.value)
    output.grad.fill(1.0)
    out_name = names[id(output)]
    yield WalkEvent(
        BACKWARD,
        "seed",
        output,
        f"seed: ∂{out_name}/∂{out_name} = 1 (nudging {out_name} moves "
        f"{out_name} by just as much); the backward pass starts here",
        grad=np.array(output.grad),
    )
    contributions: dict[int, int] = {}
    for node in reversed(graph.nodes):
        targets = receivers(node)
        before = {id(p): np.array(p.grad) for p in targets}
        if node.requires_grad and node.backward_fn is not None:
            node.backward_fn(node)
        sent = {id(p): p.grad - before[id(p)] for p in targets}
        yield WalkEvent(
            BACKWARD,
            "visit",
            node,
            backward_rule(node, names, sent),
            value=node.value,
            grad=np.array(node.grad) if node.requires_grad else None,
            skipped=not node.requires_grad,
        )
        for parent in targets:
            earlier = contributions.get(id(parent), 0)
            contributions[id(parent)] = earlier + 1
            after = np.array(parent.grad)
            summed = summed_elements(node, parent)
            yield WalkEvent(
                BACKWARD,
                "accumulate",
                node,
                _accumulate_rule(node, parent, names, before[id(parent)], after, earlier, summed),
                value=parent.value,
                parent=parent,
                before=before[id(parent)],
                after=after,
                earlier_contributions=earlier,
                summed_elements=summed,
            )


def _accumulate_rule(
    node: Node, parent: Node, names: dict[int, str], before: np.ndarray, after: np.ndarray, earlier: int, summed: int
) -> str:
    source, target = names[id(node)], names[id(parent)]
    text = (
        f"accumulate into {target}: ∂L/∂{wrap(target)} += {describe(after - before)} (from {source}): "
        f"{describe(before)} → {describe(after)}"
    )
    if summed > 1:
        text += f"; the {summed} per-point contributions are added up ({target} is used at every data point)"
    if earlier:
        plural = "s" if earlier > 1 else ""
        text += (
            f"; {target} feeds several nodes, so this is added to the {earlier} earlier contribution{plural} "
            f"from this pass"
        )
    else:
        text += "; the first contribution this pass (it started from zero)"
    return text


class Walker:
    """Steps a graph's passes one event at a time and keeps what a view should show at each node.

    Idle (not walking), every node shows the engine's current value and gradient.  During a forward
    walk, nodes not computed yet show no value and no node shows a gradient; during a backward walk,
    gradients appear as they are zeroed, seeded and accumulated.
    """

    def __init__(self, graph: Graph, names: dict[int, str] | None = None):
        self.graph = graph
        self.names = node_names(graph) if names is None else names
        self.phase = IDLE
        self.finished = True
        self.position = 0  # events walked in the current pass
        self.current: WalkEvent | None = None
        self._events: Iterator[WalkEvent] | None = None
        self._values: dict[int, np.ndarray | None] = {}
        self._grads: dict[int, np.ndarray | None] = {}
        self._received: dict[int, int] = {}

    @property
    def walking(self) -> bool:
        """True while a pass is under way or has just been walked to its end."""
        return self.phase != IDLE

    def step_forward(self) -> WalkEvent:
        """Compute the next node (starting a new forward pass if none is under way)."""
        if self.phase != FORWARD or self.finished:
            self._start(FORWARD, forward_events(self.graph, self.names))
            self._values = {id(n): None for n in self.graph.nodes}
            self._grads = {}
        event = next(self._pass_events())
        self._values[id(event.node)] = event.value
        self._record(event, event.node is self.graph.output)
        return event

    def step_backward(self) -> WalkEvent:
        """Apply the next backward event (finishing an unfinished forward pass first, silently)."""
        if self.phase == FORWARD and not self.finished:
            for event in self._pass_events():
                self._values[id(event.node)] = event.value
        if self.phase != BACKWARD or self.finished:
            self._start(BACKWARD, backward_events(self.graph, self.names))
            self._values = {id(n): n.value for n in self.graph.nodes}
            self._grads = {id(n): None for n in self.graph.nodes}
            self._received = {}
        event = next(self._pass_events())
        if event.kind == "zero":
            for node in event.zeroed:
                self._grads[id(node)] = np.zeros_like(node.value)
        elif event.kind == "seed":
            self._grads[id(event.node)] = event.grad
            self._received[id(event.node)] = 1
        elif event.kind == "accumulate":
            self._grads[id(event.parent)] = event.after
            self._received[id(event.parent)] = self._received.get(id(event.parent), 0) + 1
        self._record(event, event.kind == "visit" and event.node is self.graph.nodes[0])
        return event

    def finish(self) -> None:
        """Walk to the end of a backward pass: the rest of the forward pass under way, or a whole new
        forward pass when nothing is being walked or the last backward pass is complete."""
        if self.phase == IDLE or (self.phase == BACKWARD and self.finished):
            self.step_forward()
        if self.phase == FORWARD:
            while not self.finished:
                self.step_forward()
            self.step_backward()
        while not self.finished:
            self.step_backward()

    def reset(self) -> None:
        """Stop walking: run both passes at once and show the engine's values and gradients."""
        self._events, self.current, self.position = None, None, 0
        self.phase, self.finished = IDLE, True
        self._values, self._grads = {}, {}
        self.graph.forward()
        self.graph.backward()

    def shown_value(self, node: Node) -> np.ndarray | None:
        """The value a view shows at ``node`` (None: not computed yet in this forward pass)."""
        if self.phase == IDLE:
            return node.value
        return self._values.get(id(node))

    def shown_grad(self, node: Node) -> np.ndarray | None:
        """The gradient a view shows at ``node`` (None: none yet in this pass, or data that gets none)."""
        if self.phase == IDLE:
            return node.grad if node.requires_grad else None
        return self._grads.get(id(node))

    def received(self, node: Node) -> int | None:
        """How many contributions ``node``'s gradient has received in the backward pass being walked
        (the seed counts as one; None when no backward pass is being walked)."""
        if self.phase != BACKWARD:
            return None
        return self._received.get(id(node), 0)

    def _pass_events(self) -> Iterator[WalkEvent]:
        """The events of the pass under way: one exists whenever the phase is set and not finished."""
        if self._events is None:
            raise RuntimeError("no forward or backward pass is under way")
        return self._events

    def _start(self, phase: str, events: Iterator[WalkEvent]) -> None:
        self.phase, self.finished, self.position, self._events = phase, False, 0, events

    def _record(self, event: WalkEvent, last: bool) -> None:
        self.current = event
        self.position += 1
        if last:
            self.finished = True
            self._events = None

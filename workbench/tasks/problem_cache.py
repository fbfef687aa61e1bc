"""Problems a compute process has built before: a run of the same problem reuses its design matrix and
engine graph instead of building them again (at 10⁶ points that is most of a run's start-up)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from workbench.fitting.problem import FitProblem

KEEP = 2  # problems remembered: the last one's training and held-out points (at 10⁷ points each is ~0.7 GB)

_built: OrderedDict[Hashable, FitProblem] = OrderedDict()
_enabled = False  # only a compute process remembers: in the window's process the document owns problems


def enable() -> None:
    """Remember problems from now on (a compute process calls this when it starts)."""
    global _enabled
    _enabled = True


def reuse(key: Hashable | None, problem: FitProblem) -> FitProblem:
    """The problem built earlier under ``key`` if there is one, else ``problem`` (remembered under ``key``)."""
    if key is None or not _enabled:
        return problem
    known = _built.get(key)
    if known is not None:
        _built.move_to_end(key)
        return known
    _built[key] = problem
    while len(_built) > KEEP:
        _built.popitem(last=False)
    return problem


def forget() -> None:
    """Drop every remembered problem (their memory goes back to the system)."""
    _built.clear()

"""A task context's stop flag with the part of ``threading.Event``'s interface the core's loops read."""

from __future__ import annotations

from .context import TaskContext


class StopFlag:
    """``is_set()`` and ``set()`` of the context's stop (what ``Trainer``, ``Race`` and the sweeps look at)."""

    def __init__(self, context: TaskContext):
        self._context = context

    def is_set(self) -> bool:
        """True once the task was asked to stop."""
        return self._context.stopped

    def set(self) -> None:
        """Ask the task to stop."""
        self._context.stop()

"""What a core loop reads to know it should end early: the part of ``threading.Event`` it uses.

A ``threading.Event`` has it, and so has the task runner's ``StopFlag`` (``workbench.tasks.stop_flag``).
"""

from __future__ import annotations

from typing import Protocol


class StopSignal(Protocol):
    """``is_set()`` says a stop was asked for; ``set()`` asks for one (a trainer's ``stop``)."""

    def is_set(self) -> bool:
        """True once a stop was asked for."""
        ...

    def set(self) -> None:
        """Ask for a stop."""
        ...

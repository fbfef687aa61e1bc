"""What a task sees of whoever runs it: a stop flag, the pace of reports, and the user's chosen pause.

The same ``TaskContext`` serves every way a task runs (a thread of the window, a compute process, inline in
a test): the runner sets ``stop``, ``acknowledge`` and ``set_pause`` from its side, the task reads
``stopped``, ``due()`` and ``pause()`` from its own.  All of it is safe across threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from typing import Any, Protocol

REPORT_INTERVAL_S = 1.0 / 40.0  # the most often a task reports (the window redraws at most this often)


class Task(Protocol):
    """Anything the runner can run: a generator that yields snapshots and returns its result."""

    def run(self, context: TaskContext) -> Generator[Any, None, Any]:
        """Do the work, yielding snapshots when ``context.due()``; return the final result."""
        ...


class TaskStopped(Exception):
    """Raised by a task that has nothing to return once it was stopped (a half-read file, say)."""


class TaskContext:
    """The stop flag, report pacing and pause of one task.

    At most one report is in flight: ``due()`` is False from the moment a report is sent (``sent``) until
    the receiver has taken it in (``acknowledge``), and for ``interval`` seconds after the last one, so a
    task never sends faster than the window draws, however slow the window is.  The first report is due at
    once.  A paced task (the user watching step by step) reports every step it is acknowledged.
    """

    def __init__(self, interval: float = REPORT_INTERVAL_S, pause_s: float = 0.0):
        self.interval = float(interval)
        self._stop = threading.Event()
        self._taken = threading.Event()  # the last report has been taken in (none sent yet: True)
        self._taken.set()
        self._pace_changed = threading.Event()
        self._pause_s = max(0.0, float(pause_s))
        self._last_sent = -float("inf")

    # -- the task's side -------------------------------------------------------------------------------
    @property
    def stopped(self) -> bool:
        """True once the runner asked the task to end (a task looks at it every step)."""
        return self._stop.is_set()

    def due(self) -> bool:
        """True when a report may be sent now: the last one was taken in and the interval has passed
        (at once, whatever the interval, when the user paces the task)."""
        if not self._taken.is_set():
            return False
        return self._pause_s > 0 or time.perf_counter() - self._last_sent >= self.interval

    def sent(self) -> None:
        """A report has gone out: none is due until it is acknowledged (the runner calls this as it takes
        each snapshot from the task, before passing it on)."""
        self._taken.clear()
        self._last_sent = time.perf_counter()

    def pause(self) -> None:
        """Wait the user's pause after a step, waking at once when stopped or when the pause is shortened."""
        started = time.perf_counter()
        while True:
            self._pace_changed.clear()  # first: a stop or a new pace from now on wakes the wait below
            if self._stop.is_set():
                return
            left = self._pause_s - (time.perf_counter() - started)
            if left <= 0:
                return
            self._pace_changed.wait(left)

    @property
    def pause_s(self) -> float:
        """Seconds to wait after each step (0: full speed)."""
        return self._pause_s

    # -- the runner's side ------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the task to end after its current step (from any thread)."""
        self._stop.set()
        self._taken.set()
        self._pace_changed.set()

    def acknowledge(self) -> None:
        """The receiver has taken in the last report (from any thread)."""
        self._taken.set()

    def set_pause(self, seconds: float) -> None:
        """Change the pause after each step; a task waiting out a longer one wakes (from any thread)."""
        self._pause_s = max(0.0, float(seconds))
        self._pace_changed.set()

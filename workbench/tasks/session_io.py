"""Sessions written and read as tasks: a big session is saved or opened on a thread, with progress and
Cancel, while the window stays usable."""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from dataclasses import dataclass

from workbench.state.document import Document
from workbench.state.session import LoadedSession, read_steps, save_session

from .context import TaskContext, TaskStopped


@dataclass(frozen=True)
class SessionProgress:
    """How far a read is (0..1) and what it is doing."""

    fraction: float
    what: str


@dataclass(frozen=True)
class SaveSessionTask:
    """Write ``document`` (a frozen copy) and ``view`` to ``path``; the result is the seconds it took."""

    document: Document
    view: dict
    path: str | os.PathLike[str]

    def run(self, context: TaskContext) -> Generator[SessionProgress, None, float]:
        """Write the file (SessionError or OSError if it cannot be written; TaskStopped, and the file as it was,
        when stopped while writing)."""
        started = time.perf_counter()
        yield from ()

        def go_on() -> None:
            if context.stopped:
                raise TaskStopped(f"stopped before {self.path} was written")

        save_session(self.document, self.view, self.path, between=go_on)
        return time.perf_counter() - started


@dataclass(frozen=True)
class OpenSessionTask:
    """Read and check the session at ``path``; the result is a ``LoadedSession``, or None when stopped."""

    path: str | os.PathLike[str]

    def run(self, context: TaskContext) -> Generator[SessionProgress, None, LoadedSession | None]:
        """Read piece by piece, reporting progress when due and stopping between pieces when asked."""
        steps = read_steps(self.path)
        try:
            while True:
                fraction, what = next(steps)
                if context.stopped:
                    steps.close()
                    return None
                if context.due():
                    yield SessionProgress(fraction, what)
        except StopIteration as end:
            return end.value

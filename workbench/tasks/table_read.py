"""Reading a data file as a task: a 10⁶-row file is read on a thread, with progress and Cancel, while the
window stays usable (``read_table_steps`` reports after every block of text)."""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from dataclasses import dataclass

from workbench.fitting.table import DataError, Table
from workbench.fitting.table_reader import read_table_steps

from .context import TaskContext, TaskStopped


@dataclass(frozen=True)
class ReadProgress:
    """How much of the file has been read (0..1)."""

    fraction: float


@dataclass(frozen=True)
class TableRead:
    """How a read ended: the table, or the error that names the file, line and column; and how long it took."""

    path: str
    table: Table | None
    error: DataError | None
    elapsed_s: float


@dataclass(frozen=True)
class ReadTableTask:
    """Read the text table at ``path`` (every column the reader finds), reporting how far it is."""

    path: str | os.PathLike[str]

    def run(self, context: TaskContext) -> Generator[ReadProgress, None, TableRead]:
        """Read block by block; a stop ends the read within one chunk of rows (``TaskStopped``, nothing kept).

        A file the reader refuses is a result (its ``DataError`` says where and why), not a failure: only
        the unexpected fails the task."""
        started = time.perf_counter()
        path = os.fspath(self.path)

        def go_on(_fraction: float) -> None:  # called between chunks of rows, inside a block
            if context.stopped:
                raise TaskStopped(f"stopped before {path} was read")

        steps = read_table_steps(path, progress=go_on)
        try:
            while True:
                fraction = next(steps)
                if context.due():
                    yield ReadProgress(fraction)
        except StopIteration as end:
            table = end.value[0]
            return TableRead(path, table, None, time.perf_counter() - started)
        except DataError as exc:
            return TableRead(path, None, exc, time.perf_counter() - started)
        finally:
            steps.close()

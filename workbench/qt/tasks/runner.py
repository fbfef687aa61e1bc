"""The one task runner: every piece of work off the window's thread goes through here.

A task (``workbench.tasks``: a core generator that looks at its stop flag every step and yields immutable
snapshots when its ``TaskContext`` says one is due) runs

* ``"process"``: in a compute process of the pool (``process_pool``), for Python-heavy loops that would
  otherwise take turns with the window on one GIL (gradient descent, the race, the learning-rate sweep,
  numeric loss surfaces);
* ``"thread"``: on a thread of the window's process, for work that waits on the disk or spends its time in
  NumPy calls that let the GIL go (reading a file, the exact solve and report of big data, autosave);
* ``"inline"``: at once, on the caller's thread (small work, and every task in the runner's synchronous mode,
  which tests use).

Whichever way, the caller gets a ``TaskHandle`` whose ``progressed``, ``finished`` and ``failed`` are
delivered on the window's thread; each snapshot is acknowledged once the event loop has handled what it set
off, so at most one is in flight.  ``stop()`` asks a task to end and still delivers its result; ``cancel()``
also drops everything it would still deliver.  A process task that has not ended ``ABANDON_MS`` after either
has its process ended.  The runner keeps a registry of live tasks and ends them all, bounded, on
``shutdown()``.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from workbench.tasks.context import TaskContext

from .process_pool import ProcessPool

ABANDON_MS = 150  # a stopped process task that has not ended by then has its process ended
WHERE = ("process", "thread", "inline")


class TaskHandle(QObject):
    """One running task: its signals (on the window's thread), stop, cancel and pace."""

    progressed = Signal(object)  # a snapshot
    finished = Signal(object)  # the task's result
    failed = Signal(str)  # why it ended without a result (its process died, it raised, it was abandoned)

    def __init__(self, runner: TaskRunner, task: Any, where: str, name: str, pause_s: float):
        super().__init__()  # no parent: it goes (with its task) when its last holder lets go of it
        self.id = next(runner._ids)
        self.task = task
        self.where = where
        self.name = name or type(task).__name__
        self.context = TaskContext(pause_s=pause_s)
        self.started_at = time.perf_counter()
        self.done = False
        self.cancelled = False
        self.error = ""
        self.detail = ""  # the traceback of a task that raised, for diagnostics
        self._runner = runner
        self._abandon = QTimer(self, singleShot=True, interval=ABANDON_MS)
        self._abandon.timeout.connect(self._on_abandon_due)
        self.worker = None  # the compute process running it (process tasks)
        self.thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True until the task has delivered its end or was cancelled (a cancelled process task may still be
        finishing its step in its process: what it sends is dropped)."""
        return not (self.done or self.cancelled)

    def stop(self) -> None:
        """Ask the task to end after its current step; its result is still delivered."""
        if self.done:
            return
        self.context.stop()
        if self.worker is not None:
            self.worker.send_stop(self)
            if not self._abandon.isActive():
                self._abandon.start()

    def cancel(self) -> None:
        """Stop the task and deliver nothing more from it (its result no longer matters)."""
        if self.done:
            return
        self.cancelled = True
        self.stop()
        if self.worker is None:
            self._runner._forget(self)

    def set_pause(self, seconds: float) -> None:
        """The pause after each step (0: full speed), effective at once, even mid-pause."""
        self.context.set_pause(seconds)
        if self.worker is not None and not self.done:
            self.worker.send_pace(self, seconds)

    # -- delivery (the runner's side) ----------------------------------------------------------------------
    def _deliver(self, kind: str, payload: Any) -> None:
        if self.done:
            return
        if kind == "progress":
            if not self.cancelled:
                self.progressed.emit(payload)
            QTimer.singleShot(0, self, self._acknowledge)
            return
        self._end()
        if self.cancelled:
            return
        if kind == "finished":
            self.finished.emit(payload)
        else:
            self.error = str(payload)
            self.failed.emit(self.error)

    def _end(self) -> None:
        self.done = True
        self._abandon.stop()
        self._runner._forget(self)

    @Slot()
    def _acknowledge(self) -> None:
        if self.done:
            return
        self.context.acknowledge()
        if self.worker is not None:
            self.worker.send_ack(self)

    @Slot()
    def _on_abandon_due(self) -> None:
        if not self.done and self.worker is not None:
            self.worker.abandon(self)


class _Relay(QObject):
    """Carries a thread task's snapshots and end to the window's thread (queued signal)."""

    arrived = Signal(object, str, object)  # handle, "progress" | "finished" | "failed", payload


class TaskRunner(QObject):
    """Starts tasks where they belong, delivers their snapshots and ends, and keeps the registry of live ones.

    ``synchronous=True`` runs every task inline (tests: every task kind without threads or processes).
    """

    def __init__(self, parent: QObject | None = None, *, synchronous: bool = False):
        super().__init__(parent)
        self.synchronous = synchronous
        self._ids = itertools.count(1)
        self._live: dict[int, TaskHandle] = {}
        self._relay = _Relay(self)
        self._relay.arrived.connect(self._on_thread_arrived)
        self.pool = ProcessPool(self)
        self._closed = False
        self.started_task: Callable[[TaskHandle], None] | None = None  # a hook for diagnostics and tests

    @property
    def live(self) -> list[TaskHandle]:
        """The tasks that have not ended yet."""
        return list(self._live.values())

    def start(
        self,
        task: Any,
        where: str = "thread",
        *,
        name: str = "",
        pause_s: float = 0.0,
        on_progress: Callable[[Any], None] | None = None,
        on_finished: Callable[[Any], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
    ) -> TaskHandle:
        """Run ``task`` (``where``: "process", "thread" or "inline"); the callbacks are connected before it
        starts, so an inline task's whole life reaches them."""
        if where not in WHERE:
            raise ValueError(f"where must be one of {', '.join(WHERE)}, got {where!r}")
        if self.synchronous or self._closed:
            where = "inline"
        handle = TaskHandle(self, task, where, name, pause_s)
        if on_progress is not None:
            handle.progressed.connect(on_progress)
        if on_finished is not None:
            handle.finished.connect(on_finished)
        if on_failed is not None:
            handle.failed.connect(on_failed)
        self._live[handle.id] = handle
        if self.started_task is not None:
            self.started_task(handle)
        if where == "inline":
            self._run_inline(handle)
        elif where == "thread":
            handle.thread = threading.Thread(target=self._run_on_thread, args=(handle,), name=handle.name, daemon=True)
            handle.thread.start()
        else:
            self.pool.run(handle)
        return handle

    def warm_up(self) -> None:
        """Start a compute process now, so the first process task starts at once."""
        if not self.synchronous:
            self.pool.warm_up()

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Cancel every live task, wait (bounded) for threads, end every compute process; True if all ended.

        Safe to call twice; tasks started afterwards run inline.
        """
        self._closed = True
        handles = self.live
        for handle in handles:
            handle.cancel()
        deadline = time.perf_counter() + timeout_s
        ended = True
        for handle in handles:
            if handle.thread is not None:
                handle.thread.join(max(0.0, deadline - time.perf_counter()))
                ended = ended and not handle.thread.is_alive()
        self.pool.shutdown()
        self._live.clear()
        return ended

    # -- the three ways to run -----------------------------------------------------------------------------
    def _run_inline(self, handle: TaskHandle) -> None:
        try:
            steps = handle.task.run(handle.context)
            while True:
                snapshot = next(steps)
                handle.context.sent()
                if not handle.cancelled:
                    handle.progressed.emit(snapshot)
                handle.context.acknowledge()
        except StopIteration as end:
            handle._deliver("finished", end.value)
        except Exception as exc:  # noqa: BLE001 - a task's failure is the handle's failed signal
            handle.detail = _traceback()
            handle._deliver("failed", _describe(exc))

    def _run_on_thread(self, handle: TaskHandle) -> None:
        relay = self._relay
        try:
            steps = handle.task.run(handle.context)
            while True:
                snapshot = next(steps)
                handle.context.sent()
                relay.arrived.emit(handle, "progress", snapshot)
        except StopIteration as end:
            relay.arrived.emit(handle, "finished", end.value)
        except BaseException as exc:  # noqa: BLE001 - MemoryError included: reported, never lost on a thread
            handle.detail = _traceback()
            relay.arrived.emit(handle, "failed", _describe(exc))

    @Slot(object, str, object)
    def _on_thread_arrived(self, handle: TaskHandle, kind: str, payload: Any) -> None:
        handle._deliver(kind, payload)

    def _forget(self, handle: TaskHandle) -> None:
        self._live.pop(handle.id, None)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _traceback() -> str:
    import traceback

    return traceback.format_exc()

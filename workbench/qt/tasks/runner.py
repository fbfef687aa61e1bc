"""The one task runner: every piece of work off the window's thread goes through here.

A task (``workbench.tasks``: a core generator that looks at its stop flag every step and yields immutable
snapshots when its ``TaskContext`` says one is due) runs

* ``"process"``: in a compute process of the pool (``process_pool``), for Python-heavy loops that would
  otherwise take turns with the window on one GIL (gradient descent, the race, the learning-rate sweep,
  numeric loss surfaces, the facts of big data);
* ``"thread"``: on a thread of the window's process, for work that waits on the disk or spends its time in
  NumPy calls that let the GIL go (reading and writing files);
* ``"inline"``: at once, on the caller's thread (small work, and every task in the runner's synchronous mode,
  which tests use).

Whichever way, the caller gets a ``TaskHandle`` whose ``progressed``, ``finished`` and ``failed`` are
delivered on the window's thread; each snapshot is acknowledged once the event loop has handled what it set
off, so at most one is in flight.  ``stop()`` asks a task to end and still delivers its result; ``cancel()``
also drops everything it would still deliver.  A process task that has not ended ``ABANDON_MS`` after either
has its process ended.  The runner keeps a registry of live tasks and ends them all, bounded, on
``shutdown()``.

A caller that keeps the handle (to stop it later) creates it first and starts it second (``create``, then
``TaskHandle.start``), so that even an inline task, whose whole life happens inside ``start``, reaches a
caller that already holds its handle.
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
    """One task: its signals (on the window's thread), start, stop, cancel and pace."""

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
        self.started = False
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
        """True from ``start`` until the task has delivered its end or was cancelled (a cancelled process
        task may still be finishing its step in its process: what it sends is dropped)."""
        return self.started and not (self.done or self.cancelled)

    def start(self) -> TaskHandle:
        """Begin the task (at most once); returns the handle."""
        if not self.started:
            self.started = True
            self._runner._launch(self)
        return self

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
        if self.done or self.cancelled:
            return
        self.cancelled = True
        self.stop()
        if self.where == "process" and self.worker is None:
            self._end()  # (not started in a process yet, or its process has gone)

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
            if isinstance(payload, tuple):  # (why, traceback) from a thread
                payload, self.detail = payload
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
    """Carries a thread task's snapshots and end to the window's thread (queued signal).  Only the task's id
    crosses: the handle (a QObject) is never held, nor let go of, on the task's thread."""

    arrived = Signal(int, str, object)  # task id, "progress" | "finished" | "failed", payload


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
        """The tasks started and not ended yet (a cancelled thread task until its thread returns)."""
        return list(self._live.values())

    def create(
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
        """A handle for ``task`` (``where``: "process", "thread" or "inline"), not started yet: keep it, then
        call its ``start``."""
        if where not in WHERE:
            raise ValueError(f"where must be one of {', '.join(WHERE)}, got {where!r}")
        if self.synchronous:
            where = "inline"
        handle = TaskHandle(self, task, where, name, pause_s)
        if on_progress is not None:
            handle.progressed.connect(on_progress)
        if on_finished is not None:
            handle.finished.connect(on_finished)
        if on_failed is not None:
            handle.failed.connect(on_failed)
        return handle

    def start(self, task: Any, where: str = "thread", **kwargs) -> TaskHandle:
        """``create`` and start at once (for callers that do not need the handle before the task begins)."""
        return self.create(task, where, **kwargs).start()

    def warm_up(self) -> None:
        """Start a compute process now, so the first process task starts at once."""
        if not (self.synchronous or self._closed):
            self.pool.warm_up()

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Cancel every live task, wait (bounded) for threads, end every compute process; True if all ended.

        Safe to call twice; a task started afterwards fails at once (the window is closing).
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
        for handle in self.live:
            handle._end()
        return ended

    # -- the three ways to run -----------------------------------------------------------------------------
    def _launch(self, handle: TaskHandle) -> None:
        self._live[handle.id] = handle
        if self.started_task is not None:
            self.started_task(handle)
        if self._closed:
            handle.cancelled = False
            QTimer.singleShot(0, handle, lambda: handle._deliver("failed", "the window is closing"))
        elif handle.where == "inline":
            self._run_inline(handle)
        elif handle.where == "thread":
            args = (handle.id, handle.task, handle.context, self._relay)
            handle.thread = threading.Thread(target=_run_on_thread, args=args, name=handle.name, daemon=True)
            handle.thread.start()
        else:
            self.pool.run(handle)

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

    @Slot(int, str, object)
    def _on_thread_arrived(self, task_id: int, kind: str, payload: Any) -> None:
        handle = self._live.get(task_id)
        if handle is not None:
            handle._deliver(kind, payload)

    def _forget(self, handle: TaskHandle) -> None:
        self._live.pop(handle.id, None)


def _run_on_thread(task_id: int, task: Any, context: TaskContext, relay: _Relay) -> None:
    """A thread task's body: it holds the task and its context, never the handle."""
    try:
        steps = task.run(context)
        while True:
            snapshot = next(steps)
            context.sent()
            relay.arrived.emit(task_id, "progress", snapshot)
    except StopIteration as end:
        relay.arrived.emit(task_id, "finished", end.value)
    except BaseException as exc:  # noqa: BLE001 - MemoryError included: reported, never lost on a thread
        relay.arrived.emit(task_id, "failed", (_describe(exc), _traceback()))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _traceback() -> str:
    import traceback

    return traceback.format_exc()

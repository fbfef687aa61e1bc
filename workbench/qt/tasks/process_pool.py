"""Compute processes for the task runner: started ahead of need, reused, ended with the window.

Each process (``workbench.tasks.worker_process``) runs one task at a time and answers on its socket, which
the window watches with a ``QSocketNotifier``: no thread of the window's waits for it.  The pool keeps one
process idle and ready (started when the last idle one is taken), so a task never waits for an interpreter
to start, and lets at most ``MAX_IDLE`` wait; a process keeps what it built for the last problems it ran, so
a second run of the same problem starts in milliseconds.  A process that dies fails its task with a message;
one whose task does not end when asked is ended (``abandon``).
"""

from __future__ import annotations

import signal
import subprocess
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Slot

from workbench.tasks.wire import Channel, ChannelClosed
from workbench.tasks.worker_process import spawn

if TYPE_CHECKING:
    from .runner import TaskHandle

MAX_IDLE = 2  # idle processes kept: the one that ran last (it remembers its problems) and a spare
WARM_DELAY_MS = 0


class ComputeProcess(QObject):
    """One compute process: its socket, the task it runs, and how it ended."""

    def __init__(self, pool: ProcessPool):
        super().__init__(pool)
        self.pool = pool
        spawned = spawn()
        self.process = spawned.process
        self.channel = Channel(spawned.sock)
        self.task: TaskHandle | None = None
        self.alive = True
        self._notifier = QSocketNotifier(self.channel.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_readable)

    @property
    def pid(self) -> int:
        """The process id (diagnostics and tests)."""
        return self.process.pid

    def run(self, handle: TaskHandle) -> None:
        """Send ``handle``'s task; raises ChannelClosed if the process has gone, and whatever pickling the task
        raises (the process then stays as it was: nothing was sent)."""
        self.channel.send(("start", handle.id, handle.context.pause_s), handle.task)
        self.task = handle
        handle.worker = self

    def send_stop(self, handle: TaskHandle) -> None:
        """Ask the task to end (the process reads it at once, mid-step)."""
        self._send(("stop", handle.id))

    def send_ack(self, handle: TaskHandle) -> None:
        """The window has taken in the last snapshot."""
        self._send(("ack", handle.id))

    def send_pace(self, handle: TaskHandle, seconds: float) -> None:
        """The pause after each step changed."""
        self._send(("pace", handle.id, float(seconds)))

    def abandon(self, handle: TaskHandle) -> None:
        """End the process: its task did not end when asked (a step longer than the window can wait)."""
        if self.task is handle:
            self._end("ended: it did not stop in time", wait=False)

    def quit(self) -> None:
        """End the process now (the window is closing, or the pool has enough idle ones)."""
        self._end("")

    def _send(self, header) -> None:
        if not self.alive:
            return
        try:
            self.channel.send(header)
        except ChannelClosed:
            self._died()

    @Slot()
    def _on_readable(self) -> None:
        if not self.alive:
            return
        frames, still_open = self.channel.receive_ready()
        for frame in frames:
            kind, task_id, *rest = frame.header
            handle = self.task
            if handle is None or handle.id != task_id or handle.done:
                frame.close()  # a task already ended (cancelled, abandoned): nothing to deliver
                continue
            if kind == "failed":
                frame.close()
                handle.detail = rest[1] if len(rest) > 1 else ""
                self._task_ended(handle, "failed", rest[0])
                continue
            try:
                payload = frame.body()
            except Exception as exc:  # noqa: BLE001 - a result the window cannot read fails its task
                if kind == "progress":  # the task computes on, unheard: end the process with it
                    self._end(f"a report of the task could not be read ({exc})")
                    return
                self._task_ended(handle, "failed", f"its result could not be read ({exc})")
                continue
            if kind == "progress":
                handle._deliver("progress", payload)
            else:
                self._task_ended(handle, "finished", payload)
        if not still_open:
            self._died()

    def _task_ended(self, handle: TaskHandle, kind: str, payload) -> None:
        self.task = None
        handle.worker = None
        self.pool.released(self)  # first: a task started by whoever hears of this end may reuse this process
        handle._deliver(kind, payload)

    def _died(self) -> None:
        code = self.process.poll()
        if code is None:
            try:
                code = self.process.wait(0.05)
            except Exception:  # noqa: BLE001 - still there: it will be killed below
                code = None
        why = "the compute process ended unexpectedly" + (f" ({_exit_text(code)})" if code is not None else "")
        self._end(why)

    def _end(self, why: str, wait: bool = True) -> None:
        """Kill the process and fail its task.  ``wait``: reap it now (bounded: the window is closing);
        otherwise it is reaped from the event loop, so the window never waits on the kernel mid-session."""
        if not self.alive:
            return
        self.alive = False
        self._notifier.setEnabled(False)
        try:
            self.process.kill()
        except OSError:
            pass
        if wait:
            try:
                self.process.wait(1.0)
            except Exception:  # noqa: BLE001 - a process the kernel has not reaped in a second: leave it
                pass
        else:
            _reap_later(self.process)
        self.channel.close()
        handle, self.task = self.task, None
        self.pool.gone(self)
        if handle is not None:
            handle.worker = None
            handle._deliver("failed", f"{why}" if why else "the window closed")
        self.deleteLater()


class ProcessPool(QObject):
    """The runner's compute processes: give each process task one, keep a spare ready, end them on close."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.idle: list[ComputeProcess] = []
        self.busy: list[ComputeProcess] = []
        self._closed = False

    @property
    def processes(self) -> list[ComputeProcess]:
        """Every live compute process (idle and busy)."""
        return [*self.idle, *self.busy]

    def warm_up(self) -> None:
        """Have one idle process ready."""
        if not self._closed and not self.idle:
            try:
                self.idle.append(ComputeProcess(self))
            except OSError:
                pass  # no process can start now: the first task says why

    def run(self, handle: TaskHandle) -> None:
        """Run ``handle``'s task in an idle process (the one idle last: it remembers the latest problems), or
        a new one; a process found dead on the way is replaced.  A task that cannot be sent fails."""
        why = ""
        for _attempt in range(3):
            worker = self._take_idle()
            try:
                if worker is None:
                    worker = ComputeProcess(self)
            except OSError as exc:
                why = f"the compute process could not start ({exc})"
                break
            try:
                worker.run(handle)
            except ChannelClosed:
                worker.quit()  # it died while idle: the next one
                why = "the compute process could not start (it ended at once)"
                continue
            except Exception as exc:  # noqa: BLE001 - a task that cannot be pickled: nothing was sent
                self.idle.append(worker)
                why = f"the task could not be sent to its compute process ({type(exc).__name__}: {exc})"
                break
            self.busy.append(worker)
            if not self.idle:
                QTimer.singleShot(WARM_DELAY_MS, self, self.warm_up)
            return
        QTimer.singleShot(0, handle, lambda: handle._deliver("failed", why))

    def _take_idle(self) -> ComputeProcess | None:
        while self.idle:
            candidate = self.idle.pop()
            if candidate.alive:
                return candidate
        return None

    def released(self, worker: ComputeProcess) -> None:
        """``worker`` finished its task: keep it idle (the newest last), ending the oldest beyond MAX_IDLE."""
        if worker in self.busy:
            self.busy.remove(worker)
        if self._closed:
            worker.quit()
            return
        self.idle.append(worker)
        while len(self.idle) > MAX_IDLE:
            self.idle.pop(0).quit()

    def gone(self, worker: ComputeProcess) -> None:
        """``worker`` has ended: forget it."""
        for group in (self.idle, self.busy):
            if worker in group:
                group.remove(worker)

    def shutdown(self) -> None:
        """End every process now."""
        self._closed = True
        for worker in self.processes:
            worker.quit()


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _reap_later(process: subprocess.Popen, attempts: int = 100) -> None:
    """Collect a killed process's exit status from the event loop (every 20 ms, for up to 2 s), so it never
    lingers as a zombie and the window never blocks waiting for it."""
    if process.poll() is None and attempts > 0:
        QTimer.singleShot(20, lambda: _reap_later(process, attempts - 1))

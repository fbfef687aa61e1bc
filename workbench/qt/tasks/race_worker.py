"""The optimiser race off the GUI thread: the worker that steps the core's ``Race``, and its controller.

The worker follows ``worker.py``'s rules: a ``threading.Event`` checked every round, throttled immutable
payloads with at most one in flight, and a thread kept referenced until it has finished.  The
controller (GUI thread) stores what arrives in ``document.race`` and emits ``document.raceChanged``,
which the loss-history plot and the loss surface draw from.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from workbench.fitting.race import RACE_KINDS, RACE_NAMES, Race, RaceSnapshot, manual_trail_entry
from workbench.qt.app_state.document import FitDocument, FitState, RaceView, race_path_stride
from workbench.qt.tasks.worker import EMIT_INTERVAL_S, MAX_DRAW_WAIT_S, PacedWorker, WorkerThread

DEFAULT_STEPS = 2000
THREAD_WAIT_MS = 5000
MANUAL_NAME = "Your hand"

# sched_yield gives the GIL away for about a microsecond, once per round, so the GUI thread never waits
# a whole switch interval to get it back (see conditioning_lab.py); sleep(0) where it does not exist.
_yield_gil = getattr(os, "sched_yield", None) or partial(time.sleep, 0)


# -- the worker ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RaceProgress:
    """One payload: a snapshot with the losses since the last one, and the thinned path points since then.

    ``paths`` maps kind → (steps, rows of knobs); ``manual`` is the user's trail as a race entry (first
    payload only); ``done`` marks the final payload, ``stopped`` a race ended by its stop event.  ``seq``
    numbers the payloads of one race: each carries only what is new since the one before.
    """

    run_id: int
    seq: int
    snapshot: RaceSnapshot | None
    optimum: float | None
    paths: dict
    manual: dict | None
    done: bool
    stopped: bool
    error: str
    elapsed_s: float


class RaceWorker(PacedWorker):
    """Runs one race when its thread starts; emits ``progressed`` (throttled) and ``finished`` (final)."""

    progressed = Signal(object)  # RaceProgress
    finished = Signal(object)  # RaceProgress, done=True

    def __init__(
        self,
        run_id: int,
        state: FitState,
        theta0: np.ndarray,
        kinds,
        steps: int,
        manual_trail: list[np.ndarray] | None = None,
    ):
        super().__init__()
        self.run_id = run_id
        self.state = state  # immutable: the worker builds its own FitProblem from it
        self.theta0 = np.array(theta0, dtype=np.float64)
        self.kinds = tuple(kinds)
        self.steps = int(steps)
        self.manual_trail = None if manual_trail is None else [np.array(t, dtype=np.float64) for t in manual_trail]
        self.in_flight: RaceProgress | None = None  # the last progress payload sent (read once finished)
        self.outcome: RaceProgress | None = None
        self._seq = 0

    @Slot()
    def run(self) -> None:
        """Race to the end (runs on the worker thread)."""
        started = last_emit = time.perf_counter()
        race: Race | None = None
        manual: dict | None = None
        error = ""
        since: dict[str, int] = {}
        pending = {k: ([], []) for k in self.kinds}
        recorded: dict[str, object] = {}
        try:
            problem = self.state.build_problem()  # its own engine graph: nothing shared with the GUI
            race = Race(problem, self.theta0, self.kinds, self.steps, stop=self.stop_event)
            if self.manual_trail:
                manual = manual_trail_entry(problem, self.manual_trail, race.target)
            for c in race.contenders:
                recorded[c.kind] = c.theta
            for step in race.run():
                self._record(race, step, pending, recorded)
                _yield_gil()
                now = time.perf_counter()
                if now - last_emit >= EMIT_INTERVAL_S and self.delivered.is_set():
                    self.delivered.clear()
                    self.in_flight = self._payload(race, since, pending, manual, now - started, False, "")
                    self.progressed.emit(self.in_flight)
                    manual, pending = None, {k: ([], []) for k in self.kinds}
                    self.delivered.wait(MAX_DRAW_WAIT_S)
                    last_emit = time.perf_counter()
        except Exception as exc:  # noqa: BLE001 - reported in the panel, never lost on a thread
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self.outcome = self._payload(race, since, pending, manual, time.perf_counter() - started, True, error)
            self.finished.emit(self.outcome)

    @staticmethod
    def _record(race: Race, step: int, pending: dict, recorded: dict) -> None:
        """Note where each contender is now, on the path's thinning grid (``race_path_stride``)."""
        if step % race_path_stride(step):
            return
        for c in race.contenders:
            if c.theta is not recorded.get(c.kind):  # the race makes a new array each step it moves
                recorded[c.kind] = c.theta
                steps, rows = pending[c.kind]
                steps.append(step)
                rows.append(c.theta)

    def _payload(self, race, since, pending, manual, elapsed, done, error) -> RaceProgress:
        snapshot = None
        paths = {}
        if race is not None:
            snapshot = race.snapshot(since)
            since.update({row["kind"]: row["n_losses"] for row in snapshot.contenders})
            paths = {
                k: (np.array(steps, dtype=np.int64), np.array(rows)) for k, (steps, rows) in pending.items() if steps
            }
        stopped = self.stop_event.is_set()
        self._seq += 1
        optimum = None if race is None else race.optimum
        return RaceProgress(
            self.run_id, self._seq, snapshot, optimum, paths, manual, done, stopped, error, float(elapsed)
        )


# -- the GUI side --------------------------------------------------------------------------------------
class _RaceSlot:
    """The running race's handle, stoppable even when the Qt objects around it are being destroyed."""

    def __init__(self):
        self.handle: WorkerThread | None = None

    def shutdown(self, *_args) -> bool:
        handle, self.handle = self.handle, None
        return handle.stop_and_wait(THREAD_WAIT_MS) if handle is not None else True


class RaceController(QObject):
    """Starts, stops and finalises races; writes ``document.race`` and emits ``document.raceChanged``."""

    runningChanged = Signal(bool)
    raceFinished = Signal(object)  # the RaceView, once the race has ended (stopped ones too)

    def __init__(self, document: FitDocument, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = document
        self._slot = _RaceSlot()
        # Deleted without shutdown() (its window destroyed): still stop the thread.
        self.destroyed.connect(partial(_RaceSlot.shutdown, self._slot))
        self._view: RaceView | None = None
        self._ids = itertools.count(1)
        self._active_id = 0
        self._absorbed_seq = 0
        self._unfinished: list[WorkerThread] = []
        self.last_error = ""
        self.stopped_by_edit = False
        document.dataChanged.connect(self._on_problem_changed)
        document.modelChanged.connect(self._on_problem_changed)

    @property
    def running(self) -> bool:
        """True while a race runs."""
        return self._slot.handle is not None

    @property
    def thread(self):
        """The running race's QThread (None when idle)."""
        return self._slot.handle.thread if self._slot.handle is not None else None

    def start(self, kinds, steps: int = DEFAULT_STEPS, include_manual: bool = False) -> bool:
        """Race ``kinds`` from the current knobs for at most ``steps`` rounds (False if that cannot start)."""
        kinds = tuple(k for k in RACE_KINDS if k in set(kinds))
        if self.running or self.doc.dataset.n == 0 or not (kinds or include_manual):
            return False
        state = self.doc.state
        trail = list(self.doc.manual_trail) if include_manual and self.doc.manual_trail else None
        run_id = next(self._ids)
        worker = RaceWorker(run_id, state, state.theta, kinds, steps, trail)
        worker.progressed.connect(self._on_worker_progressed)
        worker.finished.connect(self._on_worker_finished)
        handle = WorkerThread(worker, f"optimiser-race-{run_id}")  # a gradient-descent run's lifecycle
        self._slot.handle, self._active_id, self._absorbed_seq = handle, run_id, 0
        self._view = RaceView(run_id, kinds, RACE_NAMES, state.theta, steps)
        self.last_error = ""
        self.stopped_by_edit = False
        self.doc.race = self._view
        self.doc.raceChanged.emit()
        handle.start()
        self.runningChanged.emit(True)
        return True

    def stop(self) -> None:
        """Stop the race at once and finalise it here (blocks until its thread has ended, bounded)."""
        handle = self._slot.handle
        if handle is None:
            return
        ended = handle.stop_and_wait(THREAD_WAIT_MS)
        in_flight = handle.worker.in_flight if ended else None
        if in_flight is not None:
            # Sent but still queued: the final payload only has what came after it.
            self._absorb(in_flight)
        self._finalise(handle, handle.worker.outcome if ended else None, ended)

    def shutdown(self) -> None:
        """Stop any race and wait for its thread (the window is closing)."""
        self.stop()

    # -- the worker's signals ---------------------------------------------------------------------------
    @Slot(object)
    def _on_worker_progressed(self, progress: RaceProgress) -> None:
        if progress.run_id != self._active_id:
            return
        self._absorb(progress)
        # Resume the worker once the event loop has handled what this payload set off (see worker.py).
        QTimer.singleShot(0, self, self._on_progress_absorbed)

    @Slot()
    def _on_progress_absorbed(self) -> None:
        if self._slot.handle is not None:
            self._slot.handle.worker.acknowledge()

    @Slot(object)
    def _on_worker_finished(self, progress: RaceProgress) -> None:
        handle = self._slot.handle
        if progress.run_id != self._active_id or handle is None:
            return
        ended = handle.thread.wait(THREAD_WAIT_MS)  # it is quitting; make sure it has
        self._finalise(handle, progress, ended)

    @Slot()
    def _on_problem_changed(self) -> None:
        # The document has already dropped the race (clear_trails); stop computing one nobody can see.
        if self.running:
            self.stopped_by_edit = True
            self.stop()

    # -- bookkeeping ----------------------------------------------------------------------------------
    def _absorb(self, progress: RaceProgress) -> None:
        view = self._view
        if progress.seq <= self._absorbed_seq:
            return  # already taken in (a payload can reach here twice when a stop overtakes it)
        self._absorbed_seq = progress.seq
        if view is None or self.doc.race is not view or progress.snapshot is None:
            return
        snap = progress.snapshot
        if progress.manual is not None:
            view.add_manual(progress.manual, MANUAL_NAME)
        view.absorb(snap.step, snap.target, progress.optimum, snap.contenders, progress.paths)
        view.elapsed_s = progress.elapsed_s
        self.doc.raceChanged.emit()

    def _finalise(self, handle: WorkerThread, progress: RaceProgress | None, ended: bool) -> None:
        self._slot.handle, self._active_id = None, 0
        if progress is not None:
            self._absorb(progress)  # the final payload: everything since the last one
            self.last_error = progress.error
        view, self._view = self._view, None
        if not ended:
            self.last_error = self.last_error or "the race thread did not stop in time"
            self._unfinished.append(handle)  # must stay referenced until its thread ends
        if view is not None:
            view.finish(self._outcome(view, progress), self.last_error)
            if self.doc.race is view:
                self.doc.raceChanged.emit()
        self.runningChanged.emit(False)
        if view is not None:
            self.raceFinished.emit(view)

    @staticmethod
    def _outcome(view: RaceView, progress: RaceProgress | None) -> str:
        if progress is None or progress.error:
            return "failed"
        if progress.stopped:
            return "stopped"
        if view.step >= view.max_steps:
            return "step limit"
        return "finished"

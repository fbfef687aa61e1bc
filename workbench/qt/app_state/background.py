"""The optimiser race and the learning-rate sweep: started as tasks in a compute process, recorded by the
document (``begin_race``/``absorb_race``/``end_race``, and the same for sweeps), stopped when asked or when
the problem they run on changes."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from workbench.fitting.race import ALL_RACE_KINDS, RACE_NAMES
from workbench.fitting.sweep import DEFAULT_POINTS, DEFAULT_STEPS, SweepResult, stable_rates
from workbench.qt.app_state.document import FitDocument
from workbench.qt.tasks.runner import TaskHandle, TaskRunner
from workbench.state.race import DEFAULT_RACE_STEPS, RaceView
from workbench.state.runs import SweepRecord
from workbench.tasks.race import RaceProgress, RaceTask
from workbench.tasks.sweep import SweepProgress, SweepTask

MANUAL_NAME = "Your hand"


class RaceController(QObject):
    """Starts and stops races; the document keeps them (``document.race``)."""

    runningChanged = Signal(bool)
    raceFinished = Signal(object)  # the RaceView, once the race has ended (stopped ones too)

    def __init__(self, document: FitDocument, runner: TaskRunner, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = document
        self.runner = runner
        self.handle: TaskHandle | None = None
        self._view: RaceView | None = None
        self.last_error = ""
        self.stopped_by_edit = False
        document.dataChanged.connect(self._on_problem_changed)
        document.modelChanged.connect(self._on_problem_changed)

    @property
    def running(self) -> bool:
        """True while a race runs."""
        return self.handle is not None

    def start(self, kinds, steps: int = DEFAULT_RACE_STEPS, include_manual: bool = False) -> bool:
        """Race ``kinds`` from the current knobs for at most ``steps`` rounds (False if that cannot start)."""
        kinds = tuple(k for k in ALL_RACE_KINDS if k in set(kinds))
        doc = self.doc
        if self.running or doc.dataset.n == 0 or not (kinds or include_manual):
            return False
        trail = tuple(doc.manual_trail) if include_manual and doc.manual_trail else None
        theta = doc.state.theta.copy()
        settings = doc.settings
        task = RaceTask(
            doc.problem,
            theta,
            kinds,
            int(steps),
            trail,
            problem_key=doc.problem_key,
            batch_size=settings.batch_size,
            seed=settings.seed,
        )
        self._view = doc.begin_race(kinds, RACE_NAMES, theta, steps)
        self.last_error = ""
        self.stopped_by_edit = False
        self.handle = self.runner.create(
            task,
            "process",
            name="optimiser-race",
            on_progress=self._on_progressed,
            on_finished=self._on_finished,
            on_failed=self._on_failed,
        )
        self.runningChanged.emit(True)
        self.handle.start()
        return True

    def stop(self) -> None:
        """End the race now, with what it has reported (nothing it sends later changes anything)."""
        if self.handle is not None:
            self.handle.cancel()
            self._finish("stopped")

    def shutdown(self) -> None:
        """Stop any race (the window is closing)."""
        self.stop()

    @Slot(object)
    def _on_progressed(self, progress: RaceProgress) -> None:
        self._absorb(progress)

    @Slot(object)
    def _on_finished(self, progress: RaceProgress) -> None:
        if self.handle is None:
            return
        self._absorb(progress)
        view = self._view
        outcome = "stopped" if progress.stopped else "step limit" if view.step >= view.max_steps else "finished"
        self._finish(outcome)

    @Slot(str)
    def _on_failed(self, why: str) -> None:
        if self.handle is not None:
            self.last_error = why
            self._finish("failed", why)

    @Slot()
    def _on_problem_changed(self) -> None:
        if self.running:  # the race belongs to the problem that was: stop computing one nobody sees
            self.stopped_by_edit = True
            self.stop()

    def _absorb(self, progress: RaceProgress) -> None:
        if self.handle is not None and self._view is not None:
            self.doc.absorb_race(
                self._view,
                progress.snapshot,
                progress.optimum,
                progress.paths,
                progress.manual,
                MANUAL_NAME,
                progress.elapsed_s,
            )

    def _finish(self, outcome: str, message: str = "") -> None:
        self.handle = None
        view, self._view = self._view, None
        if view is not None:
            self.doc.end_race(view, outcome, message)
        self.runningChanged.emit(False)
        if view is not None:
            self.raceFinished.emit(view)


class SweepController(QObject):
    """Starts and stops learning-rate sweeps; the document keeps them (``document.sweep``)."""

    runningChanged = Signal(bool)
    sweepFinished = Signal(object)  # the SweepRecord, once the sweep has ended (stopped ones too)

    def __init__(self, document: FitDocument, runner: TaskRunner, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = document
        self.runner = runner
        self.handle: TaskHandle | None = None
        self._record: SweepRecord | None = None
        self.steps = DEFAULT_STEPS  # steps per run
        self.points = DEFAULT_POINTS  # rates per sweep
        document.dataChanged.connect(self._on_problem_changed)
        document.modelChanged.connect(self._on_problem_changed)
        document.settingsChanged.connect(self._on_settings_changed)

    @property
    def running(self) -> bool:
        """True while a sweep runs."""
        return self.handle is not None

    def start(self) -> bool:
        """Sweep the learning rate from the current knobs (False if a sweep runs or there is no data)."""
        doc = self.doc
        if self.running or doc.dataset.n == 0:
            return False
        problem, optimizer = doc.problem, doc.settings.optimizer
        cond = doc.conditioning  # (known, or being computed for big data: then a generic span)
        limit = cond.max_stable_lr if cond is not None else float("nan")
        rates = stable_rates(limit, self.points)
        self._record = doc.begin_sweep(rates, optimizer, self.steps)
        task = SweepTask(problem, doc.state.theta.copy(), rates, optimizer, self.steps, problem_key=doc.problem_key)
        self.handle = self.runner.create(
            task,
            "process",
            name="learning-rate-sweep",
            on_progress=self._on_progressed,
            on_finished=self._on_finished,
            on_failed=self._on_failed,
        )
        self.runningChanged.emit(True)
        self.handle.start()
        return True

    def stop(self) -> None:
        """End the sweep now, keeping the rates that finished."""
        if self.handle is not None:
            self.handle.cancel()
            record = self._record
            self._finish(SweepResult(tuple(record.points), record.rates, stopped=True), "stopped")

    def shutdown(self) -> None:
        """Stop any sweep (the window is closing)."""
        self.stop()

    @Slot(object)
    def _on_progressed(self, progress: SweepProgress) -> None:
        if self.handle is not None and self._record is not None:
            self.doc.absorb_sweep(self._record, progress.points)

    @Slot(object)
    def _on_finished(self, result) -> None:
        if self.handle is not None:
            self._finish(result, "stopped" if result.stopped else "finished")

    @Slot(str)
    def _on_failed(self, why: str) -> None:
        if self.handle is not None:
            self._finish(None, "failed", why)

    @Slot()
    def _on_problem_changed(self) -> None:
        self.stop()

    @Slot()
    def _on_settings_changed(self) -> None:
        record = self._record
        if record is not None and record.optimizer != self.doc.settings.optimizer:
            self.stop()  # swept for another optimiser: its cliff is not this one's

    def _finish(self, result, outcome: str, error: str = "") -> None:
        self.handle = None
        record, self._record = self._record, None
        if record is not None:
            self.doc.end_sweep(record, result, outcome, error)
        self.runningChanged.emit(False)
        if record is not None:
            self.sweepFinished.emit(record)

"""Gradient descent in the window: start a run as a task in a compute process, take in its reports, stop it.

Stop never waits for the run's process: the run ends at once at the knobs of its last report (the knobs on
screen, with the loss and gradient the engine computed there), the process is told to stop, and whatever it
still sends is dropped; a process that has not stopped ``ABANDON_MS`` later is ended.  Every edit stops a
run this way first, so nothing a run sends can overwrite an edit.  A run that ends by itself delivers its
result; one whose process cannot start or dies ends where it last was (where it started, with the loss
there, before its first report) and says why.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from workbench.fitting.training import STOPPED_BY_USER, StopReason, StopRules, TrainResult
from workbench.fitting.verdict import describe_result, stop_hint
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.number_style import app_numbers
from workbench.qt.tasks.runner import TaskHandle, TaskRunner
from workbench.state.rate_advice import rate_advice
from workbench.tasks.gradient_descent import VALIDATION_EVERY, GradientDescentTask, RunOutcome, RunProgress


class RunController(QObject):
    """Starts, stops and finishes gradient-descent runs; the document records them."""

    runningChanged = Signal(bool)
    runFinished = Signal(object)  # TrainResult, after the document has been updated
    stableRateOffered = Signal()  # the next notice (a divergence) comes with "Use a stable rate"

    def __init__(self, document: FitDocument, runner: TaskRunner, notice: Signal, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = document
        self.runner = runner
        self._notice = notice
        self.handle: TaskHandle | None = None
        self.pause_s = 0.0

    @property
    def running(self) -> bool:
        """True while a run is in progress."""
        return self.handle is not None

    def rules(self, early_stopping: bool = False) -> StopRules:
        """The stop rules of the document's run settings."""
        s = self.doc.settings
        return StopRules(max_steps=s.max_steps, tol=s.tol, patience=s.patience if early_stopping else None)

    def start(self) -> bool:
        """Start gradient descent from the current knobs (False when there is nothing to fit or a run runs)."""
        if self.running or not self.runnable():
            return False
        doc, s = self.doc, self.doc.settings
        problem, validation = doc.problem, doc.validation_problem
        if not doc.big:
            problem.yardstick  # noqa: B018 - solved here, where it is cheap: the run's process then need not
        if s.patience is not None and validation is None:
            self._notice.emit("info", "Early stopping is off for this run: no points are held out for validation.")
        task = GradientDescentTask(
            problem,
            s.optimizer,
            s.lr,
            doc.state.theta.copy(),
            self.rules(validation is not None),
            validation,
            VALIDATION_EVERY if self.pause_s == 0 else 1,  # the cost of validation matters only at full speed
            problem_key=doc.problem_key,
            batch_size=s.batch_size,
            seed=s.seed,
        )
        doc.begin_run()
        self.handle = self.runner.create(
            task,
            "process",
            name="gradient-descent",
            pause_s=self.pause_s,
            on_progress=self._on_progressed,
            on_finished=self._on_finished,
            on_failed=self._on_failed,
        )
        self.runningChanged.emit(True)
        self.handle.start()
        return True

    def stop(self) -> None:
        """End the run now, at the knobs of its last report (nothing it sends later changes anything)."""
        handle = self.handle
        if handle is None:
            return
        handle.cancel()
        self._finish(self.doc.run_so_far(STOPPED_BY_USER))

    def set_pace(self, delay_s: float) -> None:
        """Pause after each step (0 = full speed); applies at once, even mid-run and mid-pause."""
        self.pause_s = max(0.0, float(delay_s))
        if self.handle is not None:
            self.handle.set_pause(self.pause_s)

    def step_once(self) -> None:
        """Exactly one forward pass, one backward pass and one update (an undo step, on the loss history)."""
        if not self.runnable():
            return
        self.stop()
        doc, s = self.doc, self.doc.settings
        before = doc.state
        try:
            # On mini-batches each press draws another batch (the seed moves on with every step on the path).
            trainer = doc.problem.trainer(
                s.optimizer,
                s.lr,
                before.theta,
                StopRules(max_steps=1),
                batch_size=s.batch_size,
                seed=s.seed + len(doc.gd_trajectory),
            )
            record = trainer.step()
        except ValueError as exc:  # (settings that cannot step here, e.g. Levenberg–Marquardt on batches)
            self._notice.emit("warning", f"No step: {exc}.")
            return
        stepped = replace(before, theta=record.params)
        if not np.all(np.isfinite(record.params)) or doc.trouble(stepped) is not None:
            self._notice.emit("warning", self.divergence_text("the step overflowed"))
            return
        doc.record_step(before, record)

    def runnable(self) -> bool:
        """True when there are points to fit (else says so)."""
        if self.doc.dataset.n == 0:
            self._notice.emit("warning", "There are no data points to fit: click on the plot to add some.")
            return False
        return True

    # -- the task's deliveries ------------------------------------------------------------------------------
    @Slot(object)
    def _on_progressed(self, progress: RunProgress) -> None:
        if self.handle is not None:
            self.doc.absorb_run(progress)

    @Slot(object)
    def _on_finished(self, outcome: RunOutcome) -> None:
        if self.handle is not None:
            self.doc.absorb_run(outcome.tail)  # the steps since the last report, and the end itself
            self._finish(outcome.result)

    @Slot(str)
    def _on_failed(self, why: str) -> None:
        if self.handle is not None:
            self._finish(self.doc.run_so_far(why))

    def _finish(self, result: TrainResult) -> None:
        self.handle = None
        self.doc.end_run(result)
        self._report(result)
        self.runFinished.emit(result)
        self.runningChanged.emit(False)

    # -- what the user reads ---------------------------------------------------------------------------------
    def _report(self, result: TrainResult) -> None:
        """Say how the run ended, in the same words as ``workbench fit`` (``fitting.verdict``)."""
        doc, s = self.doc, self.doc.settings
        reason = result.stop_reason
        if reason is StopReason.DIVERGED:
            self._notice.emit("error", self.divergence_text(result.message, result.loss))
            return
        if reason is StopReason.STOPPED and result.message and result.message != STOPPED_BY_USER:
            where = "where it started" if result.steps == 0 else "at the last knobs it reported"
            self._notice.emit(
                "warning",
                f"Gradient descent stopped after {app_numbers().counted(result.steps, 'step')}: {result.message}. "
                f"The knobs stay {where} (loss {app_numbers().loss(result.loss)}).",
            )
            return
        problem = None if doc.big and not doc.problem.knows("exact") else doc.problem
        text = describe_result(result, problem, s.optimizer, s.lr)
        level = (
            "warning"
            if reason in (StopReason.STALLED, StopReason.MAX_STEPS) and stop_hint(result, problem, s.optimizer, s.lr)
            else "info"
        )
        self._notice.emit(level, text)

    def divergence_text(self, why: str, loss: float | None = None) -> str:
        """Why a run diverged and what to do about it, in the user's terms (and the one-click fix offered)."""
        s = self.doc.settings
        advice = rate_advice(self.doc)
        limit = advice.limit if advice.limit is not None else float("nan")
        numbers = app_numbers()
        text = f"Gradient descent diverged ({why}). "
        fix = (
            f" Run › Use a stable learning rate (Ctrl+L) sets {numbers.learning_rate(advice.suggested)}."
            if advice.suggested is not None and advice.suggested < s.lr
            else ""
        )
        if s.optimizer == "gd" and math.isfinite(limit):
            relation = "above" if s.lr > limit else "near"
            text += (
                f"Learning rate {numbers.learning_rate(s.lr)} is {relation} the stability limit "
                f"{numbers.learning_rate(limit)} {advice.words}.{fix} "
            )
        elif math.isfinite(limit):
            text += f"Try a smaller learning rate (plain GD is stable below {numbers.learning_rate(limit)}).{fix} "
        elif fix:
            text += f"Try a smaller learning rate.{fix} "
        if fix:
            self.stableRateOffered.emit()
        if loss is not None:
            text += f"Knobs restored to the last finite values (loss {numbers.loss(loss)})."
        return text.rstrip()

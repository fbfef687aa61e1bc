"""Your own formula in the window: reading it (a clear message with the position of a mistake), its start
values (kept by name when the formula is edited, else guessed from the data), and its landmark, the
Levenberg–Marquardt fit that plays for formulas the role the exact solve plays for polynomials.

Guess start and the Levenberg–Marquardt solve are tasks in a compute process (a guess may search for a
second); their results apply only to the formula and data they were asked for.
"""

from __future__ import annotations

import weakref
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from workbench.fitting.formula import FormulaError
from workbench.fitting.formula_model import FormulaModel
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.number_style import app_numbers
from workbench.qt.tasks.runner import TaskHandle, TaskRunner
from workbench.tasks.formula_fit import GuessedStart, GuessStartTask, SolveTask


class FormulaController(QObject):
    """Formula models: set one, guess its start, solve it with Levenberg–Marquardt."""

    busyChanged = Signal(bool)  # a guess or a solve started or ended

    def __init__(self, document: FitDocument, runner: TaskRunner, controller, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = document
        self.runner = runner
        # The controller that owns this one, for its undoable changes and notices: held weakly, so the two
        # make no reference cycle (collecting a cycle of Qt parent and child crashes the interpreter).
        self._owner = weakref.ref(controller)
        self._notice = controller.notice
        self.guessing: TaskHandle | None = None
        self.solving: TaskHandle | None = None

    def _controller(self):
        return self._owner()

    @property
    def busy(self) -> bool:
        """True while a guess or a solve runs."""
        return self.guessing is not None or self.solving is not None

    def set_formula(self, text: str) -> bool:
        """Fit ``text`` from now on (one undo step); False, with a message marking the mistake, when it cannot
        be read.  Parameters the formula had before keep their values; new ones start where Guess start puts
        them (or at 1 without data)."""
        text = str(text).strip()
        state = self.doc.state
        try:
            model = FormulaModel(text)
        except FormulaError as exc:
            self._notice.emit("error", f"The formula was not used: {exc}.")
            self.doc.redisplay(model=True)
            return False
        if state.model == "formula" and text == state.formula:
            return True
        old = dict(zip(state.build_model().parameter_labels(), state.theta)) if state.model == "formula" else {}
        names = model.parameter_names
        theta = np.array([old.get(name, 1.0) for name in names], dtype=np.float64)
        self._controller().stop_run()
        if not self._controller().apply_change(
            replace(state, model="formula", formula=text, theta=theta), f"Formula y = {text}", model=True
        ):
            return False
        if self.doc.dataset.n and not all(name in old for name in names):
            self.guess_start()
        return True

    def guess_start(self) -> bool:
        """Start values for the formula guessed from the data, in a compute process (False when there is
        no formula or no data to guess from)."""
        state = self.doc.state
        if state.model != "formula":
            return False
        if self.doc.dataset.n == 0:
            self._notice.emit("info", "Add data points first: start values are guessed from the data.")
            return False
        if self.guessing is not None:
            self.guessing.cancel()
        problem = self.doc.problem  # (the training points)
        task = GuessStartTask(state.formula, problem.x, problem.y, problem.sigma)
        self.guessing = self.runner.create(
            task, "process", name="guess-start", on_finished=self._on_guessed, on_failed=self._on_guess_failed
        )
        self.busyChanged.emit(True)
        self.guessing.start()
        return True

    def solve(self) -> bool:
        """Levenberg–Marquardt from the current knobs, in a compute process: the formula's landmark."""
        doc = self.doc
        if doc.state.model != "formula" or doc.dataset.n == 0:
            self._notice.emit("warning", "Add data points to solve the formula.")
            return False
        if self.solving is not None:
            self.solving.cancel()
        self._solving_for = doc.problem_key
        task = SolveTask(doc.problem, doc.state.theta.copy(), doc.problem_key)
        self.solving = self.runner.create(
            task, "process", name="levenberg-marquardt", on_finished=self._on_solved, on_failed=self._on_solve_failed
        )
        self.busyChanged.emit(True)
        self.solving.start()
        return True

    def shutdown(self) -> None:
        """Cancel a guess or a solve (the window is closing)."""
        for handle in (self.guessing, self.solving):
            if handle is not None:
                handle.cancel()
        self.guessing = self.solving = None

    # -- the tasks' ends ---------------------------------------------------------------------------------------
    @Slot(object)
    def _on_guessed(self, guess: GuessedStart) -> None:
        self.guessing = None
        self.busyChanged.emit(self.busy)
        state = self.doc.state
        if state.model != "formula" or state.formula != guess.formula:
            return  # the formula changed meanwhile: this guess is for another
        if self._controller().set_knobs(guess.params, "Guess start"):
            self._controller().rates.follow()  # (a formula's curvature depends on where its knobs are)
            self._notice.emit("info", guess.explanation)  # (it begins "Guess start:")

    @Slot(str)
    def _on_guess_failed(self, why: str) -> None:
        self.guessing = None
        self.busyChanged.emit(self.busy)
        self._notice.emit("warning", f"No start values could be guessed ({_reason(why)}): type some in the knobs.")

    @Slot(object)
    def _on_solved(self, fit) -> None:
        self.solving = None
        self.busyChanged.emit(self.busy)
        if self.doc.problem_key != self._solving_for:
            return  # solved for a formula or data that are gone
        self.doc.set_solution(fit)
        self.doc.set_overlays(exact=True)
        word = {"converged": "converged", "stalled": "stopped moving"}.get(fit.stop_reason, fit.stop_reason)
        self._notice.emit(
            "info",
            f"Levenberg–Marquardt {word} after {app_numbers().counted(fit.steps, 'step')}: "
            f"loss {app_numbers().loss(fit.loss)} (shown dashed).",
        )

    @Slot(str)
    def _on_solve_failed(self, why: str) -> None:
        self.solving = None
        self.busyChanged.emit(self.busy)
        self._notice.emit("warning", f"Levenberg–Marquardt could not start: {_reason(why)}.")


def _reason(why: str) -> str:
    """A task's failure as a clause: "ValueError: At a = 1: …" → "At a = 1: …"."""
    head, _, rest = why.partition(": ")
    return (rest if head.endswith("Error") and rest else why).rstrip(".")

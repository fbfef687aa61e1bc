"""Big data's derived facts, asked of a compute process, and a change taken back when its numbers fail.

From ``BIG_POINTS`` points the document computes nothing that costs a pass over the data on the window's
thread: after each change this controller asks a compute process for the facts of the new state (loss,
gradient, the curve at every point, and once per problem the optimum, the Hessian and the report), at most
one request at a time (a drag of a knob asks again, for the latest knobs, when the answer comes).  The views
show "computing…" until the document has taken the facts in.  A change whose numbers turn out not to be
computable (beyond double precision) is taken back, as it would have been refused for small data.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from workbench.qt.app_state.document import FitDocument
from workbench.qt.tasks.runner import TaskHandle, TaskRunner
from workbench.tasks.facts import FactsTask, StateFacts


class FactsController(QObject):
    """Keeps big data's facts coming for the document's current state."""

    computed = Signal()  # the facts of the current state arrived (for tests and benchmarks)

    def __init__(self, document: FitDocument, runner: TaskRunner, notice: Signal, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = document
        self.runner = runner
        self._notice = notice
        self.handle: TaskHandle | None = None
        self._asked: tuple | None = None  # (problem key, knobs) of the request in flight
        self._failed: tuple | None = None  # the state whose facts could not be computed (not asked again)
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.request)
        document.stateChanged.connect(self._timer.start)
        document.runChanged.connect(self._timer.start)
        self._timer.start()  # the document's first state

    @property
    def busy(self) -> bool:
        """True while a request is in flight."""
        return self.handle is not None

    @Slot()
    def request(self) -> None:
        """Ask for the current state's facts, unless they are known, asked for already, or a run is showing
        its own (its reports bring the loss and gradient)."""
        doc = self.doc
        if not (doc.big and doc.pending) or doc.running:
            return
        wanted = (doc.problem_key, doc.state.theta.tobytes())
        if wanted in (self._asked, self._failed):
            return
        if self.handle is not None:
            return  # one at a time: asked again for the latest state when this one answers
        state = doc.state
        problem = doc.problem
        task = FactsTask(
            problem,
            state.theta.copy(),
            doc.problem_key,
            with_problem_facts=not problem.knows("exact"),
            all_x=None if state.split is None else state.dataset.x,
            validation=doc.validation_problem,
        )
        self._asked = wanted
        self.handle = self.runner.create(
            task, "process", name="facts", on_finished=self._on_finished, on_failed=self._on_failed
        )
        self.handle.start()

    def shutdown(self) -> None:
        """Stop asking (the window is closing)."""
        self._timer.stop()
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None

    @Slot(object)
    def _on_finished(self, facts: StateFacts | None) -> None:
        self.handle, self._asked = None, None
        if facts is not None and self.doc.take_facts(facts):
            if facts.trouble is not None:
                self._take_back(facts.trouble)
            else:
                self.computed.emit()
        self.request()  # the state may have moved on meanwhile

    @Slot(str)
    def _on_failed(self, why: str) -> None:
        self._failed, self.handle, self._asked = self._asked, None, None
        self._notice.emit(
            "warning", f"The loss, the optimum and the report of these data could not be computed: {why}."
        )
        self.request()

    def _take_back(self, why: str) -> None:
        """The current state's numbers cannot be computed with: undo the change that made it, and say why."""
        stack = self.doc.undo_stack
        if stack.canUndo():
            command = stack.command(stack.index() - 1)
            text = command.text()
            command.setObsolete(True)  # taken back for good: not offered for redo
            stack.undo()
            self._notice.emit("error", f"“{text}” was taken back: {why}.")
        else:
            self._notice.emit("error", f"These data cannot be fitted as they are: {why}.")

"""The document in the window: the Qt-free ``workbench.state.Document`` with signals and an undo stack.

Every change of the document's state is one ``QUndoCommand`` that swaps two ``FitState``s; consecutive
commands with the same merge key (a knob drag, a point drag) become one step.  Each aspect the core document
reports as changed is emitted as its signal, which the views redraw from.  Only the document's own methods
change it; the controllers call them.
"""

from __future__ import annotations

import itertools
import weakref

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from workbench.fitting.data import Dataset
from workbench.state.document import SNAPSHOT_SLOTS, Document
from workbench.state.fit_state import FitState
from workbench.state.runs import RunRecord

__all__ = ["SNAPSHOT_SLOTS", "FitDocument", "FitState", "RunRecord"]


class _StateCommand(QUndoCommand):
    """Swap between two ``FitState``s; consecutive commands with the same merge key become one step."""

    _ids = itertools.count(1)

    def __init__(self, document: FitDocument, before: FitState, after: FitState, text: str, merge_key: object = None):
        super().__init__(text)
        # A weak reference: the document owns its undo stack, which owns the commands; a strong one back would
        # make a cycle that Python's collector may break in an order that makes Qt delete a command twice (a
        # segfault when a parentless document is collected).
        self._document = weakref.ref(document)
        self.before, self.after, self.merge_key = before, after, merge_key

    def id(self) -> int:  # noqa: A003 - Qt API
        return 1 if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _StateCommand) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        document = self._document()
        if document is not None:
            document._set_state(self.after)

    def undo(self) -> None:
        document = self._document()
        if document is not None:
            document._set_state(self.before)


class FitDocument(QObject, Document):
    """The window's document: ``Document``'s state and methods, its changes as signals, under undo."""

    stateChanged = Signal()  # anything in FitState changed
    dataChanged = Signal()  # the dataset changed
    modelChanged = Signal()  # degree, basis, loss or split changed (knob count may differ)
    splitChanged = Signal()  # the train/validation split changed (also emits modelChanged)
    knobsChanged = Signal()  # theta changed
    settingsChanged = Signal()  # run settings changed
    trailChanged = Signal()  # manual trail, GD trajectory or histories changed
    overlaysChanged = Signal()  # ghost curves shown or hidden, or their contents changed
    raceChanged = Signal()  # the optimiser race started, progressed, ended or was dropped
    sweepChanged = Signal()  # the learning-rate sweep started, progressed, ended or was dropped
    snapshotsChanged = Signal()  # a snapshot slot was filled, re-scored or emptied
    runChanged = Signal()  # a gradient-descent run started or ended
    factsChanged = Signal()  # the derived facts of big data arrived (loss, curve, optimum, report)

    def __init__(self, dataset: Dataset, parent: QObject | None = None, *, degree: int = 5, optimizer: str = "gd"):
        """``degree`` and ``optimizer`` are where a new document starts (the user's preferences)."""
        # QObject's __init__ passes the keywords it does not know on to Document's (cooperative inheritance).
        super().__init__(parent, dataset=dataset, degree=degree, optimizer=optimizer)
        self.undo_stack = QUndoStack(self)
        self.opening = False  # True while an opened session replaces this document
        self._signals = {
            "data": self.dataChanged,
            "split": self.splitChanged,
            "model": self.modelChanged,
            "knobs": self.knobsChanged,
            "state": self.stateChanged,
            "settings": self.settingsChanged,
            "trail": self.trailChanged,
            "overlays": self.overlaysChanged,
            "race": self.raceChanged,
            "sweep": self.sweepChanged,
            "snapshots": self.snapshotsChanged,
            "run": self.runChanged,
            "facts": self.factsChanged,
        }

    def _notify(self, *aspects: str) -> None:
        for aspect in aspects:
            self._signals[aspect].emit()
        super()._notify(*aspects)

    def apply(
        self, new_state: FitState, text: str = "", merge_key: object = None, before: FitState | None = None
    ) -> None:
        """Make ``new_state`` current as one undoable step named ``text``.

        ``before`` is what undo returns to (default: the current state); a finished run passes the state it
        started from, so the live moves in between are not steps of their own.
        """
        before = self._state if before is None else before
        new_state = self.identified(new_state)
        if new_state.equals(before):
            if not new_state.equals(self._state):
                self._set_state(new_state)
            return
        self.undo_stack.push(_StateCommand(self, before, new_state, text, merge_key))

    def replace_with(self, other: Document) -> None:
        """Become ``other`` (an opened session): a new starting point, so the undo history is emptied (undoing
        "into" the previous document would mix two documents' trails and snapshots)."""
        self.undo_stack.clear()
        self.opening = True  # listeners keep what the session holds (the learning rate does not follow)
        try:
            super().replace_with(other)
        finally:
            self.opening = False

"""Snapshot slots in the window: how they look on the fit plot, and the Snapshots menu.

A snapshot is a named copy of knobs the user keeps as a landmark ("my best knobs", "GD result",
"exact"): taken explicitly (the controller says from where), drawn as a dashed curve with its loss in
the legend, restorable as one undoable step, and saved with the session.  The document holds them;
this module only presents them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from workbench.qt.app_state.controller import Controller
from workbench.qt.app_state.document import SNAPSHOT_SLOTS, FitDocument
from workbench.qt.style.number_style import app_numbers

TAKE_TIPS = {
    "my best knobs": "Keep the best knobs you have found by hand so far as a snapshot",
    "GD result": "Keep where the last gradient-descent run ended as a snapshot",
    "exact": "Keep the exact least-squares optimum as a snapshot",
}


def _object_name(prefix: str, name: str) -> str:
    return prefix + "".join(part.capitalize() for part in name.replace("-", " ").split()) + "Action"


class SnapshotMenu(QObject):
    """The Snapshots menu: take each slot (Ctrl+1..3), restore one (Alt+1..3), clear them all
    (Ctrl+Shift+X).

    Restore entries are enabled only for filled slots and show the slot's loss; snapshots with other
    names (from a session saved elsewhere) get restore entries of their own.
    """

    def __init__(self, menu: QMenu, document: FitDocument, controller: Controller, parent: QObject):
        super().__init__(parent)
        self.document, self.controller = document, controller
        self.take_actions: dict[str, QAction] = {}
        self.restore_actions: dict[str, QAction] = {}
        for number, slot in enumerate(SNAPSHOT_SLOTS, start=1):
            self.take_actions[slot] = self._add(
                menu,
                f"Take snapshot: {slot}",
                f"Ctrl+{number}",
                TAKE_TIPS[slot],
                _object_name("takeSnapshot", slot),
                lambda _c=False, s=slot: controller.take_snapshot(s),
            )
        self.restore_menu = menu.addMenu("&Restore snapshot")
        self.restore_menu.setObjectName("restoreSnapshotMenu")
        self.restore_menu.setToolTipsVisible(True)
        for number, slot in enumerate(SNAPSHOT_SLOTS, start=1):
            self.restore_actions[slot] = self._add(
                self.restore_menu,
                slot,
                f"Alt+{number}",
                f"Set the knobs to the snapshot “{slot}” (undoable)",
                _object_name("restoreSnapshot", slot),
                lambda _c=False, s=slot: controller.restore_snapshot(s),
            )
        self._extra_actions: list[QAction] = []
        self._extra_separator = self.restore_menu.addSeparator()
        menu.addSeparator()
        self.clear_action = self._add(
            menu,
            "&Clear snapshots",
            "Ctrl+Shift+X",
            "Empty every snapshot slot",
            "clearSnapshotsAction",
            lambda _c=False: controller.clear_snapshots(),
        )
        document.snapshotsChanged.connect(self.refresh)
        self.refresh()

    def _add(self, menu: QMenu, text: str, shortcut: str | None, tip: str, name: str, slot) -> QAction:
        action = QAction(text, self.parent())
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    @Slot()
    def refresh(self) -> None:
        """Enable and label the restore entries from the filled slots."""
        snapshots = self.document.snapshots
        for slot, action in self.restore_actions.items():
            filled = snapshots.get(slot)
            action.setEnabled(filled is not None)
            action.setText(slot if filled is None else f"{slot}  (loss {app_numbers().loss(filled[0])})")
        for action in self._extra_actions:  # (one may be the action being triggered: deleteLater)
            self.restore_menu.removeAction(action)
            action.setObjectName("")
            action.deleteLater()
        self._extra_actions = []
        for name, (loss, _theta) in snapshots.items():
            if name in self.restore_actions:
                continue
            action = self._add(
                self.restore_menu,
                f"{name}  (loss {app_numbers().loss(loss)})",
                None,
                f"Set the knobs to the snapshot “{name}” (undoable)",
                "restoreSnapshotOtherAction",
                lambda _c=False, n=name: self.controller.restore_snapshot(n),
            )
            self._extra_actions.append(action)
        self._extra_separator.setVisible(bool(self._extra_actions))
        self.clear_action.setEnabled(bool(snapshots))

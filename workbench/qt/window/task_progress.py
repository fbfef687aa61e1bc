"""Waiting for a file task with the window alive: a progress dialog (with Cancel where it makes sense) over a
task on a thread, while the event loop keeps the window painted.

Saving and opening a big session take seconds; the window must neither freeze nor change under the task (a
save writes a copy of the document; an open replaces it when done), so the dialog is window-modal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from workbench.qt.tasks.runner import TaskRunner

SHOW_AFTER_MS = 300  # a task that ends sooner never shows its dialog


@dataclass
class TaskEnd:
    """How a waited-for task ended: its result, or why it failed, or that it was cancelled."""

    result: Any = None
    error: str = ""
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """True when the task delivered a result."""
        return not (self.error or self.cancelled)


def run_with_progress(
    parent: QWidget, runner: TaskRunner, task: Any, label: str, *, cancellable: bool = False
) -> TaskEnd:
    """Run ``task`` on a thread and wait for it with a progress dialog; the window stays painted."""
    end = TaskEnd()
    loop = QEventLoop()
    dialog = QProgressDialog(label, "Cancel" if cancellable else "", 0, 1000, parent)
    dialog.setObjectName("taskProgressDialog")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    if not cancellable:
        dialog.setCancelButton(None)
    dialog.setValue(0)  # starts the clock of SHOW_AFTER_MS (without it the first report shows the dialog at once)

    def finished(result) -> None:
        end.result = result
        end.cancelled = result is None and dialog.wasCanceled()
        loop.quit()

    def failed(why: str) -> None:
        end.error = why
        loop.quit()

    def progressed(snapshot) -> None:
        fraction = getattr(snapshot, "fraction", None)
        if fraction is not None:
            dialog.setValue(round(1000 * fraction))
            what = getattr(snapshot, "what", "")
            if what:
                dialog.setLabelText(f"{label} ({what}…)")

    handle = runner.start(task, "thread", name=label, on_progress=progressed, on_finished=finished, on_failed=failed)
    if handle.running:

        def cancel() -> None:
            if not handle.running:  # (closing the dialog emits canceled too: the task is over by then)
                return
            end.cancelled = True
            handle.cancel()
            loop.quit()

        dialog.canceled.connect(cancel)
        QTimer.singleShot(0, loop, lambda: None if handle.running else loop.quit())
        loop.exec()
    dialog.close()
    dialog.deleteLater()
    return end

"""The files around a session and the questions asked about them: the recovery copy autosave writes,
the recent-files list, and the two prompts (unsaved changes; restore after a crash).

Kept apart from ``SessionManager`` (which decides *when*) so each piece says plainly *where* and *how*:
the recovery file is written atomically like every save and set aside rather than deleted when the user
declines it; the recent list lives in QSettings, most recent first, at most ``MAX_RECENT`` entries.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QLockFile, QSettings
from PySide6.QtWidgets import QMessageBox, QWidget

from workbench.state.document import Document
from workbench.state.session import save_session

RECOVERY_NAME = "recovery.json"
RECENT_KEY = "sessions/recentFiles"
MAX_RECENT = 8


class RecoveryFile:
    """``recovery.json`` in one folder: written while there is unsaved work, gone once there is none.

    One running app owns it (a ``QLockFile`` beside it; a crashed owner's lock is stale, since its
    process is gone).  A second app running at the same time must neither offer the first one's live
    work as "recovered" nor overwrite or delete it: it does not own the file, and leaves it alone.
    """

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        self._lock = QLockFile(str(self.directory / "recovery.lock"))
        self._lock.setStaleLockTime(0)  # stale only when its owner is gone, however old
        self.owned = False

    def claim(self) -> bool:
        """Own the file for this window; False while another running app owns it."""
        if not self.owned:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError:
                return False
            self.owned = self._lock.tryLock(0)
        return self.owned

    def release(self) -> None:
        """Let the next app own the file (this window is closing)."""
        if self.owned:
            self._lock.unlock()
            self.owned = False

    @property
    def path(self) -> Path:
        """Where the unsaved work is written."""
        return self.directory / RECOVERY_NAME

    def write(self, document: Document, view: dict) -> float:
        """Write the session atomically; returns the seconds it took (OSError/SessionError on failure)."""
        started = time.perf_counter()
        save_session(document, view, self.path)
        return time.perf_counter() - started

    def discard(self) -> None:
        """Remove the file (its work is saved, or was deliberately discarded); not another app's."""
        if not self.owned:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass  # a recovery file that cannot be removed is offered again at the next launch: harmless

    def set_aside(self, name: str) -> Path:
        """Rename the file to ``name`` in the same folder (replacing an older one); returns the new path."""
        aside = self.path.with_name(name)
        os.replace(self.path, aside)
        return aside


def read_recent() -> list[str]:
    """Sessions saved or opened lately, most recent first."""
    value = QSettings().value(RECENT_KEY, [])
    if isinstance(value, str):  # a one-element list comes back from an INI file as text
        value = [value]
    return [str(v) for v in (value or []) if v][:MAX_RECENT]


def write_recent(paths: list[str]) -> None:
    """Store the recent list (cut to ``MAX_RECENT``)."""
    QSettings().setValue(RECENT_KEY, list(paths)[:MAX_RECENT])


def reason(exc: Exception) -> str:
    """An error's message without a trailing period (it goes inside a sentence)."""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    else:
        text = str(exc) or type(exc).__name__
    return text.rstrip(".")


def ask_save_discard_cancel(parent: QWidget, name: str) -> str:
    """Ask whether to save the changes to ``name``: "save", "discard" or "cancel" (modal)."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Unsaved changes",
        f"Save the changes to {name} before going on?",
        buttons.Save | buttons.Discard | buttons.Cancel,
        parent,
    )
    box.setObjectName("unsavedChangesBox")
    box.setInformativeText("Discard loses every change since the last save.")
    box.setDefaultButton(buttons.Save)
    answer = buttons(box.exec())
    return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")


def ask_restore(parent: QWidget, when: datetime) -> bool:
    """Ask whether to restore the unsaved work kept at ``when`` by a session that crashed (modal)."""
    answer = QMessageBox.question(
        parent,
        "Restore unsaved work?",
        f"Curve Fitter Workbench did not close normally. Unsaved work from {when:%Y-%m-%d %H:%M} was kept."
        "\n\nRestore it?",
    )
    return answer == QMessageBox.StandardButton.Yes

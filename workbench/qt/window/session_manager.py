"""Sessions in the window: the current file, unsaved changes, Save / Open, autosave and recovery, recent files.

*Modified* means: the undo stack is away from its clean index (every edit, knob move, run and reset is
a step there), or the run settings or snapshots differ from what was last saved or opened.  Undoing
back to the saved state is clean again.

*Autosave* writes ``recovery.json`` (atomically, as every save) while there are unsaved changes: 3 s
after the last change, and at least every 30 s during a stream of changes, never while gradient descent
runs (its end is a change that schedules the next write), so a run's ~30 redraws a second never reach
the disk.  Writing holds the GUI thread (JSON encoding holds the GIL anyway), so both delays stretch
with the time the last write took: autosave never takes more than ~2% of the time.  The file lives in
``AppDataLocation`` (``$WORKBENCH_RECOVERY_DIR`` or a constructor argument override it) and is deleted
by a save, by opening or starting a session, and by a normal close, Discard included.

*Recovery*: a recovery file found at launch means the app crashed; ``offer_recovery`` asks to restore
it.  A "No" keeps it once as ``recovery.declined.json`` (an accidental No is not a loss: File › Open
session… opens it); a damaged one is moved aside as ``recovery.damaged.json``.  The first app running
owns the file (``RecoveryFile``): a second one at the same time neither offers nor touches it, and says
that it is not autosaved.

Prompts are the methods ``ask_unsaved_changes``, ``ask_restore_recovery`` and the ``QFileDialog`` calls,
so tests replace them and never leave a modal open.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal, Slot
from PySide6.QtWidgets import QFileDialog

from workbench.fitting.basis import Basis
from workbench.fitting.data import Dataset
from workbench.qt.app_state.preferences import Preferences
from workbench.qt.window.session_files import (
    RecoveryFile,
    ask_restore,
    ask_save_discard_cancel,
    read_recent,
    reason,
    write_recent,
)
from workbench.qt.window.session_mapping import OVERLAYS, apply_session, check_session, session_from_window
from workbench.session import Session, SessionError, load_session, save_session, warm_dataset_json

if TYPE_CHECKING:
    from workbench.qt.window.main_window import MainWindow

RECOVERY_ENV = "WORKBENCH_RECOVERY_DIR"
AUTOSAVE_DEBOUNCE_MS = 3_000
AUTOSAVE_INTERVAL_MS = 30_000
AUTOSAVE_SHARE = 0.02  # a big session (10⁶ points: ~1.5 s to write) is autosaved less often
FILE_FILTER = "Workbench sessions (*.json);;All files (*)"
# Points from which new data is encoded for saving in the background, once it has been left alone for
# ENCODE_DELAY_MS (10⁶ points take ~1.3 s to encode; each dataset is encoded once, then every autosave
# and save reuses the text: see ``workbench.session.dataset_json``).
ENCODE_AHEAD_POINTS = 50_000
ENCODE_DELAY_MS = 1_000


class SessionManager(QObject):
    """The main window's session file: path, modified state, save/open, autosave, recovery, recent files."""

    modifiedChanged = Signal(bool)
    pathChanged = Signal()
    recentChanged = Signal()

    def __init__(self, window: MainWindow, recovery_dir: str | os.PathLike[str] | None = None):
        super().__init__(window)
        self._window = window
        self._doc = window.document
        self._notice = window.controller.notice
        self.path: Path | None = None
        directory = (
            recovery_dir
            or os.environ.get(RECOVERY_ENV)
            or QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        )
        self.recovery = RecoveryFile(directory)
        self.recovery.claim()
        self._told_not_owner = False
        self._saved = self._fingerprint()
        self._modified = False
        self._autosave_failed = False
        self._debounce = QTimer(self, singleShot=True, interval=AUTOSAVE_DEBOUNCE_MS)
        self._deadline = QTimer(self, singleShot=True, interval=AUTOSAVE_INTERVAL_MS)
        self._debounce.timeout.connect(self._autosave)
        self._deadline.timeout.connect(self._autosave)
        self._doc.undo_stack.indexChanged.connect(self._on_document_changed)
        self._doc.undo_stack.cleanChanged.connect(self._on_document_changed)
        self._doc.settingsChanged.connect(self._on_document_changed)
        self._doc.snapshotsChanged.connect(self._on_document_changed)
        self._doc.destroyed.connect(self._on_document_destroyed)
        self._encode_ahead = QTimer(self, singleShot=True, interval=ENCODE_DELAY_MS)
        self._encode_ahead.timeout.connect(self._on_encode_ahead)
        self._doc.dataChanged.connect(self._on_data_changed)

    # -- modified ----------------------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        """True when there are changes since the last save or open."""
        return self._modified

    @property
    def recovery_path(self) -> Path:
        """Where autosave writes the unsaved work."""
        return self.recovery.path

    def _fingerprint(self):
        """What of the document lies outside the undo stack: run settings and snapshots."""
        doc = self._doc
        return doc.settings, tuple((name, loss, theta.tobytes()) for name, (loss, theta) in doc.snapshots.items())

    def _compute_modified(self) -> bool:
        return not self._doc.undo_stack.isClean() or self._fingerprint() != self._saved

    @Slot()
    def _on_document_destroyed(self, *_) -> None:
        # The window is being deleted: its undo stack still signals as it clears itself, after the
        # document's wrapper is gone.  Nothing is left to save.
        self._doc = None
        self._stop_autosave()
        self.recovery.release()

    @Slot()
    def _on_data_changed(self) -> None:
        if self._doc is not None and self._doc.dataset.n >= ENCODE_AHEAD_POINTS:
            self._encode_ahead.start()  # restarted while the data keeps changing (a drag)

    @Slot()
    def _on_encode_ahead(self) -> None:
        if self._doc is not None and self._doc.dataset.n >= ENCODE_AHEAD_POINTS:
            warm_dataset_json(self._doc.dataset)  # a background thread: the GUI stays responsive

    @Slot()
    def _on_document_changed(self, *_) -> None:
        if self._doc is None:
            return
        self._refresh_modified()
        if self._modified:
            self._debounce.start()  # restarted by every change...
            if not self._deadline.isActive():  # ...but a stream of changes still saves every 30 s
                self._deadline.start()
        else:
            self._stop_autosave()
            self.discard_recovery()

    def _refresh_modified(self) -> None:
        modified = self._compute_modified()
        if modified != self._modified:
            self._modified = modified
            self.modifiedChanged.emit(modified)

    def mark_clean(self) -> None:
        """The document now matches its file (just saved or opened)."""
        self._doc.undo_stack.setClean()
        self._saved = self._fingerprint()
        self._stop_autosave()
        self._refresh_modified()

    def _mark_unsaved(self) -> None:
        """The document holds work no file has (restored from a recovery copy)."""
        self._saved = None
        self._refresh_modified()

    def _set_path(self, path: str | os.PathLike[str] | None) -> None:
        self.path = None if path is None else Path(path).absolute()
        self.pathChanged.emit()

    def _now_at(self, path: str | os.PathLike[str]) -> None:
        """The document was just saved to or opened from ``path``."""
        self._set_path(path)
        self.mark_clean()
        self.discard_recovery()
        self._add_recent(self.path)
        Preferences().remember_directory_of(self.path)

    # -- save ---------------------------------------------------------------------------------------
    def save(self) -> bool:
        """Save to the current file (asks for one the first time); False if nothing was saved."""
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        """Ask where to save, then save there."""
        name = self.path.name if self.path else f"{self._doc.dataset.name or 'session'}.json"
        path, _ = QFileDialog.getSaveFileName(
            self._window, "Save session as", str(self._start_dir() / name), FILE_FILTER
        )
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return self.save_to(path)

    def save_to(self, path: str | os.PathLike[str]) -> bool:
        """Write the session to ``path`` atomically; on failure say why and keep everything unsaved."""
        self._window.controller.stop_run()  # a run in progress becomes its finished step first
        try:
            save_session(session_from_window(self._window), path)
        except (SessionError, OSError) as exc:
            self._notice.emit(
                "error",
                f"Could not save the session to {path}: {reason(exc)}. "
                "The file on disk is unchanged and your work is still open: save it "
                "elsewhere (File › Save session as…).",
            )
            return False
        self._now_at(path)
        self._window.statusBar().showMessage(f"Saved the session to {self.path}", 8000)
        return True

    # -- open ---------------------------------------------------------------------------------------
    def open_dialog(self) -> bool:
        """Ask for a session file and open it."""
        path, _ = QFileDialog.getOpenFileName(self._window, "Open session", str(self._start_dir()), FILE_FILTER)
        return bool(path) and self.open_path(path)

    def open_path(self, path: str | os.PathLike[str]) -> bool:
        """Open a session file; a bad file changes nothing and the message says what is wrong and where."""
        try:
            session = load_session(path)
            check_session(session, str(path))  # refused before asking to save anything
        except SessionError as exc:
            self._notice.emit("error", f"Could not open the session: {exc}")
            return False
        if not self.maybe_save():
            return False
        if not self._apply(session, str(path)):
            return False
        self._now_at(path)
        self._notice.emit("info", f"Opened the session {self.path}.")
        return True

    def new_session(self) -> bool:
        """Start over with no data and default settings (asks about unsaved changes first)."""
        if not self.maybe_save():
            return False
        session = Session(Dataset([], []), basis=Basis("monomial"), view={key: False for key in OVERLAYS})
        if not self._apply(session, "a new session"):
            return False
        self._set_path(None)
        self.mark_clean()
        self.discard_recovery()
        return True

    def _apply(self, session: Session, source: str) -> bool:
        try:
            warnings = apply_session(self._window, session, source)
        except SessionError as exc:
            self._notice.emit("error", f"Could not open the session: {exc}")
            return False
        for warning in warnings:
            self._notice.emit("warning", f"{source}: {warning}.")
        return True

    # -- unsaved changes ----------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Before the document is replaced or closed: True to go ahead (saved, discarded or nothing to
        save), False to stay (cancelled, or the save failed)."""
        if not self._modified:
            return True
        answer = self.ask_unsaved_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def confirm_close(self) -> bool:
        """The window is closing: ask about unsaved changes; on the way out remove the recovery copy."""
        if not self.maybe_save():
            return False
        self._stop_autosave()
        self.discard_recovery()
        self.recovery.release()
        return True

    def ask_unsaved_changes(self) -> str:
        """ "save", "discard" or "cancel" (a modal question; tests replace this method)."""
        return ask_save_discard_cancel(self._window, self.path.name if self.path else "this session")

    # -- autosave and recovery ----------------------------------------------------------------------
    def _stop_autosave(self) -> None:
        self._debounce.stop()
        self._deadline.stop()

    @Slot()
    def _autosave(self) -> None:
        self._stop_autosave()
        if not self._modified:
            return
        if self._window.controller.running:
            self._debounce.start()  # the run's end is a change of its own; until then, look again later
            return
        self.write_recovery()

    def write_recovery(self) -> bool:
        """Write the unsaved work to the recovery file now (what autosave does)."""
        if not self.recovery.claim():
            if not self._told_not_owner:
                self._told_not_owner = True
                self._notice.emit(
                    "info",
                    "Autosave is off in this window: another Curve Fitter Workbench "
                    "that is running keeps the recovery copy. Save to keep your work.",
                )
            return False
        extra = {"recovery_of": str(self.path) if self.path else None}
        try:
            took_ms = self.recovery.write(session_from_window(self._window, extra)) * 1000
        except (SessionError, OSError) as exc:
            if not self._autosave_failed:  # once, not every 30 s
                self._notice.emit(
                    "warning",
                    f"Autosave could not write {self.recovery_path}: {reason(exc)}. "
                    "Save the session to keep your work.",
                )
            self._autosave_failed = True
            return False
        self._autosave_failed = False
        self._debounce.setInterval(max(AUTOSAVE_DEBOUNCE_MS, round(took_ms / AUTOSAVE_SHARE / 10)))
        self._deadline.setInterval(max(AUTOSAVE_INTERVAL_MS, round(took_ms / AUTOSAVE_SHARE)))
        return True

    def discard_recovery(self) -> None:
        """Remove the recovery file (the work it holds is saved, or was deliberately discarded)."""
        self.recovery.discard()

    def offer_recovery(self) -> bool:
        """At launch: if a recovery file survived (the app crashed), offer to restore it.  True if restored."""
        path = self.recovery_path
        if not self.recovery.claim() or not path.is_file():
            return False  # (unowned: another running app's live work, not a crash's)
        try:
            session = load_session(path)
            when = datetime.fromtimestamp(path.stat().st_mtime)
        except (SessionError, OSError) as exc:
            self._set_aside("recovery.damaged.json", f"The recovery file could not be read ({reason(exc)})")
            return False
        if not self.ask_restore_recovery(path, when):
            self._set_aside("recovery.declined.json", "Unsaved work from the last session was not restored")
            return False
        if not self._apply(session, str(path)):
            self._set_aside("recovery.damaged.json", "The recovery file could not be restored")
            return False
        original = session.view.get("recovery_of")
        self._set_path(original if isinstance(original, str) and original else None)
        self._mark_unsaved()
        self._notice.emit("info", f"Restored unsaved work from {when:%Y-%m-%d %H:%M}: save it to keep it.")
        return True

    def ask_restore_recovery(self, path: Path, when: datetime) -> bool:
        """Ask whether to restore the recovery file (a modal question; tests replace this method)."""
        return ask_restore(self._window, when)

    def _set_aside(self, name: str, why: str) -> None:
        try:
            aside = self.recovery.set_aside(name)
        except OSError as exc:
            self._notice.emit("warning", f"{why}; it stays at {self.recovery_path} ({reason(exc)}).")
            return
        self._notice.emit("warning", f"{why}; it is kept as {aside} (File › Open session… opens it).")

    # -- recent files -------------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        """Sessions saved or opened lately, most recent first."""
        return read_recent()

    def _store_recent(self, paths: list[str]) -> None:
        write_recent(paths)
        self.recentChanged.emit()

    def _add_recent(self, path: Path) -> None:
        entry = str(path)
        self._store_recent([entry] + [p for p in self.recent_files() if p != entry])

    def open_recent(self, path: str) -> bool:
        """Open a session from the recent list; one that no longer exists is dropped from the list."""
        if not Path(path).is_file():
            self._store_recent([p for p in self.recent_files() if p != path])
            self._notice.emit("warning", f"{path} no longer exists; it was removed from File › Open recent.")
            return False
        return self.open_path(path)

    def clear_recent(self) -> None:
        """Forget the recent sessions."""
        self._store_recent([])

    def _start_dir(self) -> Path:
        if self.path is not None and self.path.parent.is_dir():
            return self.path.parent
        return Preferences().last_directory

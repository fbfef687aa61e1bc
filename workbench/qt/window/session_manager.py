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
from workbench.qt.window.session_view import open_in_window, read_view, view_state
from workbench.qt.window.task_progress import run_with_progress
from workbench.state.document import Document
from workbench.state.session import LoadedSession, SessionError, load_session, save_session
from workbench.tasks.session_io import OpenSessionTask, SaveSessionTask

if TYPE_CHECKING:
    from workbench.qt.window.main_window import MainWindow

RECOVERY_ENV = "WORKBENCH_RECOVERY_DIR"
AUTOSAVE_DEBOUNCE_MS = 3_000
AUTOSAVE_INTERVAL_MS = 30_000
AUTOSAVE_SHARE = 0.02  # a big session is autosaved less often: at most ~2 % of the time goes to it
FILE_FILTER = "Workbench sessions (*.json);;All files (*)"
BACKGROUND_POINTS = 100_000  # sessions with this many points are written on a thread (with progress)
BACKGROUND_BYTES = 4 * 1024 * 1024  # session files this big are read on a thread, with progress and Cancel
AUTOSAVE_CLOSE_WAIT_S = 5.0  # the most a closing window waits for an autosave it stopped to let go of the file


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
        self._autosaving = None  # the autosave task writing now (a big session is written on a thread)

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
        """Write the session to ``path`` atomically; on failure say why and keep everything unsaved.

        A big session is written on a thread behind a progress dialog (the window stays painted)."""
        self._window.controller.stop_run()  # a run in progress becomes its finished step first
        error = self._write(self._doc.frozen_copy(), view_state(self._window), path)
        if error:
            self._notice.emit(
                "error",
                f"Could not save the session to {path}: {error}. "
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
        """Open a session file; a bad file changes nothing and the message says what is wrong and where.

        A big file is read on a thread behind a progress dialog with Cancel."""
        loaded, error = self._read(path)
        if loaded is None:
            if error:
                self._notice.emit("error", f"Could not open the session: {error}")
            else:
                self._window.statusBar().showMessage(f"Stopped opening {Path(path).name}; nothing changed.", 8000)
            return False
        try:
            read_view(loaded.view, str(path))  # refused before asking to save anything
        except SessionError as exc:
            self._notice.emit("error", f"Could not open the session: {exc}")
            return False
        if not self.maybe_save():
            return False
        if not self._apply(loaded, str(path)):
            return False
        self._now_at(path)
        self._notice.emit("info", f"Opened the session {self.path}.")
        return True

    def new_session(self) -> bool:
        """Start over with no data and default settings (asks about unsaved changes first)."""
        if not self.maybe_save():
            return False
        fresh = Document(Dataset([], []), **Preferences().document_defaults())
        if not self._apply(LoadedSession(fresh, {}), "a new session"):
            return False
        self._set_path(None)
        self.mark_clean()
        self.discard_recovery()
        return True

    def _apply(self, loaded: LoadedSession, source: str) -> bool:
        try:
            warnings = open_in_window(self._window, loaded, source)
        except SessionError as exc:
            self._notice.emit("error", f"Could not open the session: {exc}")
            return False
        for warning in warnings:
            self._notice.emit("warning", f"{source}: {warning}.")
        return True

    # -- reading and writing files (a big one on a thread) --------------------------------------------------
    def _read(self, path: str | os.PathLike[str]) -> tuple[LoadedSession | None, str]:
        """(the session, "") or (None, why it could not be read); (None, "") when the user cancelled."""
        try:
            big = Path(path).stat().st_size >= BACKGROUND_BYTES
        except OSError:
            big = False  # the reader says why it cannot be read
        if not big:
            try:
                return load_session(path), ""
            except SessionError as exc:
                return None, str(exc)
        end = run_with_progress(
            self._window, self._window.runner, OpenSessionTask(path), f"Opening {Path(path).name}", cancellable=True
        )
        if end.cancelled:
            return None, ""
        return (end.result, "") if end.ok else (None, _without_type(end.error))

    def _write(self, document: Document, view: dict, path: str | os.PathLike[str]) -> str:
        """Write a session now; returns why it failed ("" when written)."""
        if document.dataset.n < BACKGROUND_POINTS:
            try:
                save_session(document, view, path)
            except (SessionError, OSError) as exc:
                return reason(exc)
            return ""
        end = run_with_progress(
            self._window, self._window.runner, SaveSessionTask(document, view, path), f"Saving {Path(path).name}"
        )
        return "" if end.ok else _without_type(end.error)

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
        self._abandon_autosave()
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
        if self._window.controller.running or (self._autosaving is not None and self._autosaving.running):
            self._debounce.start()  # the run's end is a change of its own; until then, look again later
            return
        self.write_recovery()

    def write_recovery(self) -> bool:
        """Write the unsaved work to the recovery file now (what autosave does); a big session is written on
        a thread (True: written, or being written)."""
        if not self.recovery.claim():
            if not self._told_not_owner:
                self._told_not_owner = True
                self._notice.emit(
                    "info",
                    "Autosave is off in this window: another Curve Fitter Workbench "
                    "that is running keeps the recovery copy. Save to keep your work.",
                )
            return False
        document = self._doc.frozen_copy()
        view = view_state(self._window, {"recovery_of": str(self.path) if self.path else None})
        task = SaveSessionTask(document, view, self.recovery_path)
        where = "thread" if document.dataset.n >= BACKGROUND_POINTS else "inline"
        handle = self._window.runner.start(
            task, where, name="autosave", on_finished=self._on_autosaved, on_failed=self._on_autosave_failed
        )
        self._autosaving = handle if handle.running else None  # (an inline one has ended already)
        return not self._autosave_failed

    @Slot(object)
    def _on_autosaved(self, took_s: float) -> None:
        self._autosaving = None
        self._autosave_failed = False
        took_ms = took_s * 1000
        self._debounce.setInterval(max(AUTOSAVE_DEBOUNCE_MS, round(took_ms / AUTOSAVE_SHARE / 10)))
        self._deadline.setInterval(max(AUTOSAVE_INTERVAL_MS, round(took_ms / AUTOSAVE_SHARE)))
        if not self._modified:  # saved or discarded while it was written: the copy is not wanted
            self.discard_recovery()

    @Slot(str)
    def _on_autosave_failed(self, why: str) -> None:
        self._autosaving = None
        if not self._autosave_failed:  # once, not every 30 s
            self._notice.emit(
                "warning",
                f"Autosave could not write {self.recovery_path}: {_without_type(why)}. "
                "Save the session to keep your work.",
            )
        self._autosave_failed = True

    def _abandon_autosave(self) -> None:
        """Stop an autosave being written and wait (bounded) until its thread has let go of the file: a copy
        written after the window closed would be offered as a crash's at the next launch."""
        handle, self._autosaving = self._autosaving, None
        if handle is None or not handle.running:
            return
        handle.cancel()  # it stops between two pieces of the file, leaving the previous copy as it was
        if handle.thread is not None:
            handle.thread.join(AUTOSAVE_CLOSE_WAIT_S)

    def discard_recovery(self) -> None:
        """Remove the recovery file (the work it holds is saved, or was deliberately discarded)."""
        self.recovery.discard()

    def offer_recovery(self) -> bool:
        """At launch: if a recovery file survived (the app crashed), offer to restore it.  True if restored."""
        path = self.recovery_path
        if not self.recovery.claim() or not path.is_file():
            return False  # (unowned: another running app's live work, not a crash's)
        try:
            when = datetime.fromtimestamp(path.stat().st_mtime)
        except OSError as exc:
            self._set_aside("recovery.damaged.json", f"The recovery file could not be read ({reason(exc)})")
            return False
        loaded, error = self._read(path)
        if loaded is None:
            if error:
                self._set_aside("recovery.damaged.json", f"The recovery file could not be read ({error})")
            return False
        if not self.ask_restore_recovery(path, when):
            self._set_aside("recovery.declined.json", "Unsaved work from the last session was not restored")
            return False
        if not self._apply(loaded, str(path)):
            self._set_aside("recovery.damaged.json", "The recovery file could not be restored")
            return False
        original = loaded.view.get("recovery_of")
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


def _without_type(why: str) -> str:
    """A task's failure as a reason in a sentence: "SessionError: x: y" → "x: y"."""
    for prefix in ("SessionError: ", "OSError: ", "PermissionError: ", "FileNotFoundError: "):
        if why.startswith(prefix):
            return why[len(prefix) :].rstrip(".")
    return why.rstrip(".")
